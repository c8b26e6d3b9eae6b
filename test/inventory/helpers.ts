// Shared helpers for the inventory tests (not a test file itself).
import { expect } from 'vitest';
import { parseInventory } from '../../src/inventory/load.js';
import type { Problem } from '../../src/inventory/problems.js';

/** Strips the common leading indentation and the first newline, so YAML can be written inline, indented. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = String.raw({ raw: strings }, ...values).replace(/^\n/, '');
  const lines = raw.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = Math.min(...indents);
  return lines.map((l) => l.slice(cut)).join('\n').replace(/[ \t]+$/, '');
}

/** A minimal valid inventory: 9 lines, the only host at line 9. */
export const MINIMAL = yaml`
  version: 1
  aws:
    region: ap-northeast-1
  stns:
    api_endpoint: https://stns.example.com/v1
  groups:
    web:
      targets:
        - i-0123456789abcdef0
`;

export function problemsOf(text: string): Problem[] {
  return parseInventory(text, 'inv.yaml').problems;
}

/** The problems as compact `L:C path: message` strings, for readable failure output. */
export function brief(problems: readonly Problem[]): string[] {
  return problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
}

/** Asserts the text has exactly one problem and returns it. */
export function onlyProblem(text: string): Problem {
  const ps = problemsOf(text);
  expect(brief(ps)).toHaveLength(1);
  return ps[0]!;
}

export function expectAt(p: Problem | undefined, line: number, col: number, path: string, phrase: string | RegExp): void {
  expect(p).toBeDefined();
  expect({ line: p!.line, col: p!.col, path: p!.path }).toEqual({ line, col, path });
  if (typeof phrase === 'string') expect(p!.message).toContain(phrase);
  else expect(p!.message).toMatch(phrase);
}
