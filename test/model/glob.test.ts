// One wildcard matcher for sshd's Include patterns (inside one path element) and --limit (anything).
import { expect, test } from 'vitest';
import { globRegExp } from '../../src/model/glob.js';

test('path globs stay inside one path element; name globs do not', () => {
  expect(globRegExp('*.conf', { path: true }).test('00-stns.conf')).toBe(true);
  expect(globRegExp('*.conf', { path: true }).test('x/00-stns.conf')).toBe(false);
  expect(globRegExp('a?c', { path: true }).test('a/c')).toBe(false);
  expect(globRegExp('*.conf').test('x/00-stns.conf')).toBe(true);
  expect(globRegExp('a?c').test('a/c')).toBe(true);
  expect(globRegExp('[ab].conf', { path: true }).test('a.conf')).toBe(false); // brackets are literal, as before
});
