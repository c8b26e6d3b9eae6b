// TOML literals for stns.conf (src/render/toml.ts): every string is a basic string that parses back to itself,
// whatever it holds (quotes, backslashes, every control character, newlines that would start a key or a table);
// integers are written as such and anything that is not a safe integer is refused; keys are bare only when TOML
// allows it. smol-toml, a separate TOML parser, is the judge of every output.
import { parse } from 'smol-toml';
import { describe, expect, test } from 'vitest';
import { tomlKey, tomlString, tomlStringBody, tomlValue } from '../../src/render/toml.js';

/** The one value of a document `k = <literal>`, as a TOML parser reads it. */
const readBack = (literal: string): unknown => {
  const doc = parse(`k = ${literal}\nafter = 1\n`);
  expect(Object.keys(doc)).toEqual(['k', 'after']); // the literal opened no key or table of its own
  return doc['k'];
};

const EVERY_CONTROL = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('') + '\x7f';

describe('strings', () => {
  test.each([
    ['plain', 'https://stns.example.com/v1'],
    ['empty', ''],
    ['double quotes', 'say "hi"'],
    ['backslashes', 'C:\\path\\to\\ and a trailing \\'],
    ['a quote then a new key', 'x"\nauth_token = "stolen'],
    ['a new table', 'x\n[tls]\nca = "/etc/evil"'],
    ['a triple quote', '"""'],
    ['single quotes and shell', `s3cr3t-"tok'en"\\$(id)\n`],
    ['every control character and DEL', EVERY_CONTROL],
    ['non-ASCII: accents, CJK, an emoji, U+2028', 'café 東京 🔑 \u2028 end'],
    ['a comment sign', 'value # not a comment'],
  ])('%s', (_name, s) => {
    const literal = tomlString(s);
    expect(literal.startsWith('"') && literal.endsWith('"')).toBe(true);
    expect(literal).not.toMatch(/[\n\r]/); // always one line
    expect(readBack(literal)).toBe(s);
  });

  test('the escapes are the short ones where TOML has them, \\uXXXX otherwise', () => {
    expect(tomlStringBody('"\\\b\t\n\f\r')).toBe('\\"\\\\\\b\\t\\n\\f\\r');
    expect(tomlStringBody('\x00\x01\x1b\x1f\x7f')).toBe('\\u0000\\u0001\\u001B\\u001F\\u007F');
    expect(tomlString('a b')).toBe('"a b"');
    expect(tomlStringBody('é🔑')).toBe('é🔑'); // printable characters stay as they are
  });

  test('tomlValue writes strings the same way', () => {
    expect(tomlValue('a"b')).toBe(tomlString('a"b'));
    expect(readBack(tomlValue('x\ny'))).toBe('x\ny');
  });
});

describe('integers and booleans', () => {
  test.each([0, 1, 3, -1, 86_400, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])('%d', (v) => {
    const literal = tomlValue(v);
    expect(literal).toMatch(/^-?[0-9]+$/);
    expect(readBack(literal)).toBe(v);
  });

  test('-0 is written as 0', () => {
    expect(tomlValue(-0)).toBe('0');
  });

  test.each([1.5, -0.25, Number.MAX_SAFE_INTEGER + 1, 2 ** 63, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('%d is refused, never written', (v) => {
    expect(() => tomlValue(v)).toThrow(`not an integer: ${v}`);
  });

  test('booleans', () => {
    expect(readBack(tomlValue(true))).toBe(true);
    expect(readBack(tomlValue(false))).toBe(false);
  });
});

describe('keys', () => {
  test.each(['request_timeout', 'X-Api-Key', 'a1', '-'])('%s is bare', (k) => {
    expect(tomlKey(k)).toBe(k);
    expect(parse(`${tomlKey(k)} = 1\n`)).toEqual({ [k]: 1 });
  });

  test.each(['a.b', 'a b', '', 'x = 1\n[y]', 'ключ', 'quo"te', '#'])('%j is quoted, and stays one key', (k) => {
    expect(tomlKey(k)).toBe(tomlString(k));
    expect(parse(`${tomlKey(k)} = 1\n`)).toEqual({ [k]: 1 });
  });
});

test('a table of headers written with these reads back as written', () => {
  const headers: Record<string, string> = { 'X-Api-Key': 'k"1\\', 'x.dotted': 'v\n[tls]', 'with space': '' };
  const doc = `api_endpoint = ${tomlValue('https://stns.example.com/v1')}\nrequest_timeout = ${tomlValue(3)}\n\n[http_headers]\n${Object.entries(headers)
    .map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)
    .join('\n')}\n`;
  expect(parse(doc)).toEqual({ api_endpoint: 'https://stns.example.com/v1', request_timeout: 3, http_headers: headers });
});
