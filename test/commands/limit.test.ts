// --limit on hosts, plan, apply and verify, as the CLI runs them (minus argv), against directory hosts: hosts
// outside the limit are never sent a command (not the facts one either) and are not in the report; a
// pattern that matches nothing refuses before anything is sent; with a saved plan, a limit narrows the plan
// to those of its hosts and never adds one.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { applyCommand, hostsCommand, planCommand, verifyCommand } from '../../src/cli/run.js';
import type { FleetTransport } from '../../src/commands/session.js';
import { isFleetError } from '../../src/errors.js';
import type { Io } from '../../src/output/io.js';
import type { Discovery, HostSelection } from '../../src/transport/types.js';
import { TreeTransport, treeHosts } from '../helpers/tree-transport.js';

const TOKEN = 'limit-T0KEN-value-456';

/** The tree transport, with a Name for each host as discovery would give it. */
class NamedTrees extends TreeTransport {
  names: Record<string, string> = {};
  override async discover(sel: HostSelection): Promise<Discovery> {
    const d = await super.discover(sel);
    return { ...d, hosts: d.hosts.map((h) => (this.names[h.id] ? { ...h, name: this.names[h.id]! } : h)) };
  }
}

let lab: ReturnType<typeof treeHosts>;
let tr: NamedTrees;
let file: string;
let out: string[];
let err: string[];
let ids: string[];
const io: Io = { out: (t) => void out.push(t), err: (t) => void err.push(t) };
const factory = (): FleetTransport => tr;
/** Every host any request was sent to (facts, reads, apply, verify). */
const contacted = (): string[] => [...new Set(tr.requests.flatMap((r) => r.instanceIds))].sort();
const json = (): Record<string, any> => JSON.parse(out.join(''));

beforeEach(() => {
  lab = treeHosts(['debian-12', 'debian-12', 'ubuntu-24.04']);
  tr = new NamedTrees(lab.hosts, lab.bin);
  ids = lab.hosts.map((h) => h.id);
  tr.names = { [ids[0]!]: 'web-1', [ids[1]!]: 'web-2', [ids[2]!]: 'db-1' };
  file = path.join(lab.dir, 'inv.yaml');
  writeFileSync(
    file,
    `version: 1\naws: { region: eu-west-1 }\nstns:\n  api_endpoint: https://stns.example.com/v1\n  auth_token: { env: SF_LIMIT_TOKEN }\nverify:\n  users: [alice]\ngroups:\n  web:\n    targets: [${ids[0]}, ${ids[1]}]\n  db:\n    targets: [${ids[2]}]\n`,
  );
  process.env['SF_LIMIT_TOKEN'] = TOKEN;
  out = [];
  err = [];
});
afterEach(() => {
  rmSync(lab.dir, { recursive: true, force: true });
  delete process.env['SF_LIMIT_TOKEN'];
});

test('hosts --limit: only the hosts the patterns select, by name glob or ID, across groups', async () => {
  expect(await hostsCommand({ inventory: file, limit: ['web-*'], json: true }, factory, io)).toBe(0);
  expect(json()['hosts'].map((h: { id: string; name: string }) => `${h.id} ${h.name}`)).toEqual([`${ids[0]} web-1`, `${ids[1]} web-2`]);
  out = [];
  await hostsCommand({ inventory: file, limit: [`db-1,${ids[0]}`], json: true }, factory, io);
  expect(json()['hosts'].map((h: { id: string }) => h.id)).toEqual([ids[2], ids[0]]); // sorted by group: db, then web
  expect(tr.requests).toEqual([]); // hosts sends no command at all
});

test('plan --limit: hosts outside the limit get nothing, not even the facts command, and are not in the plan', async () => {
  expect(await planCommand({ inventory: file, limit: ['web-2'], json: true }, factory, io)).toBe(2);
  expect(contacted()).toEqual([ids[1]]);
  const plan = json();
  expect(plan['hosts'].map((h: { id: string }) => h.id)).toEqual([ids[1]]);
  expect(plan['summary']).toMatchObject({ change: 1, unchanged: 0, skipped: 0 });
});

test('a pattern that matches nothing refuses, naming it, before anything is sent', async () => {
  const e = await planCommand({ inventory: file, limit: ['web-1', 'wbe-2'], quiet: true }, factory, io).catch((x: unknown) => x);
  expect(isFleetError(e) && e.message).toBe('--limit "wbe-2" matches no host in groups web, db (the other patterns do)');
  expect(tr.requests).toEqual([]);
  // Within -g, only that group's hosts count.
  const g = await verifyCommand({ inventory: file, group: ['db'], limit: ['web-1'], quiet: true }, factory, io).catch((x: unknown) => x);
  expect(isFleetError(g) && g.message).toBe('--limit "web-1" matches no host in group db');
  expect(tr.requests).toEqual([]);
});

test('apply --limit (no saved plan): only those hosts are planned and changed', async () => {
  expect(await applyCommand({ inventory: file, limit: ['db-*'], yes: true, quiet: true, canary: '0' }, factory, io)).toBe(0);
  expect(contacted()).toEqual([ids[2]]);
  const applied = tr.requests.filter((r) => r.comment.startsWith('stns-fleet apply'));
  expect(applied.flatMap((r) => r.instanceIds)).toEqual([ids[2]]);
  expect(readFileSync(path.join(lab.hosts[2]!.root, 'etc/nsswitch.conf'), 'utf8')).toMatch(/^passwd: +files stns/m);
  expect(readFileSync(path.join(lab.hosts[0]!.root, 'etc/nsswitch.conf'), 'utf8')).not.toMatch(/stns/);
});

test('apply PLAN.json --limit: only those hosts of the saved plan; the others are not contacted and stay as they are', async () => {
  const planFile = path.join(lab.dir, 'p.json');
  expect(await planCommand({ inventory: file, out: planFile, quiet: true }, factory, io)).toBe(2);
  const before = tr.requests.length;
  out = [];
  expect(await applyCommand({ planFile, limit: ['web-1'], yes: true, json: true, canary: '0' }, factory, io)).toBe(0);
  const sent = tr.requests.slice(before);
  expect([...new Set(sent.flatMap((r) => r.instanceIds))]).toEqual([ids[0]]);
  expect(json()['hosts'].map((h: { id: string; outcome: string }) => `${h.id} ${h.outcome}`)).toEqual([`${ids[0]} changed`]);
  expect(readFileSync(path.join(lab.hosts[1]!.root, 'etc/nsswitch.conf'), 'utf8')).not.toMatch(/stns/);

  // The rest of the saved plan can still be applied afterwards, narrowed again.
  out = [];
  expect(await applyCommand({ planFile, limit: ['web-2', 'db-1'], yes: true, json: true, canary: '0' }, factory, io)).toBe(0);
  expect(json()['hosts'].map((h: { outcome: string }) => h.outcome)).toEqual(['changed', 'changed']);
});

test('apply PLAN.json --limit never widens the plan: a host the plan did not cover is not changed', async () => {
  // A plan made for web-1 alone (its file records every group), then applied with a limit that also names web-2.
  const planFile = path.join(lab.dir, 'p1.json');
  await planCommand({ inventory: file, out: planFile, limit: ['web-1'], quiet: true }, factory, io);
  out = [];
  const code = await applyCommand({ planFile, limit: ['web-*'], yes: true, json: true, canary: '0' }, factory, io);
  const hosts = json()['hosts'] as { id: string; outcome: string; detail?: string }[];
  expect(hosts.find((h) => h.id === ids[0])!.outcome).toBe('changed');
  expect(hosts.find((h) => h.id === ids[1])).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/not in the reviewed plan/) });
  expect(tr.requests.filter((r) => r.comment.startsWith('stns-fleet apply')).flatMap((r) => r.instanceIds)).toEqual([ids[0]]);
  expect(code).toBe(3); // a host left out is never a silent success
  // A pattern that names nothing of the plan's groups refuses.
  const e = await applyCommand({ planFile, limit: ['nosuch-*'], yes: true, quiet: true }, factory, io).catch((x: unknown) => x);
  expect(isFleetError(e) && e.message).toMatch(/^--limit "nosuch-\*" matches no host in groups/);
});

test('verify --limit: only those hosts are verified, the others are not contacted nor reported', async () => {
  await applyCommand({ inventory: file, yes: true, quiet: true, canary: '0' }, factory, io);
  const before = tr.requests.length;
  out = [];
  await verifyCommand({ inventory: file, limit: ['web-?'], json: true }, factory, io);
  const sent = tr.requests.slice(before);
  expect([...new Set(sent.flatMap((r) => r.instanceIds))].sort()).toEqual([ids[0], ids[1]].sort());
  const v = json();
  expect([...v['hosts'], ...v['notVerified']].map((h: { id: string }) => h.id).sort()).toEqual([ids[0], ids[1]].sort());
});
