// Runs the built command line (the file package.json's bin names, as `npm test` builds it first: what a user
// runs) in a child process: argv in, exit code and both streams out. Not a test file itself.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The repository's root. */
export const root = path.resolve(import.meta.dirname, '../..');
/** The `stns-fleet` command as installed: package.json's bin. */
export const CLI = path.resolve(root, (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['stns-fleet']!);

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `env` replaces nothing it does not name; a value of undefined removes that variable. */
export function cli(args: string[], env: Record<string, string | undefined> = {}): CliResult {
  const merged: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: merged, timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A directory with a minimal valid inventory (inv.yaml) in it; `region`/`profile` go into its aws: block. */
export function inventoryDir(o: { region?: string; profile?: string } = {}): { dir: string; inv: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sf-cli-'));
  const inv = path.join(dir, 'inv.yaml');
  writeFileSync(
    inv,
    [
      'version: 1',
      'aws:',
      `  region: ${o.region ?? 'ap-northeast-1'}`,
      ...(o.profile ? [`  profile: ${o.profile}`] : []),
      'stns:',
      '  api_endpoint: https://stns.example.com/v1',
      'groups:',
      '  web:',
      '    targets: [i-0123456789abcdef0]',
      '',
    ].join('\n'),
  );
  return { dir, inv };
}
