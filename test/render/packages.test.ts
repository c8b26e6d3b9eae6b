// How a host gets the STNS packages (src/render/packages.ts): per package manager and release, the package list,
// the repository definition and its key, and the install commands. The apt keyring is the shipped armored key
// dearmored: compared with what `gpg --dearmor` makes of the same file, and the key is the one templates/keys/
// SOURCE.md documents (its fingerprint, read by gpg). How the files show in a plan: repository-files.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isFleetError } from '../../src/errors.js';
import { profileById } from '../../src/profiles/index.js';
import type { Arch, HostIdentity } from '../../src/profiles/types.js';
import { dearmor, packagesFor, planPackages, REPO_FILES, type PackagePlan } from '../../src/render/packages.js';
import { BUILTIN_TEMPLATES, loadTemplates, type Templates } from '../../src/render/templates.js';
import { settings } from '../helpers/render.js';

const ARMORED = readFileSync(path.join(BUILTIN_TEMPLATES, 'keys/stns-repo.asc'), 'utf8');
const FINGERPRINT = 'ED9008B740C6735CB3EF098C37DE344F75E258B6'; // templates/keys/SOURCE.md

let t: Templates;
let gnupg: string;
beforeAll(async () => {
  t = await loadTemplates();
  gnupg = mkdtempSync(path.join(tmpdir(), 'sf-gnupg-'));
});
afterAll(() => rmSync(gnupg, { recursive: true, force: true }));

/** gpg, with a throwaway home (never the user's keyring). */
const gpg = (args: string[], input: string | Buffer): Buffer => execFileSync('gpg', ['--batch', '--quiet', '--no-options', ...args], { input, env: { ...process.env, GNUPGHOME: gnupg } });

const identity = (osRelease: Record<string, string>, arch: Arch = 'amd64', raspberryPi = false): HostIdentity => ({ osRelease, arch, raspberryPi });
const DEBIAN_12 = identity({ ID: 'debian', VERSION_ID: '12', VERSION_CODENAME: 'bookworm' });
const stns = (over: Parameters<typeof settings>[0] = {}) => settings(over).stns;

function planned(id: string, h: HostIdentity, over: Parameters<typeof settings>[0] = {}): PackagePlan {
  const p = planPackages(profileById(id), h, stns(over), t);
  if ('unsupported' in p) throw new Error(`unsupported: ${p.unsupported}`);
  return p;
}
const files = (p: PackagePlan) => Object.fromEntries(p.files.map((f) => [f.path, { text: f.content.toString('utf8'), mode: f.mode }]));

describe('dearmor', () => {
  test('the shipped key, dearmored, is byte for byte what gpg --dearmor makes of it', () => {
    const mine = dearmor(ARMORED);
    expect(mine.length).toBeGreaterThan(1000);
    expect(mine.equals(gpg(['--dearmor'], ARMORED))).toBe(true);
  });

  test('it is the documented STNS key (fingerprint and user ID, as gpg reads the binary form)', () => {
    const colons = gpg(['--with-colons', '--show-keys'], dearmor(ARMORED)).toString('utf8');
    expect(colons).toMatch(new RegExp(`^fpr:+${FINGERPRINT}:$`, 'm'));
    expect(colons).toMatch(/^uid:.*stns-server <www\.kazu\.com@gmail\.com>/m);
    expect(colons).toMatch(/^pub:[^:]*:4096:1:/m); // rsa4096
  });

  test('armor headers, CRLF line ends and text around the block do not change the key', () => {
    const lines = ARMORED.trim().split('\n');
    const withHeaders = ['some text before', lines[0], 'Version: GnuPG v2', 'Comment: the STNS key', ...lines.slice(1), 'and after', ''].join('\r\n');
    expect(dearmor(withHeaders).equals(gpg(['--dearmor'], ARMORED))).toBe(true);
  });

  test('the body is the base64 between the blank line and the checksum line', () => {
    // Cut by hand: the lines after the first blank one, up to the "=XXXX" checksum line.
    const lines = ARMORED.split('\n');
    const body = lines.slice(lines.indexOf('') + 1, lines.findIndex((l) => /^=[A-Za-z0-9+/]{4}$/.test(l)));
    expect(body.length).toBeGreaterThan(10);
    expect(dearmor(ARMORED).toString('base64')).toBe(body.join(''));
  });

  test('a file that is no armored public key is the user\'s to fix (a UserError naming the file)', () => {
    for (const text of ['', 'not a key\n', ARMORED.replace('PUBLIC KEY BLOCK-----\n\n', 'PRIVATE KEY BLOCK-----\n\n').replace(/-----END PGP PUBLIC/, '-----END PGP PRIVATE')]) {
      let e: unknown;
      try {
        dearmor(text);
      } catch (x) {
        e = x;
      }
      expect(isFleetError(e) && e.kind).toBe('user');
      expect((e as Error).message).toBe('templates: keys/stns-repo.asc is not an ASCII-armored OpenPGP public key');
    }
  });
});

describe('apt', () => {
  const COMMANDS = (pkgs: string) => [
    'apt-get update -o Dir::Etc::sourcelist=sources.list.d/stns-fleet.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 -o Acquire::Retries=1 -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20',
    `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold ${pkgs}`,
  ];

  test('Debian 12: the bookworm list signed by the dearmored key, both packages, only the STNS list refreshed', () => {
    const p = planned('debian-12', DEBIAN_12);
    expect(p.manager).toBe('apt');
    expect(p.packages).toEqual(['libnss-stns-v2', 'cache-stnsd']);
    expect(p.release).toBe('bookworm');
    expect(p.note).toBeUndefined();
    expect(p.files.map((f) => f.path)).toEqual(['/etc/apt/keyrings/stns-fleet.gpg', '/etc/apt/sources.list.d/stns-fleet.list']);
    expect(files(p)['/etc/apt/sources.list.d/stns-fleet.list']).toEqual({
      text: '# Managed by stns-fleet: the STNS package repository.\ndeb [signed-by=/etc/apt/keyrings/stns-fleet.gpg] https://repo.stns.jp/bookworm/ stns bookworm\n',
      mode: 0o644,
    });
    const keyring = p.files.find((f) => f.path === REPO_FILES.debian.keyring)!;
    expect(keyring.mode).toBe(0o644);
    expect(keyring.content.equals(gpg(['--dearmor'], ARMORED))).toBe(true);
    expect(p.commands).toEqual(COMMANDS('libnss-stns-v2 cache-stnsd'));
  });

  test('without the cache daemon: libnss-stns-v2 alone', () => {
    const p = planned('debian-12', DEBIAN_12, { cached: { enable: false } });
    expect(p.packages).toEqual(['libnss-stns-v2']);
    expect(packagesFor(stns({ cached: { enable: false } }))).toEqual(['libnss-stns-v2']);
    expect(p.commands[1]).toBe(COMMANDS('libnss-stns-v2')[1]);
  });

  test.each([
    ['ubuntu-20.04', identity({ ID: 'ubuntu', VERSION_ID: '20.04' }), 'focal'],
    ['ubuntu-22.04', identity({ ID: 'ubuntu', VERSION_ID: '22.04' }), 'jammy'],
    ['ubuntu-24.04', identity({ ID: 'ubuntu', VERSION_ID: '24.04' }, 'arm64'), 'noble'],
    ['debian-11', identity({ ID: 'debian', VERSION_ID: '11' }), 'bullseye'],
    ['raspberry-pi-os', identity({ ID: 'debian', VERSION_ID: '12', VERSION_CODENAME: 'bookworm' }, 'arm64', true), 'bookworm'],
    ['raspberry-pi-os', identity({ ID: 'debian', VERSION_ID: '11' }, 'arm64', true), 'bullseye'],
  ])('%s: its own release, %s', (id, h, release) => {
    const p = planned(id, h);
    expect(files(p)['/etc/apt/sources.list.d/stns-fleet.list']!.text).toBe(
      `# Managed by stns-fleet: the STNS package repository.\ndeb [signed-by=/etc/apt/keyrings/stns-fleet.gpg] https://repo.stns.jp/${release}/ stns ${release}\n`,
    );
    expect(p.release).toBe(release);
    expect(p.note).toBeUndefined();
  });

  test.each([
    ['debian-13', identity({ ID: 'debian', VERSION_ID: '13' }), 'trixie', 'bookworm'],
    ['ubuntu-26.04', identity({ ID: 'ubuntu', VERSION_ID: '26.04' }), 'resolute', 'noble'],
    ['raspberry-pi-os', identity({ ID: 'debian', VERSION_ID: '13', VERSION_CODENAME: 'trixie' }, 'arm64', true), 'trixie', 'bookworm'],
  ])('%s: no %s repository upstream, so the %s one, with the note', (id, h, own, release) => {
    const p = planned(id, h);
    expect(files(p)['/etc/apt/sources.list.d/stns-fleet.list']!.text).toContain(` https://repo.stns.jp/${release}/ stns ${release}\n`);
    expect(p.release).toBe(release);
    expect(p.note).toMatch(new RegExp(`^STNS packages: upstream builds no ${own} repository; installing from the ${release} one`));
  });

  test('the inventory\'s repository (trailing slashes dropped) and release', () => {
    const p = planned('debian-12', DEBIAN_12, { packageRepository: 'https://mirror.example.com/stns//', packageRelease: 'jammy' });
    expect(files(p)['/etc/apt/sources.list.d/stns-fleet.list']!.text).toContain('deb [signed-by=/etc/apt/keyrings/stns-fleet.gpg] https://mirror.example.com/stns/jammy/ stns jammy\n');
    expect(p.release).toBe('jammy');
    expect(p.note).toMatch(/as stns\.package_release says for this group \(the host is bookworm\)/);
  });

  test('no packages for armhf or i386, whatever the release; a yum tree named for an apt host is refused', () => {
    for (const arch of ['armhf', 'i386'] as const) {
      const r = planPackages(profileById('raspberry-pi-os'), identity({ ID: 'raspbian', VERSION_ID: '12' }, arch, true), stns(), t);
      expect(r).toEqual({ unsupported: expect.stringMatching(new RegExp(`^the STNS apt repository builds amd64 and arm64 only; this host is ${arch}\\.`)) });
    }
    expect(planPackages(profileById('debian-12'), DEBIAN_12, stns({ packageRelease: 'el9' }), t)).toEqual({ unsupported: expect.stringMatching(/^stns\.package_release is el9, an STNS yum repository; this host installs with apt/) });
  });
});

describe('yum and dnf', () => {
  const repoText = (baseurl: string): string =>
    ['# Managed by stns-fleet: the STNS package repository.', '[stns-fleet]', 'name=STNS (managed by stns-fleet)', `baseurl=${baseurl}`, 'enabled=1', 'gpgcheck=1', 'gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-stns-fleet', ''].join('\n');

  test('Amazon Linux 2: yum, the centos/$basearch/2 tree, the armored key as it is shipped', () => {
    const p = planned('amazon-linux-2', identity({ ID: 'amzn', VERSION_ID: '2' }));
    expect(p.manager).toBe('yum');
    expect(p.release).toBe('amzn2');
    expect(p.note).toBeUndefined();
    expect(files(p)).toEqual({
      '/etc/pki/rpm-gpg/RPM-GPG-KEY-stns-fleet': { text: ARMORED, mode: 0o644 },
      '/etc/yum.repos.d/stns-fleet.repo': { text: repoText('https://repo.stns.jp/centos/$basearch/2'), mode: 0o644 },
    });
    expect(p.commands).toEqual(['yum install -y libnss-stns-v2 cache-stnsd']);
  });

  test('Amazon Linux 2023: dnf, the el9 tree, with the note', () => {
    const p = planned('amazon-linux-2023', identity({ ID: 'amzn', VERSION_ID: '2023' }), { cached: { enable: false } });
    expect(p.manager).toBe('dnf');
    expect(p.release).toBe('el9');
    expect(files(p)['/etc/yum.repos.d/stns-fleet.repo']!.text).toBe(repoText('https://repo.stns.jp/almalinux/$basearch/9'));
    expect(p.commands).toEqual(['dnf install -y libnss-stns-v2']);
    expect(p.note).toMatch(/^STNS packages: upstream builds no Amazon Linux 2023 repository; installing from the el9 one/);
  });

  test('the inventory\'s repository and tree; an apt codename on Amazon Linux is refused', () => {
    const p = planned('amazon-linux-2023', identity({ ID: 'amzn', VERSION_ID: '2023' }), { packageRepository: 'https://mirror.example.com/', packageRelease: 'el7' });
    expect(files(p)['/etc/yum.repos.d/stns-fleet.repo']!.text).toContain('\nbaseurl=https://mirror.example.com/centos/$basearch/7\n');
    expect(p.release).toBe('el7');
    expect(planPackages(profileById('amazon-linux-2'), identity({ ID: 'amzn', VERSION_ID: '2' }), stns({ packageRelease: 'bookworm' }), t)).toEqual({
      unsupported: 'stns.package_release is bookworm; the STNS yum repositories are el9, el7, amzn2',
    });
  });
});
