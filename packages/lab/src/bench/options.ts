// `npm run bench`'s options. Where the figures go is an option: the tracked results.json holds the full run
// (README's Benchmarks section quotes it), so a small run (CI's, a quick look) writes elsewhere instead of
// replacing it with figures for other sizes.
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

export const BENCH_USAGE = `Usage: npm run bench -- [options]   (after npm run build)
  --sizes N,N,…       directory-host lab sizes (default 10,100,1000; 0 for none)
  --model-hosts N     model hosts for the controller's own cost (default 10000; 0 to skip)
  --peer ansible      also run the Ansible peer beside stns-fleet on as many Debian 12 hosts
  --peer-hosts N      hosts for the peer comparison (default 50)
  --peer-forks N      the peer's forks (default 10)
  --latency MS        the lab's latency per API call (default 25)
  --throttle PCT      the share of API calls the lab throttles (default 5)
  --out FILE          where the results go as JSON (default packages/lab/bench/results.json, the tracked
                      full run: give a smaller run a file of its own)
Prints tables, and writes the results to --out.`;

export interface BenchOptions {
  help: boolean;
  sizes: number[];
  modelHosts: number;
  /** Hosts for the Ansible peer; 0 when the peer is not run. */
  peerHosts: number;
  peerForks: number;
  latencyMs: number;
  throttlePct: number;
  /** Absolute path of the results file. */
  out: string;
}

/** A bad option: one line for the user, shown with the usage. */
export class BenchUsageError extends Error {}

/** A number ≥ 0 (a whole one unless `fraction`) from option `name`, or its default. */
function count(name: string, value: string | undefined, fallback: number, fraction = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (!fraction && !Number.isInteger(n))) {
    throw new BenchUsageError(`--${name}: expected a ${fraction ? '' : 'whole '}number ≥ 0, not "${value}"`);
  }
  return n;
}

/** The results file: relative to where the user ran npm (INIT_CWD), never a directory, checked before the run. */
function outFile(value: string | undefined, fallback: string, cwd: string): string {
  if (value === undefined) return fallback;
  if (value.trim() === '') throw new BenchUsageError('--out: expected a file name, not ""');
  const file = path.resolve(cwd, value);
  const kind = (p: string): 'dir' | 'other' | 'none' => {
    const s = statSync(p, { throwIfNoEntry: false });
    return s === undefined ? 'none' : s.isDirectory() ? 'dir' : 'other';
  };
  if (value.endsWith('/') || kind(file) === 'dir') throw new BenchUsageError(`--out: ${value} is a directory; name a file in it`);
  // The nearest existing ancestor must be a directory (the rest is made at the end, as the default's is).
  let dir = path.dirname(file);
  while (kind(dir) === 'none' && path.dirname(dir) !== dir) dir = path.dirname(dir);
  if (kind(dir) !== 'dir') throw new BenchUsageError(`--out: ${path.relative(cwd, dir) || dir} is not a directory`);
  return file;
}

/** `argv` (the arguments after the script), with relative paths taken from `cwd`; throws BenchUsageError. */
export function parseBenchOptions(argv: string[], o: { cwd: string; defaultOut: string }): BenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
        sizes: { type: 'string' },
        'model-hosts': { type: 'string' },
        peer: { type: 'string' },
        'peer-hosts': { type: 'string' },
        'peer-forks': { type: 'string' },
        latency: { type: 'string' },
        throttle: { type: 'string' },
        out: { type: 'string' },
      },
    }).values;
  } catch (e) {
    throw new BenchUsageError((e as Error).message);
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const peer = str('peer');
  if (peer !== undefined && peer !== 'ansible') throw new BenchUsageError(`--peer: only "ansible" is known, not "${peer}"`);
  return {
    help: values['help'] === true,
    sizes: (str('sizes') ?? '10,100,1000')
      .split(',')
      .filter((v) => v.trim() !== '')
      .map((v) => count('sizes', v.trim(), 0))
      .filter((n) => n > 0),
    modelHosts: count('model-hosts', str('model-hosts'), 10_000),
    peerHosts: peer ? count('peer-hosts', str('peer-hosts'), 50) : 0,
    peerForks: count('peer-forks', str('peer-forks'), 10),
    latencyMs: count('latency', str('latency'), 25, true),
    throttlePct: count('throttle', str('throttle'), 5, true),
    out: outFile(str('out'), o.defaultOut, o.cwd),
  };
}
