// The inventory's Raspberry Pi keys (pi:, names:, harden_sudo): version 1 still, every key optional, unknown
// keys and bad values reported at FILE:LINE:COL, and what src/pi/settings.ts resolves them to.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseInventory } from '../../src/inventory/load.js';
import { formatProblem } from '../../src/inventory/problems.js';
import { hostSettingsFor } from '../../src/inventory/resolve.js';
import { nodeNamesFor, normalizeSerial, piSettingsFor } from '../../src/pi/settings.js';

const BASE = ['version: 1', 'aws:', '  region: ap-northeast-1', 'stns:', '  api_endpoint: https://stns.example.com/v1'];
const group = (lines: string[], top: string[] = []): string => [...BASE, ...top, 'groups:', '  pi:', '    targets: [mi-0123456789abcdef0]', ...lines, ''].join('\n');

function problems(text: string): string[] {
  return parseInventory(text, 'inv.yaml').problems.map(formatProblem);
}

describe('schema', () => {
  test('the example inventory documents and accepts every new key', () => {
    const text = readFileSync(new URL('../../inventories/example.yaml', import.meta.url), 'utf8');
    const r = parseInventory(text, 'example.yaml');
    expect(r.problems).toEqual([]);
    const pi = piSettingsFor(r.inventory!, 'edge-pi');
    expect(pi).toMatchObject({ iamRole: 'SSMHybridPiRole', namePrefix: 'pi', newMachineId: true, newHostKeys: true, configured: true });
    expect([...pi.names]).toEqual([
      ['10000000a1b2c3d4', 'pi-kitchen'],
      ['10000000e5f60718', 'pi-garage'],
    ]);
    expect(nodeNamesFor(r.inventory!, 'web').get('i-0123456789abcdef0')).toBe('web-1');
    expect(hostSettingsFor(r.inventory!, 'edge-pi').hardenSudo).toBe(true);
    expect(hostSettingsFor(r.inventory!, 'web').hardenSudo).toBe(false);
  });

  test('without any of them: defaults (no role, no names, prefix pi, renew machine-id and host keys, sudo untouched)', () => {
    const r = parseInventory(group([]), 'inv.yaml');
    expect(r.problems).toEqual([]);
    expect(piSettingsFor(r.inventory!, 'pi')).toEqual({ names: new Map(), namePrefix: 'pi', newMachineId: true, newHostKeys: true, configured: false });
    expect(nodeNamesFor(r.inventory!, 'pi').size).toBe(0);
    expect(hostSettingsFor(r.inventory!, 'pi').hardenSudo).toBe(false);
  });

  test('harden_sudo at the top level, overridden per group', () => {
    const r = parseInventory(group(['    harden_sudo: false'], ['harden_sudo: true']), 'inv.yaml');
    expect(hostSettingsFor(r.inventory!, 'pi').hardenSudo).toBe(false);
    const r2 = parseInventory(group([], ['harden_sudo: true']), 'inv.yaml');
    expect(hostSettingsFor(r2.inventory!, 'pi').hardenSudo).toBe(true);
  });

  test('bad values and unknown keys point at their line and column', () => {
    expect(
      problems(
        group([
          '    pi:',
          '      iam_role: arn:aws:iam::123456789012:role/Pi',
          '      names:',
          '        "xyz": kitchen',
          '        "10000000a1b2c3d4": "bad name"',
          '      new_machine_ids: true',
          '    names:',
          '      web-1: web',
          '    harden_sudo: yes',
        ]),
      ),
    ).toEqual([
      'inv.yaml:10:17: groups.pi.pi.iam_role: "arn:aws:iam::123456789012:role/Pi" is not an IAM role name (the name, not the ARN: letters, digits and +=,.@_-)',
      'inv.yaml:12:9: groups.pi.pi.names.xyz: "xyz" is not a Raspberry Pi serial (up to 16 hex digits, as /proc/cpuinfo shows it); quote it in YAML',
      'inv.yaml:13:29: groups.pi.pi.names["10000000a1b2c3d4"]: "bad name" is not a usable Name: a letter or digit, then up to 127 of letters, digits and _ . : / = + @ -',
      'inv.yaml:14:7: groups.pi.pi.new_machine_ids: unknown key "new_machine_ids" (did you mean "new_machine_id"?)',
      'inv.yaml:16:7: groups.pi.names.web-1: "web-1" is not an EC2 instance ID (i-…) or managed node ID (mi-…)',
      'inv.yaml:17:18: groups.pi.harden_sudo: expected true or false, got a string (write true or false)',
    ]);
  });
});

describe('serials', () => {
  test('an unquoted all-digit serial loses its leading zeros in YAML; normalising makes both spellings meet', () => {
    const r = parseInventory(group(['    pi:', '      names:', '        0000000012345678: shed']), 'inv.yaml');
    expect(r.problems).toEqual([]);
    const names = piSettingsFor(r.inventory!, 'pi').names;
    expect(names.get(normalizeSerial('0000000012345678'))).toBe('shed');
    expect(normalizeSerial('00000000A1B2')).toBe('a1b2');
    expect(normalizeSerial('0000')).toBe('0');
  });
});
