// validate's view: a valid file's summary on stdout and its warnings on stderr, an invalid file's problems on
// stderr one per line, or { file, valid, problems } as the one JSON document (stdout only). The inventory's
// token, in clear in the file, reaches neither form.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Problem } from '../../../src/inventory/problems.js';
import { validateInventory, type ValidateReport } from '../../../src/inventory/validate.js';
import { Emitter } from '../../../src/output/emitter.js';
import { validateView } from '../../../src/output/views/validate.js';
import { MINIMAL } from '../../inventory/helpers.js';

function show(json: boolean, r: ValidateReport): { out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  validateView(json, new Emitter({ out: (t) => void out.push(t), err: (t) => void err.push(t) })).result(r);
  return { out: out.join(''), err: err.join('') };
}

const warning: Problem = { file: 'inv.yaml', line: 6, col: 15, path: 'stns.auth_token', message: 'a token in clear text', severity: 'warning' };
const error: Problem = { file: 'inv.yaml', line: 1, col: 10, path: 'version', message: 'unsupported inventory version 2', severity: 'error' };

test('text: valid, with the counts pluralised, and its warnings on stderr', () => {
  expect(show(false, { file: 'inv.yaml', valid: true, problems: [warning], counts: { groups: 1, ids: 2, selectors: 1 } })).toEqual({
    out: 'inv.yaml: valid (1 group, 2 hosts by ID, 1 tag selector)\n',
    err: 'inv.yaml:6:15: warning: stns.auth_token: a token in clear text\n',
  });
  expect(show(false, { file: 'inv.yaml', valid: true, problems: [], counts: { groups: 2, ids: 1, selectors: 0 } })).toEqual({ out: 'inv.yaml: valid (2 groups, 1 host by ID, 0 tag selectors)\n', err: '' });
});

test('text: invalid, every problem on stderr, nothing on stdout', () => {
  expect(show(false, { file: 'inv.yaml', valid: false, problems: [error, warning] })).toEqual({
    out: '',
    err: 'inv.yaml:1:10: version: unsupported inventory version 2\ninv.yaml:6:15: warning: stns.auth_token: a token in clear text\n',
  });
});

test('json: { file, valid, problems }, no counts, stdout only', () => {
  const { out, err } = show(true, { file: 'inv.yaml', valid: true, problems: [warning], counts: { groups: 1, ids: 2, selectors: 1 } });
  expect(JSON.parse(out)).toEqual({ file: 'inv.yaml', valid: true, problems: [warning] });
  expect(err).toBe('');
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sf-validate-view-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a token in clear in the file reaches neither form', async () => {
  const SECRET = 'tok-v13w-9f8e7d6c5b4a';
  const file = path.join(dir, 'inv.yaml');
  for (const plain of [true, false]) {
    await writeFile(file, MINIMAL.replace('stns:\n', `stns:\n${plain ? '  allow_plaintext_token: true\n' : ''}  auth_token: ${SECRET}\n`));
    const r = await validateInventory(file);
    expect(r.valid).toBe(plain);
    for (const json of [false, true]) {
      const { out, err } = show(json, r);
      expect(out + err).toContain('stns.auth_token');
      expect(out + err).not.toContain(SECRET);
    }
  }
});
