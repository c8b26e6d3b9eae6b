// Shared by the lab's stns-key-wrapper and getent: read /etc/stns/client/stns.conf as libnss-stns does (the
// top-level keys before the first [table]; TOML basic strings with their escapes, literal strings, integers,
// booleans; the [cached] table) and ask the STNS server with `Authorization: token <auth_token>`, or, with
// `[cached] enable = true` (or `use_cached = true`), only cache-stnsd (the lab's model: cache-stnsd.mjs).
import { ROOT, readHostFile } from './host.mjs';

export const STNS_CONFIG = '/etc/stns/client/stns.conf';
/** cache-stnsd's socket: libnss's default for [cached] unix_socket, and where cache-stnsd listens. */
export const CACHE_STNSD_SOCKET = '/var/run/cache-stnsd.sock';

function basicString(s, i) {
  // s[i] is the opening quote; returns [value, index after the closing quote].
  let out = '';
  for (i++; i < s.length; i++) {
    const c = s[i];
    if (c === '"') return [out, i + 1];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    const simple = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' }[e];
    if (simple !== undefined) out += simple;
    else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = s.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw new Error(`bad escape \\${e}${hex}`);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += n;
    } else throw new Error(`bad escape \\${e}`);
  }
  throw new Error('unterminated string');
}

function value(v, key) {
  if (v.startsWith('"')) return basicString(v, 0)[0];
  if (v.startsWith("'")) return v.slice(1, v.indexOf("'", 1));
  if (/^(true|false)\b/.test(v)) return v.startsWith('true');
  if (/^[+-]?\d+/.test(v)) return Number(/^[+-]?\d+/.exec(v)[0]);
  throw new Error(`cannot parse value of ${key}`);
}

/** Top-level keys of a stns.conf; throws on what libnss would refuse to parse. */
export function parseStnsConf(text) {
  return parseStnsTables(text).top;
}

/** The top-level keys (strictly, as parseStnsConf) and the tables' bare keys (leniently: what is not a bare
 * `key = value` line is skipped) of a stns.conf: { top, tables: { cached: {...}, tls: {...}, ... } }. */
export function parseStnsTables(text) {
  const top = {};
  const tables = {};
  let table;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const t = /^\[\s*([A-Za-z0-9_.-]+)\s*\]/.exec(line);
    if (t) {
      table = tables[t[1]] ??= {};
      continue;
    }
    const m = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!table) {
      if (!m) throw new Error(`cannot parse: ${line}`);
      top[m[1]] = value(m[2], m[1]);
    } else if (m) {
      try {
        table[m[1]] = value(m[2], m[1]);
      } catch {
        // a table's value the lab does not read
      }
    }
  }
  return { top, tables };
}

/** The parsed config of the host at `root`, or undefined when it cannot be read or parsed (libnss: NSS_STATUS_UNAVAIL). */
export function loadConfig(path = STNS_CONFIG, root = ROOT) {
  const text = readHostFile(path, root);
  if (text === undefined) return undefined;
  try {
    return parseStnsConf(text);
  } catch {
    return undefined;
  }
}

/** GET <api_endpoint>/<query> with the top-level keys `conf`: { status, body } (body: the parsed JSON of a 200,
 * else undefined), or { error: 'connect' | 'timeout' | 'other' } when no HTTP answer came. */
export async function stnsAsk(conf, query) {
  const base = String(conf.api_endpoint ?? 'http://localhost:1104/v1').replace(/\/+$/, '');
  const headers = {};
  if (typeof conf.auth_token === 'string') headers.authorization = `token ${conf.auth_token}`;
  const timeout = typeof conf.request_timeout === 'number' && conf.request_timeout > 0 ? conf.request_timeout : 10;
  try {
    const r = await fetch(`${base}/${query}`, { headers, signal: AbortSignal.timeout(Math.min(timeout, 10) * 1000) });
    if (r.status !== 200) return { status: r.status };
    return { status: 200, body: await r.json().catch(() => undefined) };
  } catch (e) {
    const code = e?.cause?.code;
    if (e?.name === 'TimeoutError') return { error: 'timeout' };
    return { error: code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'connect' : 'other' };
  }
}

/** What libnss-stns gets for `query` on the host at `root`, as stnsAsk answers, or undefined when stns.conf cannot be
 * read or parsed (libnss: NSS_STATUS_UNAVAIL). With [cached] enable (or use_cached) only cache-stnsd is asked,
 * at [cached] unix_socket (default /var/run/cache-stnsd.sock): endpoint and token are then cache-stnsd's. */
export async function stnsLookup(query, path = STNS_CONFIG, root = ROOT) {
  const text = readHostFile(path, root);
  if (text === undefined) return undefined;
  let c;
  try {
    c = parseStnsTables(text);
  } catch {
    return undefined;
  }
  const cached = c.tables.cached ?? {};
  if (cached.enable === true || c.top.use_cached === true) {
    const { cacheStnsdGet } = await import('./cache-stnsd.mjs');
    return cacheStnsdGet(query, typeof cached.unix_socket === 'string' ? cached.unix_socket : CACHE_STNSD_SOCKET, root);
  }
  return stnsAsk(c.top, query);
}

/** stnsLookup's answer as the module uses it: the JSON array of a 200, else undefined. */
export async function stnsFind(query, path = STNS_CONFIG, root = ROOT) {
  const r = await stnsLookup(query, path, root);
  return r?.status === 200 && Array.isArray(r.body) ? r.body : undefined;
}
