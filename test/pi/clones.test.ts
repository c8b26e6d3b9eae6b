// Clone detection and naming: pure functions on identities as the identity script reports them.
import { describe, expect, test } from 'vitest';
import { CLONED_TAG, detectClones, type GroupExpectation, type NodeObservation } from '../../src/pi/clones.js';
import { boardKey, parseIdentity, type BoardIdentity } from '../../src/pi/identity-script.js';
import { boardName, serialTail } from '../../src/pi/naming.js';
import { normalizeSerial } from '../../src/pi/settings.js';

function board(serial: string, o: Partial<BoardIdentity> = {}): BoardIdentity {
  return { serial, machineId: 'aa'.repeat(16), macs: [{ iface: 'eth0', mac: `dc:a6:32:00:00:${serial.slice(-2)}` }], ips: [`192.168.1.${parseInt(serial.slice(-2), 16)}`], status: {}, ...o };
}

function node(id: string, polls: (BoardIdentity | { error: string })[], o: Partial<NodeObservation> = {}): NodeObservation {
  return { id, group: 'pi', online: true, tags: {}, polls, ...o };
}

const NO_NAMES: GroupExpectation = { names: new Map(), namePrefix: 'pi', newMachineId: true };
const groups = (g: Partial<GroupExpectation> = {}): Map<string, GroupExpectation> => new Map([['pi', { ...NO_NAMES, ...g }]]);

const X = 'mi-0000000000000000a';
const Y = 'mi-0000000000000000b';
const Z = 'mi-0000000000000000c';

describe('detectClones', () => {
  test('a clean fleet: one board per ID, distinct machine-ids, SSM sees their own IPs: nothing suspected', () => {
    const a = board('10000000000000a1', { machineId: '11'.repeat(16) });
    const b = board('10000000000000b2', { machineId: '22'.repeat(16) });
    const d = detectClones([node(X, [a, a, a], { ssmIp: a.ips[0]! }), node(Y, [b, b, b], { ssmIp: b.ips[0]! })], groups());
    expect(d.suspects).toEqual([]);
    expect(d.warnings).toEqual([]);
  });

  test('an ID whose polls reach different boards is a suspect, with every board seen once, in order', () => {
    const a = board('10000000000000a1');
    const b = board('10000000000000b2');
    const c = board('10000000000000c3');
    const d = detectClones([node(X, [a, b, a, c])], groups());
    expect(d.suspects).toHaveLength(1);
    const s = d.suspects[0]!;
    expect(s.id).toBe(X);
    expect(s.reasons).toEqual([{ kind: 'identity-changed', boards: 3 }]);
    expect(s.boards.map((x) => x.identity.serial)).toEqual(['10000000000000a1', '10000000000000b2', '10000000000000c3']);
    expect(s.boards.map((x) => x.name)).toEqual(['pi-000000a1', 'pi-000000b2', 'pi-000000c3']);
    expect(s).toMatchObject({ expected: 3, expectedFrom: 'seen' });
  });

  test('a reboot (same serial, new boot id) is not a clone', () => {
    const a = board('10000000000000a1', { bootId: 'one' });
    const d = detectClones([node(X, [a, { ...a, bootId: 'two' }])], groups());
    expect(d.suspects).toEqual([]);
  });

  test('the inventory map sets the expected count: boards seen plus listed boards nobody reported', () => {
    const a = board('10000000000000a1');
    const b = board('10000000000000b2');
    const names = new Map([
      [normalizeSerial('10000000000000a1'), 'kitchen'],
      [normalizeSerial('10000000000000b2'), 'garage'],
      [normalizeSerial('10000000000000c3'), 'attic'],
      [normalizeSerial('00000000000000d4'), 'shed'],
    ]);
    const d = detectClones([node(X, [a, b, a])], groups({ names }));
    const s = d.suspects[0]!;
    expect(s).toMatchObject({ expected: 4, expectedFrom: 'inventory' });
    expect(s.missing.map((m) => m.name)).toEqual(['attic', 'shed']);
    expect(s.boards.map((x) => x.name)).toEqual(['kitchen', 'garage']);
  });

  test('IDs whose different boards share a machine-id are all suspects; the same board under one ID is not', () => {
    const m = 'ab'.repeat(16);
    const a = board('10000000000000a1', { machineId: m });
    const b = board('10000000000000b2', { machineId: m });
    const c = board('10000000000000c3', { machineId: 'cd'.repeat(16) });
    const d = detectClones([node(X, [a, a]), node(Y, [b, b]), node(Z, [c, c])], groups());
    expect(d.suspects.map((s) => s.id)).toEqual([X, Y]);
    expect(d.suspects[0]!.reasons).toEqual([{ kind: 'shared-machine-id', machineId: m, with: [Y] }]);
  });

  test('a shared machine-id is only a warning when the group keeps machine-ids (pi.new_machine_id: false)', () => {
    const m = 'ab'.repeat(16);
    const d = detectClones([node(X, [board('10000000000000a1', { machineId: m })]), node(Y, [board('10000000000000b2', { machineId: m })])], groups({ newMachineId: false }));
    expect(d.suspects).toEqual([]);
    expect(d.warnings.join('\n')).toMatch(/share \/etc\/machine-id .*kept/);
  });

  test('SSM pinging from another address: a suspect only when listed boards are missing, else a warning', () => {
    const a = board('10000000000000a1');
    const obs = [node(X, [a, a, a], { ssmIp: '192.168.1.99' })];
    const none = detectClones(obs, groups());
    expect(none.suspects).toEqual([]);
    expect(none.warnings.join('\n')).toContain(`${X}: SSM's last ping came from 192.168.1.99`);

    const names = new Map([
      [normalizeSerial('10000000000000a1'), 'kitchen'],
      [normalizeSerial('10000000000000b2'), 'garage'],
    ]);
    const some = detectClones(obs, groups({ names }));
    expect(some.suspects.map((s) => [s.id, s.reasons, s.expected])).toEqual([[X, [{ kind: 'ip-mismatch', ssmIp: '192.168.1.99' }], 2]]);
  });

  test('an ID tagged by an earlier run, or named with --id, is a suspect even when one board answers', () => {
    const a = board('10000000000000a1');
    const b = board('10000000000000b2', { machineId: 'cd'.repeat(16) });
    const d = detectClones([node(X, [a], { tags: { [CLONED_TAG]: '2026-11-20T10:00:00Z' } }), node(Y, [b])], groups(), { forced: [Y, 'mi-00000000000000fff'] });
    expect(d.suspects.map((s) => [s.id, s.reasons.map((r) => r.kind)])).toEqual([
      [X, ['marked']],
      [Y, ['forced']],
    ]);
    expect(d.warnings.join('\n')).toContain('mi-00000000000000fff (--id) is not a managed node');
  });

  test('an offline ID tagged cloned is a suspect (to be retired), and online nodes that never answered are reported', () => {
    const d = detectClones([node(X, [], { online: false, tags: { [CLONED_TAG]: 'x' } }), node(Y, [{ error: 'Failed/Failed' }, { error: 'Failed/Failed' }])], groups());
    expect(d.suspects.map((s) => [s.id, s.online])).toEqual([[X, false]]);
    expect(d.warnings).toEqual([`${Y}: no identity from any poll (Failed/Failed)`]);
  });
});

describe('naming', () => {
  const src = { names: new Map([[normalizeSerial('00000000a1b2c3d4'), 'kitchen']]), namePrefix: 'pi' };
  test('the inventory name first, matched whatever the zero padding or case', () => {
    expect(boardName({ serial: '00000000A1B2C3D4' }, src)).toEqual({ name: 'kitchen', from: 'inventory' });
    expect(boardName({ serial: 'a1b2c3d4' }, src)).toEqual({ name: 'kitchen', from: 'inventory' });
  });
  test('else prefix and the last 8 digits of the serial, else of the MAC', () => {
    expect(boardName({ serial: '10000000deadbeef' }, src)).toEqual({ name: 'pi-deadbeef', from: 'serial' });
    expect(boardName({ serial: 'beef' }, { ...src, namePrefix: 'edge' })).toEqual({ name: 'edge-0000beef', from: 'serial' });
    expect(boardName({ macs: [{ mac: '00:00:00:00:00:00' }, { mac: 'dc:a6:32:12:34:56' }] }, src)).toEqual({ name: 'pi-123456', from: 'mac' });
    expect(boardName({ macs: [] }, src)).toBeUndefined();
  });
  test('serialTail pads as /proc/cpuinfo prints', () => {
    expect(serialTail('a1')).toBe('000000a1');
    expect(serialTail('10000000A1B2C3D4')).toBe('a1b2c3d4');
  });
});

describe('parseIdentity and boardKey', () => {
  const out = [
    'noise before',
    'STNS_FLEET_PI_IDENTITY v1',
    'serial 10000000A1B2C3D4',
    'model Raspberry Pi 4 Model B Rev 1.5',
    'machine_id 0123456789abcdef0123456789abcdef',
    'hostname raspberrypi',
    'boot_id 3f1e2d3c-1111-2222-3333-444455556666',
    'mac eth0 DC:A6:32:01:02:03',
    'mac wlan0 dc:a6:32:01:02:04',
    'ip 192.168.1.20',
    'managed_id mi-0123456789abcdef0',
    'region ap-northeast-1',
    'seal none',
    'status state=done',
    'status new=mi-0123456789abcdef1',
    'STNS_FLEET_PI_IDENTITY_END',
  ].join('\n');

  test('every field, lowercased where it is hex; no seal key when the board has none', () => {
    const i = parseIdentity(out);
    expect(i).toEqual({
      serial: '10000000a1b2c3d4',
      model: 'Raspberry Pi 4 Model B Rev 1.5',
      machineId: '0123456789abcdef0123456789abcdef',
      hostname: 'raspberrypi',
      bootId: '3f1e2d3c-1111-2222-3333-444455556666',
      macs: [
        { iface: 'eth0', mac: 'dc:a6:32:01:02:03' },
        { iface: 'wlan0', mac: 'dc:a6:32:01:02:04' },
      ],
      ips: ['192.168.1.20'],
      managedId: 'mi-0123456789abcdef0',
      region: 'ap-northeast-1',
      status: { state: 'done', new: 'mi-0123456789abcdef1' },
    });
  });

  test('a truncated output is an error, not a half identity', () => {
    expect(parseIdentity(out.split('STNS_FLEET_PI_IDENTITY_END')[0]!)).toEqual({ error: 'the identity output is incomplete (no END line)' });
    expect(parseIdentity('hello')).toHaveProperty('error');
  });

  test('boardKey: the serial (normalised), else the first real MAC, else the boot id', () => {
    expect(boardKey({ serial: '00000000A1B2', macs: [] })).toBe('serial:a1b2');
    expect(boardKey({ macs: [{ iface: 'a', mac: '00:00:00:00:00:00' }, { iface: 'b', mac: 'dc:a6:32:01:02:03' }] })).toBe('mac:dc:a6:32:01:02:03');
    expect(boardKey({ macs: [], bootId: 'x' })).toBe('boot:x');
  });
});
