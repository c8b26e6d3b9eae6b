// chunk (src/model/chunk.ts): SSM's 50 IDs per call and apply's 50 hosts per command, in order, nothing lost.
import { expect, test } from 'vitest';
import { chunk } from '../../src/model/chunk.js';

test('consecutive slices of at most `size`, the last one shorter', () => {
  const ids = Array.from({ length: 120 }, (_, i) => i);
  const c = chunk(ids, 50);
  expect(c.map((x) => x.length)).toEqual([50, 50, 20]);
  expect(c.flat()).toEqual(ids);
  expect(c[1]![0]).toBe(50);
});

test('an exact multiple, fewer than one slice, none', () => {
  expect(chunk([1, 2, 3, 4], 2)).toEqual([[1, 2], [3, 4]]);
  expect(chunk(['a'], 50)).toEqual([['a']]);
  expect(chunk([], 50)).toEqual([]);
});

test('the input is not changed', () => {
  const ids = Object.freeze([1, 2, 3]);
  expect(chunk(ids, 1)).toEqual([[1], [2], [3]]);
});
