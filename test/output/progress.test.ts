// Which progress a terminal gets: a live frame needs a terminal that reports a usable width; one reporting 0
// columns (or a narrow one) gets the plain lines a log gets, not one character per line.
import { afterEach, expect, test } from 'vitest';
import { progressMode } from '../../src/output/progress.js';

const term = process.env['TERM'];
afterEach(() => {
  if (term === undefined) delete process.env['TERM'];
  else process.env['TERM'] = term;
});

test('a terminal with a width gets the live frame; 0 columns, a narrow one, no width or no terminal get plain lines', () => {
  process.env['TERM'] = 'xterm-256color';
  expect(progressMode({}, { isTTY: true, columns: 120, rows: 40 })).toBe('live');
  expect(progressMode({}, { isTTY: true, columns: 0, rows: 0 })).toBe('plain');
  expect(progressMode({}, { isTTY: true, columns: 20 })).toBe('plain');
  expect(progressMode({}, { isTTY: true })).toBe('plain');
  expect(progressMode({}, { isTTY: false, columns: 120 })).toBe('plain');
  expect(progressMode({}, undefined)).toBe('plain');
});

test('TERM=dumb gets plain lines; --quiet (and JSON views) get none', () => {
  process.env['TERM'] = 'dumb';
  expect(progressMode({}, { isTTY: true, columns: 120 })).toBe('plain');
  expect(progressMode({ quiet: true }, { isTTY: true, columns: 120 })).toBe('silent');
});
