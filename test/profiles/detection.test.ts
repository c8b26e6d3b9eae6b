// Detection is strict: `os: auto` finds every profile from the host's own files; an OS named in the inventory
// that the host contradicts (ID, VERSION_ID, the Raspberry Pi markers) is refused for that host, naming both,
// never forced; an OS line no profile supports is "unsupported", never given the nearest profile (in a plan:
// test/plan/fleet-plan.test.ts).
import { describe, expect, test } from 'vitest';
import { identityOf, PI_MODEL } from '../../src/model/host-identity.js';
import type { HostSnapshot } from '../../src/model/host-snapshot.js';
import { chooseProfile, PROFILES } from '../../src/profiles/index.js';
import type { OsProfileId } from '../../src/profiles/ids.js';
import { stock, stockVariants, withFiles } from '../helpers/render.js';

/** A stock tree as the facts would show it: a Raspberry Pi board also shows its device-tree model. */
async function host(id: OsProfileId, variant?: string): Promise<HostSnapshot> {
  const s = (await stock(id, undefined, variant)).snapshot;
  return id === 'raspberry-pi-os' ? withFiles(s, { [PI_MODEL]: 'Raspberry Pi 4 Model B Rev 1.5\0' }) : s;
}

const ident = (s: HostSnapshot) => identityOf(s, 'amd64');
const osRelease = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => `${k}="${v}"`).join('\n') + '\n';

describe('os: auto', () => {
  test.each(stockVariants())('%s (%s) is detected from its own files, and by exactly one profile', async (id, variant) => {
    const identity = ident(await host(id, variant));
    expect(PROFILES.filter((p) => p.matches(identity)).map((p) => p.id)).toEqual([id]);
    const chosen = chooseProfile(identity, 'auto');
    expect('error' in chosen ? chosen.error : chosen.id).toBe(id);
  });

  test('a 64-bit Raspberry Pi OS trixie image is told from Debian 13 by /etc/rpi-issue alone (os-release says debian 13)', async () => {
    const pi = (await stock('raspberry-pi-os', undefined, 'trixie')).snapshot;
    expect(pi.files.has('/etc/rpi-issue')).toBe(true);
    expect(ident(pi).osRelease['ID']).toBe('debian');
    expect((chooseProfile(ident(pi), 'auto') as { id: string }).id).toBe('raspberry-pi-os');
    expect((chooseProfile(ident(withFiles(pi, { '/etc/rpi-issue': null })), 'auto') as { id: string }).id).toBe('debian-13');
  });

  test.each([
    ['Debian 14 (forky)', { PRETTY_NAME: 'Debian GNU/Linux 14 (forky)', ID: 'debian', VERSION_ID: '14', VERSION_CODENAME: 'forky' }],
    ['Debian testing (no VERSION_ID)', { PRETTY_NAME: 'Debian GNU/Linux forky/sid', ID: 'debian', VERSION_CODENAME: 'forky' }],
    ['Ubuntu 25.10 (interim)', { PRETTY_NAME: 'Ubuntu 25.10', ID: 'ubuntu', VERSION_ID: '25.10', VERSION_CODENAME: 'questing' }],
    ['Linux Mint (ID_LIKE=ubuntu)', { PRETTY_NAME: 'Linux Mint 22', ID: 'linuxmint', ID_LIKE: 'ubuntu debian', VERSION_ID: '22' }],
    ['Rocky Linux 9', { PRETTY_NAME: 'Rocky Linux 9.4 (Blue Onyx)', ID: 'rocky', ID_LIKE: 'rhel centos fedora', VERSION_ID: '9.4' }],
  ] as [string, Record<string, string>][])('%s is unsupported, never guessed', async (_name, fields) => {
    const s = withFiles(await host('debian-13'), { '/etc/os-release': osRelease(fields) });
    const chosen = chooseProfile(ident(s), 'auto');
    expect('error' in chosen && chosen.error).toMatch(new RegExp(`^unsupported OS: ${fields['PRETTY_NAME']!.replace(/[()/.]/g, '\\$&')} \\(ID=${fields['ID']}, VERSION_ID=${fields['VERSION_ID'] ?? '\\(unset\\)'}\\)`));
  });

  test('a host with no os-release says so', async () => {
    const s = withFiles(await host('debian-13'), { '/etc/os-release': null, '/usr/lib/os-release': null });
    expect(chooseProfile(ident(s), 'auto')).toEqual({ error: expect.stringMatching(/^unsupported OS: a host with no \/etc\/os-release/) });
  });
});

describe('a named OS the host contradicts is refused, naming both', () => {
  const refused = async (hostId: OsProfileId, variant: string | undefined, wanted: OsProfileId): Promise<string> => {
    const chosen = chooseProfile(ident(await host(hostId, variant)), wanted);
    if (!('error' in chosen)) throw new Error(`${wanted} was accepted on a ${hostId} host`);
    return chosen.error;
  };

  test('Debian 13 (trixie) forced to debian-12', async () => {
    expect(await refused('debian-13', undefined, 'debian-12')).toMatch(/^the inventory says debian-12 but the host is debian-13: Debian GNU\/Linux 13 \(trixie\) \(ID=debian, VERSION_ID=13\)/);
  });

  test('Ubuntu 26.04 forced to Debian', async () => {
    expect(await refused('ubuntu-26.04', undefined, 'debian-13')).toMatch(/debian-13 but the host is ubuntu-26\.04: Ubuntu 26\.04 LTS \(ID=ubuntu, VERSION_ID=26\.04\)/);
    expect(await refused('ubuntu-26.04', undefined, 'ubuntu-24.04')).toMatch(/ubuntu-24\.04 but the host is ubuntu-26\.04/);
  });

  test('Raspberry Pi OS (trixie) forced to plain Debian, and plain Debian 13 forced to Raspberry Pi OS', async () => {
    expect(await refused('raspberry-pi-os', 'trixie', 'debian-13')).toMatch(/debian-13 but the host is raspberry-pi-os: .*\(ID=debian, VERSION_ID=13, Raspberry Pi\)/);
    expect(await refused('debian-13', undefined, 'raspberry-pi-os')).toMatch(/raspberry-pi-os but the host is debian-13: Debian GNU\/Linux 13 \(trixie\) \(ID=debian, VERSION_ID=13\);/);
  });

  test('an OS no profile supports, forced to a profile, is refused as unsupported', async () => {
    const s = withFiles(await host('debian-13'), { '/etc/os-release': osRelease({ PRETTY_NAME: 'Debian GNU/Linux 14 (forky)', ID: 'debian', VERSION_ID: '14' }) });
    const chosen = chooseProfile(ident(s), 'debian-13');
    expect('error' in chosen && chosen.error).toMatch(/debian-13 but the host is not: Debian GNU\/Linux 14 \(forky\) \(ID=debian, VERSION_ID=14\), an OS stns-fleet does not support/);
  });

  test('the matching named OS is accepted', async () => {
    for (const [id, variant] of stockVariants()) {
      const chosen = chooseProfile(ident(await host(id, variant)), id);
      expect('error' in chosen ? chosen.error : chosen.id).toBe(id);
    }
  });
});
