// The inventory's JSON Schema (src/inventory/json-schema.ts; written to schema/inventory.schema.json at build
// time for editors), checked with a real JSON Schema validator: the shipped inventories conform, broken ones
// do not, and each inventory's yaml-language-server line finds the schema file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { INVENTORY_SCHEMA_FILE, inventoryJsonSchema } from '../../src/inventory/json-schema.js';
import { parseInventory } from '../../src/inventory/load.js';
import { MINIMAL } from './helpers.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const INVENTORIES = ['inventories/example.yaml', 'packages/lab/inventories/lab.yaml'];

// strict: a keyword ajv does not know, or a type mix-up in the schema, fails compile instead of being ignored.
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(inventoryJsonSchema());

/** The validator's errors as `instancePath keyword`, for readable failures. */
function errorsOf(text: string): string[] {
  return validate(parse(text)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
}

describe('the inventory JSON Schema', () => {
  test('names itself and what it describes', () => {
    const s = inventoryJsonSchema();
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.$id).toBe(INVENTORY_SCHEMA_FILE);
    expect(s.title).toBe('stns-fleet inventory');
    expect(s.required).toEqual(['version', 'aws', 'stns', 'groups']);
  });

  test.each(INVENTORIES)('%s conforms (and is valid for stns-fleet too)', (file) => {
    const text = readFileSync(path.join(REPO, file), 'utf8');
    expect(errorsOf(text)).toEqual([]);
    expect(parseInventory(text, file).problems).toEqual([]);
  });

  test('the minimal inventory conforms', () => {
    expect(errorsOf(MINIMAL)).toEqual([]);
  });

  test.each([
    ['an unknown key', MINIMAL + '    color: blue\n', '/groups/web additionalProperties'],
    ['a misspelt section', MINIMAL + 'rollot: {}\n', ' additionalProperties'],
    ['a missing api_endpoint', MINIMAL.replace('  api_endpoint: https://stns.example.com/v1', '  request_retry: 2'), '/stns required'],
    ['a string where a number goes', MINIMAL.replace('stns:\n', 'stns:\n  request_timeout: "3"\n'), '/stns/request_timeout type'],
    ['version 2', MINIMAL.replace('version: 1', 'version: 2'), '/version const'],
    ['an unknown OS', MINIMAL + '    os: centos-7\n', '/groups/web/os enum'],
    ['a malformed instance ID', MINIMAL + '      - i-12345\n', '/groups/web/targets/1 pattern'],
    ['a group name in capitals', MINIMAL.replace('  web:', '  Web:'), '/groups propertyNames'],
    ['an unquoted umask', MINIMAL + 'pam:\n  umask: 0022\n', '/pam/umask type'],
  ])('%s is rejected, at the field', (_name, text, where) => {
    // The path and the keyword: what is wrong and where, not just that something is.
    expect(errorsOf(text)).toContain(where);
  });

  test.each(INVENTORIES)('%s points editors at the schema file', (file) => {
    const text = readFileSync(path.join(REPO, file), 'utf8');
    const ref = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1];
    expect(ref, 'a "# yaml-language-server: $schema=…" line').toBeDefined();
    expect(path.resolve(path.dirname(path.join(REPO, file)), ref!)).toBe(path.join(REPO, 'schema', INVENTORY_SCHEMA_FILE));
  });
});
