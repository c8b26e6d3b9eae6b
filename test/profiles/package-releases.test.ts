// STNS packages where upstream builds none (no trixie, resolute or AL2023 repository; no armhf): the documented
// nearest repository (src/profiles/package-releases.ts), shown as a note on the hosts it applies to, replaced by
// the group's stns.package_release, refused for armhf with the reason, and nothing at all when the image already
// carries the packages (rendered for one host here; the notes in a fleet plan: test/plan/fleet-plan.test.ts).
import { describe, expect, test } from 'vitest';
import { NEAREST_RELEASE } from '../../src/profiles/package-releases.js';
import type { OsProfileId } from '../../src/profiles/ids.js';
import { render, settings } from '../helpers/render.js';

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
