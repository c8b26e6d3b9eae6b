// Runs the stns-fleet CLI as a user does (its own process, `node dist/bin/stns-fleet.js …`: package.json's
// bin) and measures that process alone, apart from the lab serving it: wall time, CPU seconds (user +
// system) and peak RSS, read by a preload (`--import data:…`) from process.resourceUsage() as it exits. For
// `npm run bench`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const cliPackage = createRequire(import.meta.url).resolve('stns-fleet/package.json');
/** The CLI's entry point, as package.json's bin names it. */
export const CLI_MAIN = path.join(path.dirname(cliPackage), (JSON.parse(readFileSync(cliPackage, 'utf8')) as { bin: Record<string, string> }).bin['stns-fleet']!);

const PRELOAD = `import { writeFileSync } from 'node:fs';
const f = process.env.STNS_FLEET_BENCH_USAGE;
if (f) process.on('exit', () => { const u = process.resourceUsage(); writeFileSync(f, JSON.stringify({ cpuUs: u.userCPUTime + u.systemCPUTime, maxRssKb: u.maxRSS })); });`;

export interface CliRun {
  exitCode: number;
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  /** The first lines of stderr when it failed (the bench prints them). */
  stderr: string;
}

export async function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stns-fleet-bench-'));
  const usageFile = path.join(dir, 'usage.json');
  try {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(PRELOAD)}`, CLI_MAIN, ...args], {
      env: { ...process.env, ...env, STNS_FLEET_BENCH_USAGE: usageFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
    const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    const wallS = (performance.now() - t0) / 1000;
    const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { cpuUs: number; maxRssKb: number };
    return { exitCode, wallS: round(wallS), cpuS: round(u.cpuUs / 1e6), peakRssMb: round(u.maxRssKb / 1024, 1), stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median wall time of `node <CLI> --help` and of `node -e 0`, ms. */
export async function startupMs(runs = 7): Promise<{ help: number; node: number }> {
  const median = async (args: string[]): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await new Promise((resolve) => spawn(process.execPath, args, { stdio: 'ignore' }).on('close', resolve));
      times.push(performance.now() - t0);
    }
    return round(times.sort((a, b) => a - b)[Math.floor(runs / 2)]!, 1);
  };
  return { help: await median([CLI_MAIN, '--help']), node: await median(['-e', '0']) };
}

function round(x: number, d = 2): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}
