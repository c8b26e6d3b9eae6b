// verify's evidence from the REAL libnss-stns-v2 (built from upstream source) in a Debian 12 root, against the
// lab's STNS server: for each failure case (test/verify/verify-fixtures.ts: unknown user, no keys, 401, a refused
// connection, a timeout, TLS failures, cache-stnsd absent, no curl) the real output of the verify script must be
// exactly the recorded one, and src/verify/judge.ts must judge it as recorded. And the point of it all: root's
// module cache, holding answers of a token that is no longer right, does not fool verify.
// Set STNS_FLEET_CAPTURE=FILE to write the real outputs to FILE (JSON) instead of comparing them.
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { judgeVerify, verifyScript } from '../../src/verify/judge.js';
import { labDirectory, StnsServer } from '@stns-fleet/lab';
import { freshRoot, runInChroot, writeFileIn, type FreshRoot } from '../chroot/harness.js';
import { VERIFY_CASES, type CaseConf, type VerifyCase } from '../verify/verify-fixtures.js';
import { BUILD_TIMEOUT_MS, ensureRealRootfs, freePort, installCurl, requireRealStnsOrSkip } from './real-stns.js';

const describeReal = requireRealStnsOrSkip(['apt-get']);
const LONG = 5 * 60_000;
const NSSWITCH = 'passwd:         files stns\ngroup:          files stns\nshadow:         files stns\ngshadow:        files\n';
const CAPTURE = process.env.STNS_FLEET_CAPTURE;

/** The verdicts of one output, per user: 'ok' or the reason. */
export function reasonsOf(c: Pick<VerifyCase, 'users' | 'output'>): Record<string, string> {
  const v = judgeVerify({ instanceId: 'i-x', commandId: 'c-x', kind: 'ran', exitCode: 0, stdout: c.output, stderr: '', truncated: false }, c.output, { users: c.users, testOptions: [] }, {});
  return Object.fromEntries(v.users.map((u) => [u.user, u.ok ? 'ok' : u.reason!]));
}

describeReal('verify against the real libnss-stns-v2: the evidence of each failure, and the reason it gives', () => {
  const dir = labDirectory('real-module');
  const server = new StnsServer(dir, [{ name: 'web', value: 'tok-web', ...dir.access['web']! }]);
  let lab = '';
  let closed = 0;
  let silentPort = 0;
  const held = new Set<Socket>();
  const silent: Server = createServer((s) => void held.add(s.on('close', () => held.delete(s))));
  let root: FreshRoot;
  const captured: Record<string, string> = {};
  const sh = (script: string) => runInChroot(root.dir, script);

  const conf = (c: CaseConf): string => {
    const port = lab.replace(/^http:\/\/127\.0\.0\.1:(\d+)\/v1$/, '$1');
    const endpoint = { lab, closed: `http://127.0.0.1:${closed}/v1`, silent: `http://127.0.0.1:${silentPort}/v1`, https: `https://127.0.0.1:${port}/v1` }[c.endpoint];
    return (
      `api_endpoint = "${endpoint}"\nauth_token = "${c.token === 'good' ? 'tok-web' : 'not-a-token-of-the-server'}"\n` +
      `request_timeout = ${c.requestTimeout}\nrequest_retry = ${c.requestRetry}\n` +
      (c.tlsCa ? '\n[tls]\nca = "/etc/stns-fleet-test/ca.pem"\n' : '') +
      `\n[cached]\nenable = ${c.cached ? 'true' : 'false'}\n`
    );
  };

  beforeAll(async () => {
    const rootfs = await ensureRealRootfs();
    lab = await server.listen(0);
    closed = await freePort();
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
    root = await freshRoot({ rootfs });
    await installCurl(root.dir);
    await writeFileIn(root.dir, '/etc/nsswitch.conf', NSSWITCH);
    const ca = await sh('mkdir -p /etc/stns-fleet-test && openssl req -x509 -newkey rsa:2048 -nodes -keyout /etc/stns-fleet-test/key.pem -out /etc/stns-fleet-test/ca.pem -days 2 -subj /CN=stns-fleet-test 2>&1\n');
    expect(ca.code, ca.stdout).toBe(0);
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => silent.close(r));
    await server.close();
    await root?.cleanup();
    if (CAPTURE) writeFileSync(CAPTURE, `${JSON.stringify(captured, null, 2)}\n`);
  }, LONG);

  test('the cases cover every reason verify names', () => {
    const all = new Set(VERIFY_CASES.flatMap((c) => Object.values(c.reasons)));
    for (const r of ['ok', 'no-keys', 'unknown-user', 'token-rejected', 'unreachable', 'tls', 'cache-stnsd', 'failed']) expect(all, r).toContain(r);
  });

  for (const c of VERIFY_CASES) {
    test(c.name, async () => {
      await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf(c.conf));
      expect((await sh('rm -rf /var/cache/stns /var/tmp/.stns.lock\n')).code).toBe(0);
      if (c.warmRootCache) {
        // Root's cache (the one sshd's lookups read) filled with the good token's answers, then the case's conf.
        await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf({ ...c.conf, token: 'good', endpoint: 'lab' }));
        for (const u of c.warmRootCache) await sh(`/usr/lib/stns/stns-key-wrapper ${u} >/dev/null; getent passwd ${u} >/dev/null; :\n`);
        await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf(c.conf));
        // Root is fooled: its lookups are answered from that cache, with a token the server now refuses.
        const fooled = await sh(`/usr/lib/stns/stns-key-wrapper ${c.warmRootCache[0]}\n`);
        expect(fooled.code).toBe(0);
        expect(fooled.stdout).toMatch(/^ssh-/);
      }
      if (c.noCurl) expect((await sh('mv /usr/bin/curl /usr/bin/curl.away\n')).code).toBe(0);
      const before = await sh('ls /var/cache/stns 2>/dev/null | sort | tr "\\n" " "\n');
      let out: string;
      try {
        const r = await sh(verifyScript({ users: c.users, testOptions: [] }));
        expect(r.code, r.stderr).toBe(0);
        out = r.stdout;
      } finally {
        if (c.noCurl) await sh('mv /usr/bin/curl.away /usr/bin/curl\n');
      }
      captured[c.name] = out;
      // The throw-away euid's cache directory is gone; root's cache is as it was (verify looked up nothing as root).
      expect((await sh('ls /var/cache/stns 2>/dev/null | sort | tr "\\n" " "\n')).stdout).toBe(before.stdout);
      if (CAPTURE) return;
      expect(out).toBe(c.output);
      expect(reasonsOf(c)).toEqual(c.reasons);
    }, LONG);
  }
});
