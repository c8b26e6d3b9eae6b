// After stns.conf changes, the host script empties what libnss-stns kept from the old one (sf_stns_refresh):
// every per-euid directory of the cache_dir the new stns.conf names (a name of digits; the module writes the
// euid with %d, so one at or above 2^31 is negative), and /var/tmp/.stns.lock; nothing else there, nothing when
// stns.conf does not change. And cache-stnsd is restarted through the lab's systemctl stand-in only when the
// lab says so (STNS_FLEET_LAB_SERVICES=1): a tree is otherwise never a running host.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { stnsCacheDir } from '../../src/plan/host-script.js';
import { settings } from '../helpers/render.js';
import { lastLine, makeTree, planScript, runScript, type Tree } from './tree.js';

let t: Tree;
beforeEach(async () => {
  t = await makeTree();
});
afterEach(async () => {
  await t.cleanup();
});

const put = (rel: string, content = 'x'): void => {
  mkdirSync(path.dirname(path.join(t.root, rel)), { recursive: true });
  writeFileSync(path.join(t.root, rel), content);
};
const there = (rel: string): boolean => existsSync(path.join(t.root, rel));

function seedCaches(dir: string): void {
  put(`${dir}/0/users%3Fname%3Dalice`, '[{"name":"alice"}]');
  put(`${dir}/1000/users%3Fname%3Dbob`, '{"message":"Unauthorized"}');
  put(`${dir}/-2147480000/users%3Fname%3Dcarol`, '{"message":"Not Found"}');
  put(`${dir}/not-an-euid/keep`, 'kept');
  put('var/tmp/.stns.lock', '');
  put('var/tmp/other', 'kept');
}

test('stns.conf changes: every per-euid cache directory and the lock file go; the rest stays', async () => {
  seedCaches('var/cache/stns');
  const { script } = await planScript();
  expect(script).toContain("SF_STNS_CACHE_DIR='/var/cache/stns'");
  const r = await runScript(t, script);
  expect(lastLine(r.stdout), r.stdout + r.stderr).toBe('STNS_FLEET_RESULT=changed');
  expect(r.stdout).toContain("stns-fleet: stns.conf changed: cleared the STNS client's answer cache (/var/cache/stns/<euid>/) and /var/tmp/.stns.lock");
  for (const d of ['0', '1000', '-2147480000']) expect(there(`var/cache/stns/${d}`), d).toBe(false);
  expect(readFileSync(path.join(t.root, 'var/cache/stns/not-an-euid/keep'), 'utf8')).toBe('kept');
  expect(there('var/cache/stns')).toBe(true);
  expect(there('var/tmp/.stns.lock')).toBe(false);
  expect(there('var/tmp/other')).toBe(true);
  // No init system on a tree, and no lab hook: cache-stnsd was not "restarted".
  expect(r.stdout).toContain('STNS_FLEET_NOTICE no running init system');
  expect(there('var/lib/stns-fleet-lab/cache-stnsd/state')).toBe(false);
});

test('the cache_dir stns.conf names (inside the tree, through a symbolic link), not the default', async () => {
  const s = settings({ options: { request_timeout: 3, request_retry: 1, cache_dir: '/srv/stns-cache/' } });
  const { plan, script } = await planScript(undefined, { settings: s });
  expect(stnsCacheDir(plan)).toBe('/srv/stns-cache'); // one trailing slash trimmed, as libnss does
  expect(script).toContain("SF_STNS_CACHE_DIR='/srv/stns-cache'");
  mkdirSync(path.join(t.root, 'data/cache'), { recursive: true });
  mkdirSync(path.join(t.root, 'srv'), { recursive: true });
  symlinkSync('/data/cache', path.join(t.root, 'srv/stns-cache')); // absolute: resolved inside the tree
  seedCaches('data/cache');
  put('var/cache/stns/0/users%3Fname%3Dalice');
  const r = await runScript(t, script);
  expect(lastLine(r.stdout), r.stdout + r.stderr).toBe('STNS_FLEET_RESULT=changed');
  expect(there('data/cache/0')).toBe(false);
  expect(there('data/cache/1000')).toBe(false);
  expect(there('data/cache/not-an-euid/keep')).toBe(true);
  expect(there('var/cache/stns/0/users%3Fname%3Dalice')).toBe(true); // not the cache this stns.conf uses
});

test('stns.conf unchanged: the caches and the lock stay', async () => {
  const { script } = await planScript();
  expect(lastLine((await runScript(t, script)).stdout)).toBe('STNS_FLEET_RESULT=changed');
  seedCaches('var/cache/stns');
  const r = await runScript(t, script);
  expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=unchanged');
  expect(r.stdout).not.toContain('cleared the STNS client');
  expect(there('var/cache/stns/0/users%3Fname%3Dalice')).toBe(true);
  expect(there('var/tmp/.stns.lock')).toBe(true);
});

test('STNS_FLEET_LAB_SERVICES=1 (the lab): cache-stnsd is restarted through the systemctl stand-in, reading the new stns.conf', async () => {
  put('usr/sbin/cache-stnsd', '#!/bin/sh\n');
  chmodSync(path.join(t.root, 'usr/sbin/cache-stnsd'), 0o755);
  const { script } = await planScript();
  const r = await runScript(t, script, { STNS_FLEET_LAB_SERVICES: '1' });
  expect(lastLine(r.stdout), r.stdout + r.stderr).toBe('STNS_FLEET_RESULT=changed');
  expect(readFileSync(path.join(t.root, 'var/lib/stns-fleet-lab/cache-stnsd/state'), 'utf8')).toMatch(/^running \d+\n$/);
  expect(readFileSync(path.join(t.root, 'var/lib/stns-fleet-lab/cache-stnsd/stns.conf'), 'utf8')).toBe(readFileSync(path.join(t.root, 'etc/stns/client/stns.conf'), 'utf8'));
});
