// `tag`: Name tags from the inventory (names: by ID, pi.names by serial, pi.name_prefix for unnamed boards),
// one call per host whose Name differs, none on a second run.
import { beforeAll, expect, test } from 'vitest';
import { parseInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/schema.js';
import { tagFleet } from '../../src/pi/tag.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { FakeFleet, newSealPair } from './fake-fleet.js';
import { INVENTORY_HEAD } from '../helpers/inventory.js';

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates(undefined, ['host/pi-identity.sh']);
});

const WEB = 'i-0123456789abcdef0';
const WEB2 = 'i-0a1b2c3d';

function inventory(): Inventory {
  const text = [
    ...INVENTORY_HEAD,
    '  web:',
    `    targets: [${WEB}, ${WEB2}]`,
    '    names:',
    `      ${WEB}: web-1`,
    '  edge-pi:',
    '    targets:',
    '      - tags: { Fleet: pi }',
    '    names:',
    '      mi-00000000000000001: lobby',
    '    pi:',
    '      name_prefix: edge',
    '      names:',
    '        "10000000000000a2": kitchen',
    '        00000000000000a3: garage', // YAML reads this as a number: leading zeros dropped, still matched
    '',
  ].join('\n');
  const r = parseInventory(text, 'inv.yaml');
  expect(r.problems).toEqual([]);
  return r.inventory!;
}

function fleet(): FakeFleet {
  const f = new FakeFleet('last-booted');
  const seal = newSealPair();
  f.addEc2(WEB, { Name: 'old-web' });
  f.addEc2(WEB2, { Name: 'hand-named' });
  const ids = [1, 2, 3, 4, 5].map(() => f.newNodeId({ Fleet: 'pi' }));
  f.addBoard({ serial: '10000000000000a1', registeredAs: ids[0]!, seal }); // named by ID
  f.addBoard({ serial: '10000000000000a2', registeredAs: ids[1]!, seal }); // by serial
  f.addBoard({ serial: '00000000000000a3', registeredAs: ids[2]!, seal }); // by serial (zero-padded)
  f.addBoard({ serial: '10000000000000a4', registeredAs: ids[3]!, seal }); // unnamed: prefix
  f.addBoard({ serial: '10000000000000a5', registeredAs: ids[4]!, seal }); // named by hand: kept
  f.nodes.get(ids[4]!)!.tags['Name'] = 'my-own-name';
  return f;
}

test('names from every source, only where they differ; a hand-set Name is not overwritten by the prefix rule', async () => {
  const f = fleet();
  const r = await tagFleet({ inventory: inventory(), transport: f, templates });
  expect(r.changes.map((c) => [c.id, c.desired, c.source, c.action])).toEqual([
    ['mi-00000000000000001', 'lobby', 'names', 'set'],
    ['mi-00000000000000002', 'kitchen', 'pi.names', 'set'],
    ['mi-00000000000000003', 'garage', 'pi.names', 'set'],
    ['mi-00000000000000004', 'edge-000000a4', 'pi.name_prefix', 'set'],
    [WEB, 'web-1', 'names', 'set'],
  ]);
  expect([...f.calls.setTags].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
    { id: WEB, tags: { Name: 'web-1' } },
    { id: 'mi-00000000000000001', tags: { Name: 'lobby' } },
    { id: 'mi-00000000000000002', tags: { Name: 'kitchen' } },
    { id: 'mi-00000000000000003', tags: { Name: 'garage' } },
    { id: 'mi-00000000000000004', tags: { Name: 'edge-000000a4' } },
  ]);
  expect(f.nodes.get('mi-00000000000000005')!.tags['Name']).toBe('my-own-name');
  expect(f.nodes.get(WEB2)!.tags['Name']).toBe('hand-named');
  // only the managed nodes that need a serial were asked, in one command
  expect(f.requests).toHaveLength(1);
  expect(f.requests[0]!.instanceIds).toEqual(['mi-00000000000000002', 'mi-00000000000000003', 'mi-00000000000000004', 'mi-00000000000000005']);
});

test('idempotent: a second run makes no call', async () => {
  const f = fleet();
  await tagFleet({ inventory: inventory(), transport: f, templates });
  const n = f.calls.setTags.length;
  const r = await tagFleet({ inventory: inventory(), transport: f, templates });
  expect(f.calls.setTags).toHaveLength(n);
  expect(r.changes.every((c) => c.action === 'in-sync')).toBe(true);
});

test('--dry-run says what would change and calls nothing', async () => {
  const f = fleet();
  const r = await tagFleet({ inventory: inventory(), transport: f, templates, dryRun: true });
  expect(r.changes.filter((c) => c.action === 'would-set')).toHaveLength(5);
  expect(f.calls.setTags).toEqual([]);
});

test('two IDs that report one serial (a cloned card) are not named: reactivate first', async () => {
  const f = fleet();
  const seal = newSealPair();
  const twin = f.newNodeId({ Fleet: 'pi' });
  f.addBoard({ serial: '10000000000000a2', registeredAs: twin, seal });
  const r = await tagFleet({ inventory: inventory(), transport: f, templates });
  const skipped = r.changes.filter((c) => c.action === 'skipped');
  expect(skipped.map((c) => c.id).sort()).toEqual(['mi-00000000000000002', twin].sort());
  expect(skipped[0]!.detail).toContain('reactivate');
  expect(f.calls.setTags.map((c) => c.id)).not.toContain(twin);
  expect(f.calls.setTags.map((c) => c.id)).not.toContain('mi-00000000000000002');
});
