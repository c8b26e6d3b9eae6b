// The default `stns.cached.enable: true` path on directory hosts: libnss-stns then asks only cache-stnsd, and
// the lab's model of it (lab-bin/lib/cache-stnsd.mjs, driven by the systemctl stand-in lab-bin/services.sh)
// reads stns.conf only when it (re)starts and caches what the server answers. Through the real CLI: apply
// restarts it (the host script, STNS_FLEET_LAB_SERVICES), verify sees what it answers and what the server
// says, so a cache-stnsd that still runs an old stns.conf, a rejected token and a stopped cache-stnsd each
// fail verify with their own reason.
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyCommand, sdkTransport, verifyCommand, type HostVerdict, type Io } from 'stns-fleet';
import { labInventoryYaml } from '../src/inventory.js';
import { startLab, type Lab } from '../src/lab.js';
import { clients, standin } from './helpers.js';

const LONG = 5 * 60_000;
const STATE = 'var/lib/stns-fleet-lab/cache-stnsd';
const CONF = 'etc/stns/client/stns.conf';

function capture(): { io: Io; text: () => string } {
  const parts: string[] = [];
  return { io: { out: (t) => void parts.push(t), err: (t) => void parts.push(t) }, text: () => parts.join('') };
}

describe('cache-stnsd on directory hosts (the lab model), with [cached] enable = true', () => {
  let lab: Lab;
  let inv: string;
  const hosts = (): Lab['hosts'] => lab.hosts.filter((h) => h.kind === 'ec2');
  const apply = async (): Promise<{ code: number; text: string }> => {
    const c = capture();
    const code = await applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, c.io);
    return { code, text: c.text() };
  };
  const verify = async (): Promise<{ code: number; hosts: HostVerdict[]; text: string }> => {
    const c = capture();
    const code = await verifyCommand({ inventory: inv, quiet: true, json: true }, sdkTransport, c.io);
    return { code, hosts: (JSON.parse(c.text()) as { hosts: HostVerdict[] }).hosts, text: c.text() };
  };
  const setWebParameter = (value: string) =>
    clients(lab).ssm.send(new PutParameterCommand({ Name: '/stns-fleet/lab/web-token', Value: value, Type: 'SecureString', Overwrite: true }));

  beforeAll(async () => {
    lab = await startLab({ hosts: 2, pis: 0, os: ['debian-12', 'ubuntu-22.04'], seed: 'cache-stnsd', executionTimeoutMs: 60_000, deliveryTimeoutMs: 10_000 });
    Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '300' });
    inv = path.join(lab.workDir, 'inventory.yaml');
    // The lab inventory leaves `cached` at its default, enable: true.
    writeFileSync(inv, labInventoryYaml({ stnsEndpoint: lab.stnsEndpoint, region: lab.region, rollout: { canary: 1, max_concurrency: 1, max_errors: 0 } }));
  }, LONG);
  afterAll(() => lab?.stop(), LONG);

  test('apply starts cache-stnsd with the new stns.conf; verify passes through it', async () => {
    const a = await apply();
    expect(a.code, a.text).toBe(0);
    for (const h of hosts()) {
      const conf = readFileSync(path.join(h.dir, CONF), 'utf8');
      expect(conf).toMatch(/^\[cached\]\nenable = true$/m);
      expect(readFileSync(path.join(h.dir, STATE, 'state'), 'utf8')).toMatch(/^running \d+\n$/);
      expect(readFileSync(path.join(h.dir, STATE, 'stns.conf'), 'utf8')).toBe(conf); // what it read at start
    }
    const v = await verify();
    expect(v.code, v.text).toBe(0);
    // Its cache holds what it was asked: alice and bob, as 200s, keyed by the full URL as cache-stnsd keys them.
    for (const h of hosts()) {
      expect(readdirSync(path.join(h.dir, STATE, 'cache')).sort()).toEqual([`${lab.stnsEndpoint}/users?name=alice`, `${lab.stnsEndpoint}/users?name=bob`].map(encodeURIComponent).sort());
    }
  }, LONG);

  test('it caches, and reads stns.conf only at start: a token rotated on the server keeps being answered from it, and verify says so', async () => {
    const old = lab.tokens.web;
    lab.rotateToken('web'); // the server refuses the hosts' token from now on
    const h = hosts()[0]!;
    const n = lab.stnsRequests().length;
    const alice = await standin(lab, h.dir, ['stns-key-wrapper', 'alice']);
    expect(alice.code).toBe(0); // from cache-stnsd's cache: the server was not asked
    expect(lab.stnsRequests().slice(n)).toEqual([]);
    // carol was never asked: cache-stnsd asks the server with its token, which is refused; it passes the 401 on.
    expect(await standin(lab, h.dir, ['stns-key-wrapper', 'carol'])).toEqual({ code: 255, out: '', err: 'http request failed user: carol\n' });
    expect(lab.stnsRequests().slice(n).map((r) => `${r.status} ${r.url}`)).toEqual(['401 /v1/users?name=carol']);
    const v = await verify();
    expect(v.code, v.text).toBe(1);
    for (const x of v.hosts) {
      const user = x.users.find((u) => u.user === 'alice')!;
      expect(user).toMatchObject({ ok: false, keys: 1, reason: 'cache-stnsd' });
      expect(user.problem).toMatch(/cache-stnsd answers otherwise than the STNS server does .* the server: the STNS server rejected this host's auth token \(HTTP 401\)$/);
    }
    expect(old).not.toBe(lab.tokens.web);
    // apply writes the new token; the host script restarts cache-stnsd, which reads it and forgets its cache.
    const a = await apply();
    expect(a.code, a.text).toBe(0);
    for (const x of hosts()) expect(readFileSync(path.join(x.dir, STATE, 'stns.conf'), 'utf8')).toBe(readFileSync(path.join(x.dir, CONF), 'utf8'));
    const again = await verify();
    expect(again.code, again.text).toBe(0);
  }, LONG);

  test('a wrong token applied: the canary fails verify with the 401, and so does verify', async () => {
    const good = lab.tokens.web;
    await setWebParameter('a-token-the-server-never-issued');
    try {
      const a = await apply();
      expect(a.code, a.text).not.toBe(0);
      expect(a.text).toMatch(/the canary did not verify: .*alice: the STNS server rejected this host's auth token \(HTTP 401\)/);
      const v = await verify();
      expect(v.code, v.text).toBe(1);
      const canary = v.hosts.find((x) => x.users.some((u) => u.reason === 'token-rejected'))!;
      expect(canary.users.map((u) => [u.user, u.reason])).toEqual([
        ['alice', 'token-rejected'],
        ['bob', 'token-rejected'],
      ]);
    } finally {
      await setWebParameter(good);
    }
    const a = await apply();
    expect(a.code, a.text).toBe(0);
    expect((await verify()).code).toBe(0);
  }, LONG);

  test('cache-stnsd stopped: every lookup fails (no socket to connect to); verify names cache-stnsd', async () => {
    const h = hosts()[1]!;
    expect(await standin(lab, h.dir, ['systemctl', 'stop', 'cache-stnsd'])).toMatchObject({ code: 0 });
    expect(await standin(lab, h.dir, ['stns-key-wrapper', 'alice'])).toEqual({ code: 255, out: '', err: 'http request failed user: alice\n' });
    expect((await standin(lab, h.dir, ['getent', 'passwd', 'alice'])).code).toBe(2);
    const v = await verify();
    expect(v.code, v.text).toBe(1);
    const bad = v.hosts.find((x) => x.id === h.id)!;
    expect(bad.users.map((u) => u.reason)).toEqual(['cache-stnsd', 'cache-stnsd']);
    expect(v.hosts.filter((x) => x.id !== h.id).every((x) => x.ok)).toBe(true);
    // The stand-in's own start reads stns.conf as it is now.
    expect(await standin(lab, h.dir, ['systemctl', 'start', 'cache-stnsd'])).toMatchObject({ code: 0 });
    expect(existsSync(path.join(h.dir, STATE, 'cache'))).toBe(true);
    expect((await verify()).code).toBe(0);
  }, LONG);
});
