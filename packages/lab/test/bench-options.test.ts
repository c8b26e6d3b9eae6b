// The bench's options (src/bench/options.ts), above all --out: the tracked results.json holds the full run that
// README quotes, and a smaller run (CI's) used to overwrite it, since the file was fixed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { BenchUsageError, parseBenchOptions } from '../src/bench/options.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-options-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const DEFAULT_OUT = '/repo/packages/lab/bench/results.json';
const parse = (...argv: string[]) => parseBenchOptions(argv, { cwd: tmp, defaultOut: DEFAULT_OUT });
const refusal = (...argv: string[]): string => {
  try {
    parse(...argv);
  } catch (e) {
    expect(e).toBeInstanceOf(BenchUsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('bench options', () => {
  test('without options: every size, 10,000 model hosts, no peer, the tracked results file', () => {
    expect(parse()).toEqual({
      help: false,
      sizes: [10, 100, 1000],
      modelHosts: 10_000,
      peerHosts: 0,
      peerForks: 10,
      latencyMs: 25,
      throttlePct: 5,
      out: DEFAULT_OUT,
    });
  });

  test('--out names a file from where the user ran the bench, its folders made later if missing', () => {
    expect(parse('--out', 'small.json').out).toBe(path.join(tmp, 'small.json'));
    expect(parse('--out', 'runs/2026/ci.json').out).toBe(path.join(tmp, 'runs/2026/ci.json'));
    expect(parse('--out', '/elsewhere/r.json').out).toBe('/elsewhere/r.json');
  });

  test('--out refuses a directory, a path under a file, and nothing, before anything runs', () => {
    mkdirSync(path.join(tmp, 'figures'), { recursive: true });
    writeFileSync(path.join(tmp, 'notes.txt'), 'x');
    expect(refusal('--out', 'figures')).toBe('--out: figures is a directory; name a file in it');
    expect(refusal('--out', 'new/')).toBe('--out: new/ is a directory; name a file in it');
    expect(refusal('--out', 'notes.txt/r.json')).toBe('--out: notes.txt is not a directory');
    expect(refusal('--out', 'notes.txt/deeper/r.json')).toBe('--out: notes.txt is not a directory');
    expect(refusal('--out', '')).toBe('--out: expected a file name, not ""');
    expect(refusal('--out')).toMatch(/--out/);
  });

  test('the other options keep their checks', () => {
    expect(parse('--sizes', '50,0', '--peer', 'ansible', '--latency', '2.5').sizes).toEqual([50]);
    expect(parse('--peer', 'ansible').peerHosts).toBe(50);
    expect(refusal('--peer', 'chef')).toBe('--peer: only "ansible" is known, not "chef"');
    expect(refusal('--sizes', '1.5')).toBe('--sizes: expected a whole number ≥ 0, not "1.5"');
    expect(refusal('--throttle=-1')).toBe('--throttle: expected a number ≥ 0, not "-1"');
    expect(refusal('--frobnicate')).toMatch(/frobnicate/);
  });
});

describe('the bench script', () => {
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../scripts/bench.ts');
  const run = (...argv: string[]) =>
    spawnSync(process.execPath, [script, ...argv], { cwd: path.dirname(script), env: { ...process.env, INIT_CWD: tmp }, encoding: 'utf8' });

  test('a bad --out ends it at once with one line and the usage, exit 2, no stack trace', () => {
    mkdirSync(path.join(tmp, 'figures'), { recursive: true });
    const r = run('--sizes', '0', '--model-hosts', '0', '--out', 'figures');
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('bench: --out: figures is a directory; name a file in it');
    expect(r.stderr).toContain('--out FILE');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  test('--help teaches --out', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--out FILE +where the results go/);
  });
});
