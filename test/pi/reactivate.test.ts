// reactivate against a fake fleet of boards cloned from one SD card (test/pi/fake-fleet.ts): commands to a
// shared ID reach one board; a board that receives the re-register script opens the sealed activation with
// its own RSA key and moves to a new ID after its delay, or stays put when the activation is no good.
import { beforeAll, describe, expect, test } from 'vitest';
import { parseInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/schema.js';
import { CLONED_TAG } from '../../src/pi/clones.js';
import { PREVIOUS_ID_TAG, REACTIVATED_TAG, reactivate, type ReactivateOptions, type ReactivateReport } from '../../src/pi/reactivate.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { FakeFleet, newSealPair, type FakeBoard, type SealPair } from './fake-fleet.js';
import { INVENTORY_HEAD } from '../helpers/inventory.js';

let templates: Templates;
let imageKey: SealPair;
beforeAll(async () => {
  templates = await loadTemplates(undefined, ['host/pi-identity.sh', 'host/pi-reregister.sh']);
  imageKey = newSealPair(); // one SD card image: every clone carries the same seal key
});

const SERIALS = ['10000000a1b2c301', '10000000a1b2c302', '10000000a1b2c303', '10000000a1b2c304', '10000000a1b2c305'];
const NAMES = ['kitchen', 'garage', 'attic', 'shed', 'porch'];

function inventory(o: { names?: boolean; iamRole?: string | null } = {}): Inventory {
  const pi = [
    ...(o.iamRole === null ? [] : [`        iam_role: ${o.iamRole ?? 'SSMHybridPiRole'}`]),
    ...(o.names === false ? [] : ['        names:', ...SERIALS.map((s, i) => `          "${s}": ${NAMES[i]}`)]),
  ];
  const text = [
    ...INVENTORY_HEAD,
    '  edge-pi:',
    '    targets:',
    '      - tags: { Fleet: pi }',
    ...(pi.length > 0 ? ['    pi:', ...pi] : []),
    '',
  ].join('\n');
  const r = parseInventory(text, 'inv.yaml');
  expect(r.problems).toEqual([]);
  return r.inventory!;
}

/** `n` boards cloned from one registered card: all hold the golden board's ID. */
function clonedFleet(mode: 'last-booted' | 'flapping', n = 5): { f: FakeFleet; golden: string; boards: FakeBoard[] } {
  const f = new FakeFleet(mode);
  const golden = f.newNodeId({ Fleet: 'pi', Name: 'golden', Owner: 'iot-team' });
  const boards = SERIALS.slice(0, n).map((serial) => f.addBoard({ serial, registeredAs: golden, seal: imageKey, machineId: 'ab'.repeat(16), hostKey: 'SHA256:image' }));
  return { f, golden, boards };
}

function run(f: FakeFleet, inv: Inventory, o: Partial<ReactivateOptions> = {}): Promise<ReactivateReport> {
  return reactivate({ inventory: inv, transport: f, templates, region: 'ap-northeast-1', now: f.now, sleep: f.sleep, ...o });
}

/** No activation code anywhere a person or SSM history could see it. */
function expectNoCode(f: FakeFleet, r: ReactivateReport): void {
  const codes = [...f.activations.values()].map((a) => a.code);
  expect(codes.length).toBeGreaterThan(0);
  const seen = JSON.stringify([f.requests, r]);
  for (const c of codes) expect(seen).not.toContain(c);
}

describe('reactivate', () => {
  test('5 boards cloned under one ID end as 5 online nodes with their own IDs and names; the old ID is deregistered, the activation deleted', async () => {
    const { f, golden, boards } = clonedFleet('last-booted');
    const r = await run(f, inventory());

    expect(r.clean).toBe(false);
    expect(r.ids).toMatchObject([{ id: golden, action: 'deregistered', expected: 5, expectedFrom: 'inventory' }]);
    expect(r.ids[0]!.reasons.join(' ')).toContain("SSM's last ping came from");
    // every board on its own ID, which SSM sees online, tagged as the inventory says
    const ids = boards.map((b) => b.registeredAs!);
    expect(new Set(ids).size).toBe(5);
    expect(ids).not.toContain(golden);
    expect(f.onlineNodes().sort()).toEqual([...ids].sort());
    for (const [i, b] of boards.entries()) {
      const tags = f.nodes.get(b.registeredAs!)!.tags;
      expect(tags).toMatchObject({ Name: NAMES[i], Fleet: 'pi', Owner: 'iot-team', [PREVIOUS_ID_TAG]: golden, [REACTIVATED_TAG]: r.stamp });
    }
    // every board got a fresh machine-id and host key
    expect(new Set(boards.map((b) => b.machineId)).size).toBe(5);
    expect(boards.map((b) => b.machineId)).not.toContain('ab'.repeat(16));
    expect(boards.map((b) => b.hostKey)).not.toContain('SHA256:image');
    // the old ID is gone; one activation, sized to the boards, created and deleted
    expect(f.calls.deregister).toEqual([golden]);
    expect(f.calls.createActivation).toHaveLength(1);
    expect(f.calls.createActivation[0]).toMatchObject({ iamRole: 'SSMHybridPiRole', registrationLimit: 7, tags: { Fleet: 'pi', Owner: 'iot-team', [REACTIVATED_TAG]: r.stamp } });
    expect(f.calls.createActivation[0]!.tags).not.toHaveProperty('Name');
    const act = [...f.activations.values()][0]!;
    expect(act.expiresAt - act.createdAt).toBe(3_600_000); // one hour
    expect(f.calls.deleteActivation).toEqual([act.id]);
    expect(r.activations).toEqual([expect.objectContaining({ activationId: act.id, deleted: true })]);
    expect(r.boards.map((b) => [b.serial, b.name, b.outcome])).toEqual(
      [...boards].reverse().map((b) => [b.serial, NAMES[SERIALS.indexOf(b.serial)], 'moved']), // last-booted first
    );
    expectNoCode(f, r);
    // the code travelled sealed: the re-register scripts carry a wrapped key and ciphertext only
    const rereg = f.requests.filter((q) => q.comment.startsWith('stns-fleet pi reregister'));
    expect(rereg).toHaveLength(5);
    for (const q of rereg) expect(q.script).toMatch(/^sf_seal [0-9a-f]{16} \S+$/m);
  });

  test('re-running on the now clean fleet changes nothing: no activation, no script but the identity polls', async () => {
    const { f } = clonedFleet('last-booted');
    await run(f, inventory());
    const before = { create: f.calls.createActivation.length, tags: f.calls.setTags.length, dereg: f.calls.deregister.length, req: f.requests.length };
    const r = await run(f, inventory());
    expect(r.clean).toBe(true);
    expect(r.ids).toEqual([]);
    expect(r.boards).toEqual([]);
    expect(f.calls.createActivation).toHaveLength(before.create);
    expect(f.calls.setTags).toHaveLength(before.tags);
    expect(f.calls.deregister).toHaveLength(before.dereg);
    const newRequests = f.requests.slice(before.req);
    expect(newRequests).toHaveLength(3); // the three identity polls
    expect(newRequests.every((q) => q.comment === 'stns-fleet pi identity (read-only)' && q.instanceIds.length === 5)).toBe(true);
  });

  test('boards that take turns answering are found by their polls and all moved, without an inventory map', async () => {
    const { f, golden, boards } = clonedFleet('flapping', 3);
    const r = await run(f, inventory({ names: false }));
    expect(r.ids).toMatchObject([{ id: golden, action: 'deregistered', expectedFrom: 'seen', boardsSeen: 3 }]);
    expect(r.ids[0]!.reasons).toEqual(['3 different boards answered its polls']);
    expect(new Set(boards.map((b) => b.registeredAs)).size).toBe(3);
    expect(boards.map((b) => f.nodes.get(b.registeredAs!)!.tags['Name']).sort()).toEqual(['pi-a1b2c301', 'pi-a1b2c302', 'pi-a1b2c303']);
    expect(f.calls.deregister).toEqual([golden]);
    expect(f.calls.deleteActivation).toHaveLength(1);
  });

  test('a board switched off during the run is reported, the old ID kept for it; a later run moves it and retires the ID', async () => {
    const { f, golden, boards } = clonedFleet('last-booted');
    const off = boards[2]!;
    off.online = false;
    const r1 = await run(f, inventory());
    expect(r1.boards.filter((b) => b.outcome === 'moved')).toHaveLength(4);
    expect(r1.boards.filter((b) => b.outcome === 'offline')).toEqual([expect.objectContaining({ serial: off.serial, name: 'attic', oldId: golden })]);
    expect(r1.ids).toMatchObject([{ id: golden, action: 'kept' }]);
    expect(r1.ids[0]!.detail).toContain('attic');
    expect(f.calls.deregister).toEqual([]);
    expect(f.nodes.get(golden)!.tags[CLONED_TAG]).toBe(r1.stamp);
    expect(off.registeredAs).toBe(golden);
    expect(f.calls.deleteActivation).toHaveLength(1);

    f.clock += 86_400_000;
    f.powerOn(off);
    const r2 = await run(f, inventory());
    expect(r2.ids).toMatchObject([{ id: golden, action: 'deregistered' }]);
    expect(r2.ids[0]!.reasons.join(' ')).toContain(`tagged ${CLONED_TAG}`);
    expect(r2.boards).toEqual([expect.objectContaining({ serial: off.serial, name: 'attic', outcome: 'moved', newId: off.registeredAs })]);
    expect(off.registeredAs).not.toBe(golden);
    expect(f.onlineNodes()).toHaveLength(5);
    expect(f.calls.deregister).toEqual([golden]);
    expect(f.calls.createActivation).toHaveLength(2);
    expect(f.calls.createActivation[1]!.registrationLimit).toBe(3); // one board + margin
    expect(f.calls.deleteActivation).toHaveLength(2);
  });

  test('an activation that expires mid-run is noticed (the board comes back on its old ID, registration failed) and replaced once', async () => {
    const { f, golden, boards } = clonedFleet('last-booted');
    f.onRegistered = (n) => {
      if (n === 2) f.expireAllActivations();
    };
    const r = await run(f, inventory());
    expect(f.calls.createActivation).toHaveLength(2);
    expect(r.activations.map((a) => [a.replaced, a.deleted])).toEqual([
      [undefined, true],
      ['expired', true],
    ]);
    expect(r.warnings.join('\n')).toMatch(/could not register .*creating a new activation/);
    expect(new Set(boards.map((b) => b.registeredAs)).size).toBe(5);
    expect(boards.map((b) => b.registeredAs)).not.toContain(golden);
    expect(r.ids).toMatchObject([{ id: golden, action: 'deregistered' }]);
    expect(r.boards.every((b) => b.outcome === 'moved')).toBe(true);
    expectNoCode(f, r);
  });

  test('an activation that fails again after the one replacement: the board is reported failed, the old ID kept, both activations deleted', async () => {
    const { f, golden, boards } = clonedFleet('flapping', 3);
    f.onRegistered = () => f.expireAllActivations();
    const original = f.createActivation.bind(f);
    let n = 0;
    f.createActivation = async (o) => {
      const a = await original(o);
      if (++n === 2) f.expireAllActivations();
      return a;
    };
    const r = await run(f, inventory({ names: false }));
    expect(f.calls.createActivation).toHaveLength(2);
    expect(r.boards.filter((b) => b.outcome === 'moved')).toHaveLength(1);
    expect(r.boards.find((b) => b.outcome === 'failed')?.detail).toMatch(/registration failed again with a new activation/);
    expect(r.ids).toMatchObject([{ id: golden, action: 'kept' }]);
    expect(f.calls.deregister).toEqual([]);
    expect(boards.filter((b) => b.registeredAs === golden)).toHaveLength(2); // nobody lost: they keep the old ID
    expect(r.activations.every((a) => a.deleted)).toBe(true);
  });

  test('interrupted after the first board: stops, deletes the activation, keeps the old ID', async () => {
    const { f, golden } = clonedFleet('last-booted');
    const ac = new AbortController();
    const r = await run(f, inventory(), { signal: ac.signal, onEvent: (e) => e.text.includes(' is now ') && ac.abort() });
    expect(r.aborted).toBe('interrupted');
    expect(r.boards.filter((b) => b.outcome === 'moved')).toHaveLength(1);
    expect(f.calls.deleteActivation).toHaveLength(1);
    expect(f.calls.deregister).toEqual([]);
    expect(f.nodes.get(golden)!.deregistered).toBe(false);
  });

  test('--dry-run reports the suspect and its boards and changes nothing', async () => {
    const { f, golden } = clonedFleet('flapping', 3);
    const r = await run(f, inventory(), { dryRun: true });
    expect(r.ids).toMatchObject([{ id: golden, action: 'planned', expected: 5 }]);
    expect(r.boards.filter((b) => b.outcome === 'planned')).toHaveLength(3);
    expect(r.boards.filter((b) => b.outcome === 'offline').map((b) => b.name)).toEqual(['shed', 'porch']);
    expect(f.calls.createActivation).toEqual([]);
    expect(f.requests.every((q) => q.comment === 'stns-fleet pi identity (read-only)')).toBe(true);
  });

  test('a group without pi.iam_role: the suspect is reported, nothing is created', async () => {
    const { f, golden } = clonedFleet('flapping', 2);
    const r = await run(f, inventory({ iamRole: null, names: false }));
    expect(r.ids).toMatchObject([{ id: golden, action: 'kept' }]);
    expect(r.ids[0]!.detail).toContain('pi.iam_role');
    expect(r.boards.every((b) => b.outcome === 'failed')).toBe(true);
    expect(f.calls.createActivation).toEqual([]);
  });
});
