import { describe, expect, test } from 'vitest';
import { didYouMean, formatPath, formatProblem, sortProblems, type Problem } from '../../src/inventory/problems.js';

const p = (line: number, col: number, message: string, severity: Problem['severity'] = 'error'): Problem => ({
  file: 'f.yaml',
  line,
  col,
  path: 'a.b',
  message,
  severity,
});

describe('problems', () => {
  test('text form', () => {
    expect(formatProblem(p(3, 7, 'bad'))).toBe('f.yaml:3:7: a.b: bad');
    expect(formatProblem(p(3, 7, 'meh', 'warning'))).toBe('f.yaml:3:7: warning: a.b: meh');
    expect(formatProblem({ ...p(1, 1, 'syntax'), path: '' })).toBe('f.yaml:1:1: syntax');
  });

  test('paths', () => {
    expect(formatPath(['groups', 'web', 'targets', 1])).toBe('groups.web.targets[1]');
    expect(formatPath(['stns', 'http_headers', 'X.Y'])).toBe('stns.http_headers["X.Y"]');
    expect(formatPath([])).toBe('');
  });

  test('sorted by line then column, duplicates dropped, ties keep their order', () => {
    const sorted = sortProblems([p(9, 1, 'z'), p(2, 5, 'b'), p(2, 3, 'a'), p(2, 5, 'b'), p(2, 5, 'c')]);
    expect(sorted.map((x) => `${x.line}:${x.col}${x.message}`)).toEqual(['2:3a', '2:5b', '2:5c', '9:1z']);
  });

  test('did you mean', () => {
    expect(didYouMean('reigon', ['region', 'profile'])).toBe('region');
    expect(didYouMean('color', ['os', 'targets', 'stns'])).toBeUndefined();
    expect(didYouMean('Targets', ['os', 'targets'])).toBe('targets');
  });
});
