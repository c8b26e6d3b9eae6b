// compactShell (src/host-script/compact.ts): the host libraries without comments, blank lines and
// indentation, and bash's own parser as the judge that nothing else changed: a script's text as the body of a
// function, printed back by `declare -f`, is the shell's reading of it with every comment and layout choice
// normalised away. Both readings must be identical, byte for byte.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { compactShell } from '../../src/host-script/compact.js';

const HOST = path.resolve(import.meta.dirname, '../../templates/host');
const LIBS = readdirSync(HOST).filter((n) => n.endsWith('.sh'));

/** bash's reading of `text` (declare -f of a function whose body it is). */
function reading(text: string): string {
  return execFileSync('bash', ['-c', 'eval "sf_lib() {\n$1\n}" && declare -f sf_lib', 'bash', text], { encoding: 'utf8' });
}

describe('compactShell', () => {
  test.each(LIBS)('templates/host/%s means the same to bash, and is smaller', (name) => {
    const text = readFileSync(path.join(HOST, name), 'utf8');
    const small = compactShell(text);
    expect(reading(small)).toBe(reading(text));
    expect(small.length).toBeLessThan(text.length * 0.9);
    // no comment line left at the top level of these libraries but shellcheck's directives
    expect(small).not.toMatch(/^[ \t]*#(?!!|\s*shellcheck\s)/m);
    expect(execFileSync('sh', ['-n', '-c', small], { encoding: 'utf8' })).toBe('');
  });

  test('quotes, here-documents and continued lines keep their lines, indentation and # as they were', () => {
    const text = [
      '#!/bin/sh',
      '# a comment',
      'f() {',
      "\tx='one",
      '  # inside single quotes',
      "\tthree'",
      '\ty="a',
      '\t# inside double quotes \\" still',
      '"',
      '\tcat <<EOF',
      '  # heredoc body',
      '\tindented',
      'EOF',
      '\tcat <<-\'END\' <<X',
      '\t# first body',
      '\tEND',
      ' second',
      'X',
      '\techo a\\',
      '    b # a trailing comment stays',
      '\t# shellcheck disable=SC2086 # a directive: shellcheck reads the scripts as they travel',
      '\t[ "${x#o}" = $# ]',
      '}',
      '',
    ].join('\n');
    const small = compactShell(text);
    expect(small.split('\n')).toEqual([
      '#!/bin/sh',
      'f() {',
      "x='one",
      '  # inside single quotes',
      "\tthree'",
      'y="a',
      '\t# inside double quotes \\" still',
      '"',
      'cat <<EOF',
      '  # heredoc body',
      '\tindented',
      'EOF',
      "cat <<-'END' <<X",
      '\t# first body',
      '\tEND',
      ' second',
      'X',
      'echo a\\',
      '    b # a trailing comment stays',
      '# shellcheck disable=SC2086',
      '[ "${x#o}" = $# ]',
      '}',
    ]);
    expect(reading(small)).toBe(reading(text));
  });

  test('a library that ends inside a quote is refused, not sent half-read', () => {
    expect(() => compactShell("echo 'open\n")).toThrow(/inside a quote/);
  });
});
