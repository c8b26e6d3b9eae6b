// stns.package_release: the STNS repository release a group installs from (src/profiles/package-releases.ts). It
// ends up in an apt list line and a yum baseurl, so only a lowercase token is accepted; which values fit which
// host is decided per host, where the OS is known (test/profiles/package-releases.test.ts).
import { describe, expect, test } from 'vitest';
import { parseInventory } from '../../src/inventory/load.js';
import { hostSettingsFor } from '../../src/inventory/resolve.js';
import { MINIMAL, yaml } from './helpers.js';

/** MINIMAL (the host at line 9) with the web group's stns.package_release at line 11. */
const withGroupRelease = (v: string): string => `${MINIMAL.replace(/\n?$/, '\n')}    stns:\n      package_release: ${JSON.stringify(v)}\n`;

describe('stns.package_release', () => {
  test('per group, and at the top level as the default of every group', () => {
    const text = yaml`
      version: 1
      aws:
        region: ap-northeast-1
      stns:
        api_endpoint: https://stns.example.com/v1
        package_release: bookworm
      groups:
        trixie:
          os: debian-13
          targets: [i-0123456789abcdef0]
        resolute:
          os: ubuntu-26.04
          targets: [i-0123456789abcdef1]
          stns:
            package_release: noble
        al2023:
          targets: [i-0123456789abcdef2]
          stns: { package_release: el9 }
    `;
    const { inventory, problems } = parseInventory(text, 'inv.yaml');
    expect(problems).toEqual([]);
    expect(hostSettingsFor(inventory!, 'trixie').stns.packageRelease).toBe('bookworm');
    expect(hostSettingsFor(inventory!, 'resolute').stns.packageRelease).toBe('noble');
    expect(hostSettingsFor(inventory!, 'al2023').stns.packageRelease).toBe('el9');
  });

  test('absent: stns-fleet chooses (no packageRelease in the settings)', () => {
    const { inventory } = parseInventory(MINIMAL, 'inv.yaml');
    expect('packageRelease' in hostSettingsFor(inventory!, 'web').stns).toBe(false);
  });

  test.each([
    ['a line break', 'bookworm\ndeb [trusted=yes] http://evil.example/ ./'],
    ['a space', 'bookworm main'],
    ['a path', '../bookworm'],
    ['uppercase', 'Bookworm'],
    ['a URL', 'https://repo.stns.jp/bookworm'],
  ])('%s is refused, naming the field and its line', (_name, value) => {
    const text = withGroupRelease(value);
    const { problems } = parseInventory(text, 'inv.yaml');
    const p = problems.find((x) => x.path === 'groups.web.stns.package_release');
    expect(p?.message).toMatch(/is not an STNS repository release: an apt codename such as bookworm or noble, or el9, el7 or amzn2/);
    expect(p?.line).toBe(11);
  });

  test('inventories/example.yaml documents it and uses it', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../../inventories/example.yaml', import.meta.url), 'utf8');
    expect(text).toMatch(/^ {2}# package_release: bookworm .*Debian 13/ms);
    const { inventory, problems } = parseInventory(text, 'example.yaml');
    expect(problems).toEqual([]);
    expect(hostSettingsFor(inventory!, 'web').stns.packageRelease).toBe('el9');
  });
});
