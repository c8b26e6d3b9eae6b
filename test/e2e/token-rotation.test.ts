// A token that turns wrong must not hide behind the STNS module's cache. On a lab chroot host carrying the REAL
// libnss-stns-v2 (scripts/stns-real-rootfs.sh), through the real CLI and the lab's SSM endpoint: apply a good
// token, logins' lookups land in the module's cache (/var/cache/stns/0/, keyed by path only); apply a token the
// lab's STNS server refuses: the host script empties that cache (and /var/tmp/.stns.lock), and the canary's
// verify, then `verify`, fail naming the rejected token (HTTP 401), as every fresh lookup now does.
// cache-stnsd cannot be built here (Go modules offline), so `cached: { enable: false }`: the module's own file
// cache is the one at stake (test/lab/cache-stnsd.test.ts covers cache-stnsd's, with the lab's model).
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { applyCommand } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import { verifyCommand } from '../../src/cli/run.js';
import { sdkTransport } from '../../src/cli/transport.js';
import type { HostVerdict } from '../../src/verify/judge.js';
import { startLab, type Lab } from '@stns-fleet/lab';
import { runInChroot, type RunResult } from '../chroot/harness.js';
import { BUILD_TIMEOUT_MS, ensureRealRootfs, installCurl, requireRealStnsOrSkip } from '../real/real-stns.js';

const describeReal = requireRealStnsOrSkip(['apt-get']);
/** Generous limits for waiting on events (the machine may be loaded): never a measure of speed. */
const LONG = 10 * 60_000;
const PARAM = '/stns-fleet/lab/web-token';

function capture(): { io: Io; text: () => string } {
  const parts: string[] = [];
  return { io: { out: (t) => void parts.push(t), err: (t) => void parts.push(t) }, text: () => parts.join('') };
}

describeReal('token rotation on a host with the real libnss-stns-v2: its answer cache cannot fool apply or verify', () => {
  let lab: Lab;
  let inv: string;
  let host: string;
  const inHost = (script: string): Promise<RunResult> => runInChroot(host, script);
  const apply = async (): Promise<{ code: number; text: string }> => {
    const c = capture();
    return { code: await applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, c.io), text: c.text() };
  };
  const verify = async (json = false): Promise<{ code: number; text: string }> => {
    const c = capture();
    return { code: await verifyCommand({ inventory: inv, quiet: true, ...(json ? { json: true } : {}) }, sdkTransport, c.io), text: c.text() };
  };
  const setToken = (value: string) =>
    new SSMClient({ endpoint: lab.endpoint, region: lab.region, credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' } }).send(
      new PutParameterCommand({ Name: PARAM, Value: value, Type: 'SecureString', Overwrite: true }),
    );
  /** A login's lookups, as sshd makes them (root: the key wrapper as AuthorizedKeysCommandUser root, NSS). */
  const login = (user: string): Promise<RunResult> => inHost(`/usr/lib/stns/stns-key-wrapper ${user}; echo "wrapper=$?"; getent passwd ${user} >/dev/null; echo "getent=$?"\n`);
  const rootCache = async (): Promise<string> => (await inHost('ls /var/cache/stns/0/ 2>/dev/null | tr "\\n" " "\n')).stdout;

  beforeAll(async () => {
    const rootfs = await ensureRealRootfs();
    lab = await startLab({ hosts: 0, pis: 0, chroot: 1, chrootRootfs: rootfs, seed: 'token-rotation', executionTimeoutMs: LONG, deliveryTimeoutMs: 60_000 });
    Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '500' });
    host = lab.hosts.find((h) => h.chroot)!.dir;
    await installCurl(host); // as on Debian's cloud images: verify's probe asks with it
    inv = path.join(lab.workDir, 'inventory.yaml');
    writeFileSync(
      inv,
      `version: 1
aws: { region: ${lab.region} }
stns:
  api_endpoint: ${lab.stnsEndpoint}
  allow_insecure_http: true
  auth_token: { ssm_parameter: ${PARAM} }
  cached: { enable: false }
rollout: { canary: 1, max_concurrency: 1, max_errors: 0 }
verify: { users: [alice, bob] }
groups:
  web: { targets: [ { tags: { Env: lab, Role: web } } ] }
`,
    );
  }, BUILD_TIMEOUT_MS);
  afterAll(() => lab?.stop(), LONG);

  test('a good token: apply (0), verify (0); a login\'s lookups are then answered from the module cache', async () => {
    const a = await apply();
    expect(a.code, a.text).toBe(0);
    const v = await verify();
    expect(v.code, v.text).toBe(0);
    expect(v.text).toMatch(/Verify: 1 passed, 0 failed/);
    expect((await login('alice')).stdout).toMatch(/^ssh-ed25519 .*\n\nwrapper=0\ngetent=0\n$/);
    expect(await rootCache()).toContain('users%3Fname%3Dalice ');
    const n = lab.stnsRequests().length;
    expect((await login('alice')).stdout).toMatch(/wrapper=0\ngetent=0\n$/);
    expect(lab.stnsRequests().length).toBe(n); // answered from /var/cache/stns/0/, the server not asked
  }, LONG);

  test('a wrong token: the host script empties the cache; the canary\'s verify and verify fail, naming the rejected token (401)', async () => {
    const good = lab.tokens.web;
    await setToken('a-token-the-lab-server-never-issued');
    try {
      const a = await apply();
      expect(a.code, a.text).not.toBe(0);
      expect(a.text).toMatch(/the canary did not verify: .*alice: the STNS server rejected this host's auth token \(HTTP 401\)/);
      // The host script emptied root's module cache and left no lock; verify's own lookups (an unused euid)
      // left nothing there either.
      expect(await rootCache()).toBe('');
      expect((await inHost('test -e /var/tmp/.stns.lock && echo locked || echo none\n')).stdout).toBe('none\n');
      const n = lab.stnsRequests().length;
      const v = await verify();
      expect(v.code, v.text).toBe(1);
      expect(v.text).toMatch(/alice: the STNS server rejected this host's auth token \(HTTP 401\)/);
      expect(v.text).toMatch(/bob: the STNS server rejected this host's auth token \(HTTP 401\)/);
      expect(lab.stnsRequests().slice(n).filter((r) => r.status === 401).length).toBeGreaterThan(0);
      const j = JSON.parse((await verify(true)).text) as { ok: boolean; hosts: HostVerdict[] };
      expect(j.ok).toBe(false);
      expect(j.hosts[0]!.users.map((u) => [u.user, u.ok, u.reason])).toEqual([
        ['alice', false, 'token-rejected'],
        ['bob', false, 'token-rejected'],
      ]);
      // What verify says is what a new login meets now.
      expect((await login('alice')).stdout).toBe('wrapper=255\ngetent=2\n');
    } finally {
      await setToken(good);
    }
    const a = await apply();
    expect(a.code, a.text).toBe(0);
    expect((await verify()).code).toBe(0);
    expect((await login('alice')).stdout).toMatch(/wrapper=0\ngetent=0\n$/);
  }, LONG);
});
