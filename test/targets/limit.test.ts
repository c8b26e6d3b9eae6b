// --limit (src/targets/limit.ts) and the one host name (src/aws/discover.ts hostName) as resolveFleet sees
// them: a limit matches a host's ID or its name with * and ? globs, narrows the fleet right after discovery,
// and a pattern that matches nothing is an error naming it. The names come from a real SsmTransport over
// mocked SDK clients, so "the same name in every command" is checked on what discovery really answers.
import { expect, test } from 'vitest';
import { isFleetError } from '../../src/errors.js';
import { parseInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/schema.js';
import { resolveFleet } from '../../src/targets/fleet.js';
import { globRegExp } from '../../src/model/glob.js';
import { applyLimit, limitTest, parseLimit } from '../../src/targets/limit.js';
import type { DiscoveredHost } from '../../src/transport/types.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { fakeInventory, type Machine } from '../aws/fake-inventory.js';
import { ids, setup } from '../aws/helpers.js';

function inventory(groups: string): Inventory {
  const r = parseInventory(`version: 1\naws: { region: ap-northeast-1 }\nstns:\n  api_endpoint: https://stns.example.com/v1\ngroups:\n${groups}`, 'inv.yaml');
  expect(r.problems).toEqual([]);
  return r.inventory!;
}

const [W1, W2, DB, OFF] = ids('i-', 4, 0x100);
const [PI19, PI20] = ids('mi-', 2, 0x19);
const GONE = ids('i-', 1, 0xfff)[0]!;
const host = (id: string, name: string | undefined, over: Partial<DiscoveredHost> = {}): DiscoveredHost => ({
  id,
  kind: id.startsWith('mi-') ? 'managed' : 'ec2',
  ...(name ? { name } : {}),
  tags: {},
  ...(id.startsWith('i-') ? { ec2State: 'running' } : {}),
  ssm: { pingStatus: 'Online' },
  ...over,
});
const WORLD = [host(W1!, 'web-1'), host(W2!, 'web-2'), host(DB!, 'db-1'), host(OFF!, 'web-9', { ec2State: 'stopped' }), host(PI19!, 'lab-019'), host(PI20!, 'lab-020')];
const INV = inventory(`  web:\n    targets: [${W1}, ${W2}, ${OFF}, ${GONE}]\n  db:\n    targets: [${DB}]\n  pi:\n    targets: [${PI19}, ${PI20}]\n`);
const fleetIds = async (limit: string[]): Promise<string[]> =>
  (await resolveFleet(INV, new FakeTransport({ hosts: WORLD }), undefined, { limit: parseLimit(limit) })).hosts.map((h) => h.id);

test('parseLimit: comma-separated and repeated patterns, blanks and repeats dropped; nothing given is no limit', () => {
  expect(parseLimit(['web-1,web-2', ' db-* ', 'web-1'])).toEqual({ patterns: ['web-1', 'web-2', 'db-*'] });
  expect(parseLimit(undefined)).toBeUndefined();
  expect(parseLimit([])).toBeUndefined();
  expect(() => parseLimit([' , '])).toThrow(/--limit needs at least one host ID or name/);
});

test('globs: * any run, ? one character, everything else literal, the whole name', () => {
  expect(globRegExp('web-*').test('web-10')).toBe(true);
  expect(globRegExp('web-?').test('web-10')).toBe(false);
  expect(globRegExp('web-?').test('web-1')).toBe(true);
  expect(globRegExp('a.b').test('axb')).toBe(false); // the dot is a dot
  expect(globRegExp('(x)+[y]').test('(x)+[y]')).toBe(true);
  expect(globRegExp('web').test('web-1')).toBe(false); // no substring match
  expect(limitTest(undefined)({ id: 'i-1' })).toBe(true);
  expect(limitTest(parseLimit(['i-*']))({ id: 'i-1' })).toBe(true);
});

test('a limit matches IDs, names and globs, across groups', async () => {
  expect(await fleetIds([W1!])).toEqual([W1]);
  expect(await fleetIds(['web-2'])).toEqual([W2]);
  expect(await fleetIds(['lab-0*', 'db-?'])).toEqual([DB, PI19, PI20]);
  expect(await fleetIds([`${PI20},web-1`])).toEqual([PI20, W1]);
});

test('within the limit, skipped hosts and IDs nobody knows are still reported; outside it, nothing is', async () => {
  const f = await resolveFleet(INV, new FakeTransport({ hosts: WORLD }), undefined, { limit: parseLimit(['web-9', GONE]) });
  expect(f.hosts.map((h) => [h.id, h.skip])).toEqual([[OFF, 'instance is stopped']]);
  expect(f.notFound).toEqual([{ group: 'web', id: GONE }]);
  const other = await resolveFleet(INV, new FakeTransport({ hosts: WORLD }), undefined, { limit: parseLimit(['db-1']) });
  expect(other.notFound).toEqual([]);
});

test('a pattern that matches nothing is an error naming it (a typo must not silently select nothing)', async () => {
  const e = await fleetIds(['web-1', 'wbe-*']).catch((x: unknown) => x);
  expect(isFleetError(e)).toBe(true);
  const err = e as Error & { details: string[]; hint?: string };
  expect(err.message).toBe('--limit "wbe-*" matches no host in groups web, db, pi (the other patterns do)');
  expect(err.details.join('\n')).toMatch(/hosts there: .*db-1.*lab-019.*web-1/);
  expect(err.hint).toMatch(/Name tag, else computer name/);
  // Only the groups asked for are searched: a host of another group does not count.
  const g = await resolveFleet(INV, new FakeTransport({ hosts: WORLD }), ['db'], { limit: parseLimit(['web-1']) }).catch((x: unknown) => x);
  expect((g as Error).message).toBe('--limit "web-1" matches no host in group db');
});

test('applyLimit keeps the order of the hosts it is given', () => {
  const hs = [{ id: 'b', name: 'x-2' }, { id: 'a', name: 'x-1' }];
  expect(applyLimit(parseLimit(['x-*']), hs)).toEqual(hs);
  expect(applyLimit(undefined, hs)).toEqual(hs);
});

// The case: two Pis registered with one activation (SSM's Name "lab-pi" for both), Name-tagged
// lab-019 and lab-020, and EC2 instances. Discovery as plan/apply/verify make it (no option at all).
const MACHINES: Machine[] = [
  { id: PI19!, tags: { Name: 'lab-019' }, ssm: { Name: 'lab-pi', ComputerName: 'raspberrypi' } },
  { id: PI20!, tags: { Name: 'lab-020' }, ssm: { Name: 'lab-pi', ComputerName: 'raspberrypi' } },
  { id: W1!, tags: { Name: 'web-1' }, ssm: { ComputerName: 'ip-10-0-0-1' } },
  { id: W2!, ssm: { ComputerName: 'ip-10-0-0-2' } },
];
const SDK_INV = inventory(`  web:\n    targets: [${W1}, ${W2}]\n  pi:\n    targets: [${PI19}, ${PI20}]\n`);

test('every command gets the same name per host from discovery: Name tag, else ComputerName; never "lab-pi"', async () => {
  const s = setup();
  fakeInventory(MACHINES, { ec2: s.ec2Mock, ssm: s.ssmMock });
  const f = await resolveFleet(SDK_INV, s.transport);
  expect(Object.fromEntries(f.hosts.map((h) => [h.id, h.name]))).toEqual({ [PI19!]: 'lab-019', [PI20!]: 'lab-020', [W1!]: 'web-1', [W2!]: 'ip-10-0-0-2' });
});

test('--limit by a Pi\'s Name tag works in the commands that never asked for tags before (plan, apply, verify)', async () => {
  const s = setup();
  fakeInventory(MACHINES, { ec2: s.ec2Mock, ssm: s.ssmMock });
  const f = await resolveFleet(SDK_INV, s.transport, undefined, { limit: parseLimit(['lab-020', 'ip-10-0-0-?']) });
  expect(f.hosts.map((h) => `${h.id} ${h.name}`)).toEqual([`${PI20} lab-020`, `${W2} ip-10-0-0-2`]);
});
