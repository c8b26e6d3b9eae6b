// stns-fleet lab: cache-stnsd on a directory host, modelled on STNS/cache-stnsd v0.3.19 (cmd/server.go,
// cache_stnsd/http.go) without a daemon. Its state lives in the host tree, under
// /var/lib/stns-fleet-lab/cache-stnsd/:
//   state       "running <epoch ms>" or "stopped <epoch ms>", written by the systemctl/service stand-in
//               (services.sh) on start, restart and stop of the unit cache-stnsd
//   stns.conf   the copy of /etc/stns/client/stns.conf it took when it (re)started: as the real one, it reads
//               its configuration only at start, so a changed stns.conf counts only after a restart
//   cache/      its in-memory cache, one file per request URL (endpoint + path + query, as its cacheKey)
// The stand-ins (stns-key-wrapper, getent) call cacheStnsdGet where libnss-stns, with [cached] enable = true,
// sends `GET http://unix/<path>` to cache-stnsd's socket. What it answers, as the real one:
//   not running, or a socket other than /var/run/cache-stnsd.sock: no connection ({ error: 'connect' })
//   from its cache when it holds the URL: a 200 for cache_ttl (default 600 s), a 404 for negative_cache_ttl
//     (default 60 s; with `cache = false` nothing is kept)
//   else it asks api_endpoint with auth_token (its copy of stns.conf) and passes the status on, the body only
//     with a 200; no HTTP answer (refused, timed out): 500.
// Not modelled: the prefetch of every user and group (every cache_ttl/2), the socket file itself, its log.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, inRoot, readHostFile } from './host.mjs';
import { CACHE_STNSD_SOCKET, parseStnsTables, stnsAsk } from './stns.mjs';

export const CACHE_STNSD_STATE = '/var/lib/stns-fleet-lab/cache-stnsd';

function running(root) {
  return /^running\b/.test(readHostFile(`${CACHE_STNSD_STATE}/state`, root) ?? '');
}

/** What cache-stnsd of the host at `root` answers for `query`. */
export async function cacheStnsdGet(query, socket = CACHE_STNSD_SOCKET, root = ROOT) {
  if (socket !== CACHE_STNSD_SOCKET || !running(root)) return { error: 'connect' };
  let conf;
  try {
    conf = parseStnsTables(readHostFile(`${CACHE_STNSD_STATE}/stns.conf`, root) ?? '').top;
  } catch {
    return { status: 500 };
  }
  const endpoint = String(conf.api_endpoint ?? 'http://localhost:1104/v1').replace(/\/+$/, '');
  const dir = inRoot(`${CACHE_STNSD_STATE}/cache`, root);
  const file = path.join(dir, encodeURIComponent(`${endpoint}/${query}`));
  const keep = conf.cache !== false;
  if (keep) {
    try {
      const e = JSON.parse(readFileSync(file, 'utf8'));
      if (e.expires > Date.now()) return { status: e.status, ...(e.status === 200 ? { body: e.body } : {}) };
    } catch {
      // not cached
    }
  }
  const r = await stnsAsk(conf, query);
  if (r.error) return { status: 500 };
  const ttl = r.status === 200 ? Number(conf.cache_ttl ?? 600) : r.status === 404 ? Number(conf.negative_cache_ttl ?? 60) : 0;
  if (keep && ttl > 0) {
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}`;
      writeFileSync(tmp, JSON.stringify({ status: r.status, body: r.body, expires: Date.now() + ttl * 1000 }));
      renameSync(tmp, file);
    } catch {
      // a cache it could not keep: answered all the same
    }
  }
  return r.status === 200 ? r : { status: r.status };
}
