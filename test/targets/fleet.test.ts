// Inventory groups → hosts (src/targets/fleet.ts): every host a group selects is listed, either to be sent
// commands (SSM-online) or skipped with the reason (stopped, agent offline, no agent, claimed by two groups);
// an ID that nobody knows is "not found". Discovery is a scripted transport (test/helpers/fake-transport.ts).
import { expect, test } from 'vitest';
import { parseInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/schema.js';
import { online, resolveFleet, skipReason, type FleetHost } from '../../src/targets/fleet.js';
import type { DiscoveredHost, Discovery, HostSelection, Transport } from '../../src/transport/types.js';
import { FakeTransport } from '../helpers/fake-transport.js';

const [A, B, C, D, E, F] = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `i-${x.repeat(17)}`) as [string, string, string, string, string, string];
const PI = 'mi-0123456789abcdef0';
const GONE = 'i-00000000000000000';

function inventory(groups: string): Inventory {
  const r = parseInventory(`version: 1\naws: { region: ap-northeast-1 }\nstns:\n  api_endpoint: https://stns.example.com/v1\ngroups:\n${groups}`, 'inv.yaml');
  expect(r.problems).toEqual([]);
  return r.inventory!;
}

const ec2 = (id: string, over: Partial<DiscoveredHost> = {}): DiscoveredHost => ({ id, kind: 'ec2', tags: {}, ec2State: 'running', ssm: { pingStatus: 'Online' }, ...over });

const INV = inventory(
  [
    `  web:\n    targets: [${A}, ${B}, ${C}, ${GONE}]`,
    `  db:\n    targets: [${D}, { tags: { Role: db } }]`,
    `  pi:\n    targets: [${PI}, ${E}]`,
    '',
  ].join('\n'),
);
const WORLD: DiscoveredHost[] = [
  ec2(A, { name: 'web-1', ssm: { pingStatus: 'Online', agentVersion: '3.3.1', platformName: 'Ubuntu', platformVersion: '24.04' } }),
  ec2(B, { ec2State: 'stopped', ssm: { pingStatus: 'ConnectionLost' } }),
  ec2(C, { ssm: { pingStatus: 'ConnectionLost', lastPing: new Date('2026-11-30T12:00:00Z') } }),
  ec2(D, { ssm: undefined }),
  ec2(F, { tags: { Role: 'db' }, ssm: { pingStatus: 'Inactive' } }),
  ec2(E, { tags: { Role: 'db' } }), // the pi group names it, and db's tag selector matches it too
  { id: PI, kind: 'managed', name: 'board-1', tags: {}, ssm: { pingStatus: 'Online', platformName: 'Debian GNU/Linux', platformVersion: '13' } },
];

const byId = (hosts: FleetHost[]): Record<string, FleetHost> => Object.fromEntries(hosts.map((h) => [h.id, h]));

test('every selected host is listed, with why it is skipped; an ID nobody knows is not found', async () => {
  const f = await resolveFleet(INV, new FakeTransport({ hosts: WORLD }));
  const h = byId(f.hosts);
  expect(h[A]).toEqual({ id: A, group: 'web', kind: 'ec2', name: 'web-1', pingStatus: 'Online', agentVersion: '3.3.1', platform: 'Ubuntu 24.04' });
  expect(h[B]!.skip).toBe('instance is stopped');
  expect(h[C]!.skip).toBe('SSM agent not online (PingStatus ConnectionLost, last ping 2026-11-30T12:00:00.000Z)');
  expect(h[D]!.skip).toBe('not an SSM managed node (agent missing, not registered, or no instance profile)');
  expect(h[D]!.pingStatus).toBeUndefined();
  expect(h[F]).toEqual({ id: F, group: 'db', kind: 'ec2', pingStatus: 'Inactive', skip: 'SSM agent not online (PingStatus Inactive)' });
  expect(h[PI]).toEqual({ id: PI, group: 'pi', kind: 'managed', name: 'board-1', pingStatus: 'Online', platform: 'Debian GNU/Linux 13' });
  expect(f.notFound).toEqual([{ group: 'web', id: GONE }]);
  expect(online(f).map((x) => x.id).sort()).toEqual([A, PI].sort());
});

test('a host two groups select is listed once, under the first group, and skipped naming both', async () => {
  const f = await resolveFleet(INV, new FakeTransport({ hosts: WORLD }));
  expect(f.hosts.filter((x) => x.id === E)).toEqual([
    { id: E, group: 'db', kind: 'ec2', pingStatus: 'Online', skip: 'matched by several groups (db, pi): make the selectors disjoint' },
  ]);
  // Asked for one group only, nothing claims it twice.
  const alone = await resolveFleet(INV, new FakeTransport({ hosts: WORLD }), ['pi']);
  expect(alone.hosts.map((x) => [x.id, x.group, x.skip])).toEqual([
    [E, 'pi', undefined],
    [PI, 'pi', undefined],
  ]);
});

test('hosts come sorted by group, then ID', async () => {
  const f = await resolveFleet(INV, new FakeTransport({ hosts: WORLD }));
  expect(f.hosts.map((x) => `${x.group} ${x.id}`)).toEqual([`db ${D}`, `db ${E}`, `db ${F}`, `pi ${PI}`, `web ${A}`, `web ${B}`, `web ${C}`]);
});

test('each group is discovered with its own selection, the same way for every command', async () => {
  const calls: [HostSelection, unknown][] = [];
  const tr = {
    discover: (sel: HostSelection, o?: unknown): Promise<Discovery> => {
      calls.push([sel, o]);
      return Promise.resolve({ hosts: [], notFound: [...sel.ids] });
    },
  } as unknown as Transport;
  const f = await resolveFleet(INV, tr, ['db', 'web']);
  expect(calls).toEqual([
    [{ ids: [D], tagSelectors: [{ Role: ['db'] }] }, undefined],
    [{ ids: [A, B, C, GONE], tagSelectors: [] }, undefined],
  ]);
  expect(f).toEqual({ hosts: [], notFound: [{ group: 'db', id: D }, ...[A, B, C, GONE].map((id) => ({ group: 'web', id }))] });
});

test('skipReason: a stopped instance is stopped whatever SSM says; a managed node has no EC2 state', () => {
  expect(skipReason(ec2(A, { ec2State: 'stopping' }))).toBe('instance is stopping');
  expect(skipReason(ec2(A, { ec2State: 'pending', ssm: undefined }))).toBe('instance is pending');
  expect(skipReason(ec2(A))).toBeUndefined();
  expect(skipReason({ id: PI, kind: 'managed', tags: {}, ssm: { pingStatus: 'Online' } })).toBeUndefined();
  expect(skipReason({ id: PI, kind: 'managed', tags: {} })).toBe('not an SSM managed node (agent missing, not registered, or no instance profile)');
});
