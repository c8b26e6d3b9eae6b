// stns.package_repository ends up in an apt list or a yum repo file that root trusts: validate must refuse
// anything but a canonical https URL, so no value can smuggle `[trusted=yes]`, another suite or gpgcheck=0.
import { describe, expect, test } from 'vitest';
import { parseInventory } from '../../src/inventory/load.js';
import { hostSettingsFor } from '../../src/inventory/resolve.js';
import { MINIMAL } from './helpers.js';

const withRepo = (v: string): string => MINIMAL.replace('  api_endpoint: https://stns.example.com/v1\n', `  api_endpoint: https://stns.example.com/v1\n  package_repository: ${JSON.stringify(v)}\n`);

describe('package_repository is a canonical https URL or the inventory is invalid', () => {
  test.each([
    ['an apt option smuggled after a space', 'https://repo.example.com/stns ./\ndeb [trusted=yes] http://evil.example/ ./'],
    ['a space', 'https://repo.example.com/ stns'],
    ['a tab', 'https://repo.example.com/\tstns'],
    ['a yum option after a newline', 'https://repo.example.com/\ngpgcheck=0'],
    ['plain http', 'http://repo.example.com/stns'],
    ['a query', 'https://repo.example.com/stns?x=1'],
    ['a fragment', 'https://repo.example.com/stns#x'],
    ['credentials', 'https://user:pw@repo.example.com/stns'],
    ['not a URL', 'repo.example.com'],
  ])('%s is refused, naming the field', (_name, value) => {
    const { problems } = parseInventory(withRepo(value), 'inv.yaml');
    const p = problems.find((x) => x.path === 'stns.package_repository');
    expect(p?.message).toMatch(/is not a canonical https URL/);
    expect(p?.line).toBe(6);
  });

  test('a good URL is used as parsed (URL.href)', () => {
    const { inventory, problems } = parseInventory(withRepo('https://Mirror.Example.com/stns/../stns'), 'inv.yaml');
    expect(problems).toEqual([]);
    expect(hostSettingsFor(inventory!, 'web').stns.packageRepository).toBe('https://mirror.example.com/stns');
  });
});
