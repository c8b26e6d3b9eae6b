// A fleet plan built from host snapshots (src/plan/fleet-plan.ts, through test/plan/plan-helpers.ts): a host whose
// OS contradicts its group's is a problem of that host alone; the STNS package notes (the nearest repository,
// Amazon Linux 2's end of support) are on the units they apply to, the group's stns.package_release reaches its
// hosts, and a converged unit still shows its notes.
import { describe, expect, test } from 'vitest';
import { PI_MODEL } from '../../src/model/host-identity.js';
import type { HostSnapshot } from '../../src/model/host-snapshot.js';
import { unitDiffs } from '../../src/output/diff.js';
import { planText } from '../../src/output/plan-report.js';
import type { OsProfileId } from '../../src/profiles/ids.js';
import { applyDesired, render, settings, stock, withFiles } from '../helpers/render.js';
import { inventoryText, planFor, unitOf } from './plan-helpers.js';

/** A stock tree as the facts would show it: a Raspberry Pi board also shows its device-tree model. */
async function host(id: OsProfileId, variant?: string): Promise<HostSnapshot> {
  const s = (await stock(id, undefined, variant)).snapshot;
  return id === 'raspberry-pi-os' ? withFiles(s, { [PI_MODEL]: 'Raspberry Pi 4 Model B Rev 1.5\0' }) : s;
}

test('a contradicted OS is a problem of that host (naming both), the others in the group still plan', async () => {
  const inv = inventoryText({ web: { os: 'debian-12', ids: ['i-0000000000000000a', 'i-0000000000000000b'] } });
  const p = await planFor(inv, [
    { id: 'i-0000000000000000a', group: 'web', snapshot: await host('debian-13') },
    { id: 'i-0000000000000000b', group: 'web', snapshot: await host('debian-12') },
  ]);
  const trixie = unitOf(p, 'i-0000000000000000a');
  expect(trixie.problems).toEqual([expect.stringMatching(/^the inventory says debian-12 but the host is debian-13: Debian GNU\/Linux 13 \(trixie\)/)]);
  expect(unitDiffs(trixie)).toEqual([]); // nothing rendered for it: no bookworm repository written onto a trixie host
  expect(p.hosts.find((h) => h.id === 'i-0000000000000000a')!.status).toBe('error');
  expect(unitOf(p, 'i-0000000000000000b').problems).toEqual([]);
  expect(p.hosts.find((h) => h.id === 'i-0000000000000000b')!.status).toBe('change');
  expect(planText(p)).toMatch(/## web#\d+: 1 host\(s\), group web, unknown OS .*\n.*\n {3}error: the inventory says debian-12 but the host is debian-13/);
});

describe('STNS package notes', () => {
  test('the note is on the hosts it applies to, and the group\'s override reaches them', async () => {
    const inv = inventoryText({
      web: { os: 'auto', ids: ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c'] },
      pinned: { os: 'debian-13', ids: ['i-0000000000000000d'], extra: '    stns: { package_release: trixie }\n' },
    });
    const p = await planFor(inv, [
      { id: 'i-0000000000000000a', group: 'web', snapshot: (await stock('debian-13')).snapshot },
      { id: 'i-0000000000000000b', group: 'web', snapshot: (await stock('debian-12')).snapshot },
      { id: 'i-0000000000000000c', group: 'web', snapshot: (await stock('debian-13')).snapshot, installed: true },
      { id: 'i-0000000000000000d', group: 'pinned', snapshot: (await stock('debian-13')).snapshot },
    ]);
    expect(unitOf(p, 'i-0000000000000000a').notes).toEqual([expect.stringMatching(/upstream builds no trixie repository; installing from the bookworm one/)]);
    expect(unitDiffs(unitOf(p, 'i-0000000000000000a')).join('\n')).toContain('+deb [signed-by=/etc/apt/keyrings/stns-fleet.gpg] https://repo.stns.jp/bookworm/ stns bookworm');
    expect(unitOf(p, 'i-0000000000000000b').notes).toEqual([]);
    expect(unitOf(p, 'i-0000000000000000c').notes).toEqual([]); // the image carries the packages
    expect(unitOf(p, 'i-0000000000000000c').changes?.packages).toEqual({ state: 'installed' });
    expect(unitDiffs(unitOf(p, 'i-0000000000000000d')).join('\n')).toContain('https://repo.stns.jp/trixie/ stns trixie');
    expect(planText(p)).toMatch(/^ {3}note: STNS packages: upstream builds no trixie repository/m);
  });

  test('Amazon Linux 2: end of support is a note on every AL2 unit, converged or not; never an error', async () => {
    const inv = inventoryText({ legacy: { os: 'amazon-linux-2', ids: ['i-0000000000000000a'] } });
    const p = await planFor(inv, [{ id: 'i-0000000000000000a', group: 'legacy', snapshot: (await stock('amazon-linux-2')).snapshot }]);
    const u = unitOf(p, 'i-0000000000000000a');
    expect(u.problems).toEqual([]);
    expect(u.notes).toEqual([expect.stringMatching(/^Amazon Linux 2 reached end of support on 2026-06-30/)]);
    expect(planText(p)).toContain('note: Amazon Linux 2 reached end of support on 2026-06-30');
  });

  test('a converged unit still shows its notes', async () => {
    // The inventory below has no auth token: render the same settings, then take the host as converged.
    const noToken = settings();
    delete noToken.stns.authToken;
    const first = await render('amazon-linux-2', { packagesInstalled: true, settings: noToken });
    const { files } = applyDesired(first.snapshot, first.desired);
    const inv = inventoryText({ legacy: { os: 'amazon-linux-2', ids: ['i-0000000000000000a'] } });
    const p = await planFor(inv, [{ id: 'i-0000000000000000a', group: 'legacy', snapshot: { files }, installed: true }]);
    const u = unitOf(p, 'i-0000000000000000a');
    expect(unitDiffs(u)).toEqual([]);
    expect(u.changed).toBe(false);
    expect(planText(p)).toMatch(/^Already converged: legacy#1 \(1 host\(s\)\)\n {3}note \(legacy#1\): Amazon Linux 2 reached end of support/m);
  });

  test('a trixie Raspberry Pi board gets the bookworm repository and its note', async () => {
    const pi = withFiles((await stock('raspberry-pi-os', undefined, 'trixie')).snapshot, { [PI_MODEL]: 'Raspberry Pi 5 Model B Rev 1.0\0' });
    const inv = inventoryText({ pi: { os: 'raspberry-pi-os', ids: ['mi-0123456789abcdef0'] } });
    const p = await planFor(inv, [{ id: 'mi-0123456789abcdef0', group: 'pi', snapshot: pi, arch: 'arm64', machine: 'arm64' }]);
    const u = unitOf(p, 'mi-0123456789abcdef0');
    expect(u.problems).toEqual([]);
    expect(unitDiffs(u).join('\n')).toContain('https://repo.stns.jp/bookworm/ stns bookworm');
    expect(u.notes?.join('\n')).toMatch(/no trixie repository/);
  });
});
