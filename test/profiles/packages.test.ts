// STNS packages where upstream builds none (no trixie, resolute or AL2023 repository; no armhf): the documented
// nearest repository (src/profiles/package-releases.ts), shown as a note on the hosts it applies to, replaced by
// the group's stns.package_release, refused for armhf with the reason, and nothing at all when the image already
// carries the packages. Amazon Linux 2's end of support is a note too.
import { describe, expect, test } from 'vitest';
import { PI_MODEL } from '../../src/model/host-identity.js';
import { planText } from '../../src/output/plan-report.js';
import { NEAREST_RELEASE } from '../../src/profiles/package-releases.js';
import type { OsProfileId } from '../../src/profiles/ids.js';
import { applyDesired, render, settings, stock, withFiles } from '../helpers/render.js';
import { inventoryText, planFor, unitOf } from './plan-helpers.js';

const repoFile = (r: Awaited<ReturnType<typeof render>>, path: string): string => r.desired.files.find((f) => f.path === path)?.content?.toString('utf8') ?? '';
const APT_LIST = '/etc/apt/sources.list.d/stns-fleet.list';
const YUM_REPO = '/etc/yum.repos.d/stns-fleet.repo';

describe('the nearest repository, as a note', () => {
  test.each<[OsProfileId, string | undefined, string, RegExp]>([
    ['debian-13', undefined, 'bookworm', /upstream builds no trixie repository; installing from the bookworm one/],
    ['raspberry-pi-os', 'trixie', 'bookworm', /upstream builds no trixie repository; installing from the bookworm one/],
    ['ubuntu-26.04', undefined, 'noble', /upstream builds no resolute repository; installing from the noble one/],
  ])('%s (%s) installs from %s', async (id, variant, release, note) => {
    const r = await render(id, { ...(variant ? { variant } : {}), packagesInstalled: false });
    expect(r.desired.problems).toEqual([]);
    expect(repoFile(r, APT_LIST)).toContain(`https://repo.stns.jp/${release}/ stns ${release}\n`);
    expect(r.desired.packages?.release).toBe(release);
    expect(r.desired.notes).toEqual(expect.arrayContaining([expect.stringMatching(note)]));
    expect(r.desired.notes.join('\n')).toMatch(/stns\.package_release/); // says how to choose another
  });

  test('amazon-linux-2023 installs from the el9 tree, with the note', async () => {
    const r = await render('amazon-linux-2023', { packagesInstalled: false });
    expect(repoFile(r, YUM_REPO)).toContain('baseurl=https://repo.stns.jp/almalinux/$basearch/9\n');
    expect(r.desired.notes.join('\n')).toMatch(/upstream builds no Amazon Linux 2023 repository; installing from the el9 one/);
  });

  test.each<OsProfileId>(['debian-12', 'ubuntu-24.04', 'debian-11', 'ubuntu-20.04'])('%s has its own repository: no package note', async (id) => {
    const r = await render(id, { packagesInstalled: false });
    expect(r.desired.notes).toEqual([]);
  });

  test('the mapping is documented for exactly the releases upstream does not build', () => {
    expect(Object.fromEntries(Object.entries(NEAREST_RELEASE).map(([k, v]) => [k, v.release]))).toEqual({ trixie: 'bookworm', resolute: 'noble', amzn2023: 'el9' });
  });

  test('an image that already carries the packages installs nothing: no repository file, no package note', async () => {
    const r = await render('debian-13', { packagesInstalled: true });
    expect(r.desired.packages).toBeNull();
    expect(r.desired.files.some((f) => f.role === 'repo')).toBe(false);
    expect(r.desired.notes).toEqual([]);
  });

  test('unknown (render without a host): the note is conditional', async () => {
    const r = await render('debian-13');
    expect(r.desired.notes).toEqual([expect.stringMatching(/^if the packages are missing: STNS packages: upstream builds no trixie repository/)]);
  });
});

describe('stns.package_release replaces the choice', () => {
  const withRelease = (packageRelease: string) => settings({ packageRelease });

  test('a Debian 13 group that says trixie (once upstream builds it) gets trixie, with a note that stns-fleet does not know it', async () => {
    const r = await render('debian-13', { packagesInstalled: false, settings: withRelease('trixie') });
    expect(repoFile(r, APT_LIST)).toContain('https://repo.stns.jp/trixie/ stns trixie\n');
    expect(r.desired.notes.join('\n')).toMatch(/from the trixie repository, as stns\.package_release says for this group \(the host is trixie\); stns-fleet knows no such STNS repository/);
  });

  test('an Ubuntu 26.04 group may choose jammy; a Debian 12 group naming its own release gets no note', async () => {
    const r = await render('ubuntu-26.04', { packagesInstalled: false, settings: withRelease('jammy') });
    expect(repoFile(r, APT_LIST)).toContain('https://repo.stns.jp/jammy/ stns jammy\n');
    expect(r.desired.notes.join('\n')).toMatch(/from the jammy repository, as stns\.package_release says for this group \(the host is resolute\)$/m);
    const own = await render('debian-12', { packagesInstalled: false, settings: withRelease('bookworm') });
    expect(own.desired.notes).toEqual([]);
  });

  test('a yum tree on an apt host, or an apt codename on Amazon Linux, is refused with the choices', async () => {
    const apt = await render('debian-13', { packagesInstalled: false, settings: withRelease('el9') });
    expect(apt.desired.problems).toEqual([expect.stringMatching(/^unsupported: stns\.package_release is el9, an STNS yum repository; this host installs with apt/)]);
    const rpm = await render('amazon-linux-2023', { packagesInstalled: false, settings: withRelease('bookworm') });
    expect(rpm.desired.problems).toEqual([expect.stringMatching(/stns\.package_release is bookworm; the STNS yum repositories are el9, el7, amzn2/)]);
  });

  test('AL2023 told el9 explicitly: the inventory\'s choice is noted', async () => {
    const r = await render('amazon-linux-2023', { packagesInstalled: false, settings: withRelease('el9') });
    expect(repoFile(r, YUM_REPO)).toContain('almalinux/$basearch/9');
    expect(r.desired.notes.join('\n')).toMatch(/from the el9 repository \(almalinux\/\$basearch\/9\), as stns\.package_release says/);
  });
});

describe('armhf: no packages anywhere', () => {
  test('32-bit Raspberry Pi OS is refused with the reason, whatever the release says; nothing when the packages are there', async () => {
    for (const s of [undefined, 'bookworm']) {
      const r = await render('raspberry-pi-os', { arch: 'armhf', packagesInstalled: false, ...(s ? { settings: settings({ packageRelease: s }) } : {}) });
      expect(r.desired.problems).toEqual([expect.stringMatching(/^unsupported: the STNS apt repository builds amd64 and arm64 only; this host is armhf/)]);
    }
    const present = await render('raspberry-pi-os', { arch: 'armhf', packagesInstalled: true });
    expect(present.desired.problems).toEqual([]);
    expect(present.desired.packages).toBeNull();
  });
});

describe('in plan', () => {
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
    expect(unitOf(p, 'i-0000000000000000a').diffs.join('\n')).toContain('+deb [signed-by=/etc/apt/keyrings/stns-fleet.gpg] https://repo.stns.jp/bookworm/ stns bookworm');
    expect(unitOf(p, 'i-0000000000000000b').notes).toEqual([]);
    expect(unitOf(p, 'i-0000000000000000c').notes).toEqual([]); // the image carries the packages
    expect(unitOf(p, 'i-0000000000000000c').packages).toEqual([]);
    expect(unitOf(p, 'i-0000000000000000d').diffs.join('\n')).toContain('https://repo.stns.jp/trixie/ stns trixie');
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
    expect(u.diffs).toEqual([]);
    expect(u.changed).toBe(false);
    expect(planText(p)).toMatch(/^Already converged: legacy#1 \(1 host\(s\)\)\n {3}note \(legacy#1\): Amazon Linux 2 reached end of support/m);
  });

  test('a trixie Raspberry Pi board gets the bookworm repository and its note', async () => {
    const pi = withFiles((await stock('raspberry-pi-os', undefined, 'trixie')).snapshot, { [PI_MODEL]: 'Raspberry Pi 5 Model B Rev 1.0\0' });
    const inv = inventoryText({ pi: { os: 'raspberry-pi-os', ids: ['mi-0123456789abcdef0'] } });
    const p = await planFor(inv, [{ id: 'mi-0123456789abcdef0', group: 'pi', snapshot: pi, arch: 'arm64', machine: 'arm64' }]);
    const u = unitOf(p, 'mi-0123456789abcdef0');
    expect(u.problems).toEqual([]);
    expect(u.diffs.join('\n')).toContain('https://repo.stns.jp/bookworm/ stns bookworm');
    expect(u.notes?.join('\n')).toMatch(/no trixie repository/);
  });
});
