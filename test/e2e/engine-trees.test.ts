// The fleet engine end to end on directory trees, scripts run for real with /bin/sh: facts → plan →
// sealed apply → plan again (nothing to do); drift refused; the token never in any request.
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { gatherFacts } from '../../src/facts/gather.js';
import { resolveFleet } from '../../src/targets/fleet.js';
import { buildFleetPlan, planExitCode, type FleetPlan } from '../../src/plan/fleet-plan.js';
import { applyPlan } from '../../src/apply/rollout.js';
import { parseInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/schema.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { TreeTransport, treeHosts } from '../helpers/tree-transport.js';

const TOKEN = `tok"en'\\$(id)-sealed`;
let t: Templates;
let lab: ReturnType<typeof treeHosts>;
let tr: TreeTransport;
let inv: Inventory;

function inventory(ids: string[]): Inventory {
  const text = `version: 1
aws: { region: ap-northeast-1 }
stns:
  api_endpoint: https://stns.example.com/v1
  auth_token: { env: SF_TEST_TOKEN }
groups:
  all:
    targets: [${ids.join(', ')}]
`;
  const r = parseInventory(text, 'test.yaml');
  if (!r.inventory) throw new Error(JSON.stringify(r.problems));
  return r.inventory;
}

async function plan(): Promise<FleetPlan> {
  const fleet = await resolveFleet(inv, tr);
  const gathered = await gatherFacts(tr, fleet.hosts.map((h) => h.id), t);
  return buildFleetPlan({ inventory: inv, inventoryRef: { path: '/test.yaml', sha256: '0'.repeat(64) }, groups: ['all'], fleet, gathered, templates: t, secrets: new Map([['all', { auth_token: TOKEN }]]) });
}

const rollout = { canary: 1, maxConcurrency: '50%' as const, maxErrors: 0 };

beforeEach(async () => {
  t = await loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh', 'host/facts.sh']);
  lab = treeHosts(['debian-12', 'debian-12', 'ubuntu-22.04', 'ubuntu-24.04', 'raspberry-pi-os']);
  tr = new TreeTransport(lab.hosts, lab.bin);
  inv = inventory(lab.hosts.map((h) => h.id));
});
afterEach(() => rmSync(lab.dir, { recursive: true, force: true }));

test('plan → apply → plan converges every host, hosts in the same state share one unit, the token travels sealed', async () => {
  const p1 = await plan();
  expect(planExitCode(p1)).toBe(2);
  expect(p1.hosts.map((h) => h.status)).toEqual(Array(5).fill('change'));
  const debianUnits = new Set(p1.hosts.slice(0, 2).map((h) => h.unit));
  expect(debianUnits.size).toBe(1); // two identical Debian 12 hosts: one desired state, one diff
  expect(p1.units).toHaveLength(4);
  expect(JSON.stringify(p1)).not.toContain('-sealed'); // the token's tail: the plan (saved by plan --out) holds no secret

  const report = await applyPlan({ plan: p1, transport: tr, secrets: new Map([['all', { auth_token: TOKEN }]]), rollout });
  expect(report.stopped, JSON.stringify(report.outcomes, null, 1)).toBeUndefined();
  expect(report.outcomes.map((o) => [o.outcome, o.detail])).toEqual(Array(5).fill(['changed', undefined]));
  for (const h of lab.hosts) {
    const conf = parseToml(readFileSync(path.join(h.root, 'etc/stns/client/stns.conf'), 'utf8'));
    expect(conf['auth_token']).toBe(TOKEN);
  }
  // Nothing sent to "SSM" carries the token, not even TOML-escaped.
  for (const r of tr.requests) {
    expect(r.script).not.toContain('-sealed');
    expect(r.comment).not.toContain('-sealed');
  }
  expect(tr.requests.some((r) => r.script.includes('sf_sealed_file /etc/stns/client/stns.conf'))).toBe(true);

  const p2 = await plan();
  expect(p2.hosts.map((h) => h.status)).toEqual(Array(5).fill('unchanged'));
  expect(planExitCode(p2)).toBe(0);
});

test('a host changed between plan and apply refuses and is reported drifted; the others go on', async () => {
  const p1 = await plan();
  const victim = lab.hosts[3]!;
  const nss = path.join(victim.root, 'etc/nsswitch.conf');
  appendFileSync(nss, '# changed by hand after the plan\n');
  const before = readFileSync(nss);
  const report = await applyPlan({ plan: p1, transport: tr, secrets: new Map([['all', { auth_token: TOKEN }]]), rollout: { ...rollout, maxErrors: 1 } });
  const o = report.outcomes.find((x) => x.id === victim.id)!;
  expect(o.outcome).toBe('drifted');
  expect(o.detail).toContain('/etc/nsswitch.conf');
  expect(readFileSync(nss).equals(before)).toBe(true);
  expect(report.outcomes.filter((x) => x.outcome === 'changed')).toHaveLength(4);
});

test('a host whose seal key changed since the plan cannot open the token and changes nothing', async () => {
  const p1 = await plan();
  const h = lab.hosts[0]!;
  rmSync(path.join(h.root, 'var/lib/stns-fleet/seal.key'));
  // A new key, as if the host had been rebuilt: the facts script makes one.
  await gatherFacts(tr, [h.id], t);
  const report = await applyPlan({ plan: p1, transport: tr, secrets: new Map([['all', { auth_token: TOKEN }]]), rollout: { ...rollout, canary: 0 } });
  const o = report.outcomes.find((x) => x.id === h.id)!;
  expect(o.outcome).toBe('failed');
  expect(o.result).toBe('payload');
  expect(() => readFileSync(path.join(h.root, 'etc/stns/client/stns.conf'))).toThrow();
});

test('a failing canary stops the rollout before any other host is touched', async () => {
  const p1 = await plan();
  // Someone removes a file on the canary after the plan: it refuses (drift), so the canary fails.
  const canary = lab.hosts.find((x) => x.id === p1.hosts[0]!.id)!;
  rmSync(path.join(canary.root, 'etc/pam.d/sshd'));
  const report = await applyPlan({ plan: p1, transport: tr, secrets: new Map([['all', { auth_token: TOKEN }]]), rollout });
  expect(report.canary).toEqual([canary.id]);
  expect(report.stopped).toMatch(/canary failed/);
  expect(report.outcomes.find((o) => o.id === canary.id)!.outcome).toBe('drifted');
  expect(report.outcomes.filter((o) => o.id !== canary.id).map((o) => o.outcome)).toEqual(Array(4).fill('skipped'));
  expect(tr.requests.filter((r) => r.comment.startsWith('stns-fleet apply'))).toHaveLength(1);
});
