// shq (src/host-script/shq.ts): one sh word that the shell reads back as exactly the string, whatever it holds.
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { shq } from '../../src/host-script/shq.js';

const CASES = ['', 'plain', 'two words', "o'brien", "''", "'", 'a\nb\n', '$(id) `id` $HOME ${x}', 'back\\slash \\n', '"double"', '*', '-n', '; rm -rf / #', 'tab\there', 'é 東京'];

test.each(CASES)('%j comes back from sh as it was', (s) => {
  const out = execFileSync('sh', ['-c', `printf '%s' ${shq(s)}`], { encoding: 'utf8' });
  expect(out).toBe(s);
});

test('every case in one command line: each stays one word', () => {
  const out = execFileSync('sh', ['-c', `for w in ${CASES.map(shq).join(' ')}; do printf '<%s>' "$w"; done`], { encoding: 'utf8' });
  expect(out).toBe(CASES.map((s) => `<${s}>`).join(''));
});

test('the form: single quotes, a quote as \'\\\'\'', () => {
  expect(shq("it's")).toBe(`'it'\\''s'`);
});
