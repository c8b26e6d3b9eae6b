// shellcheck (POSIX sh) on a generated script. setup.sh and CI install shellcheck; a missing one is an error,
// never a silent skip.
import { spawnSync } from 'node:child_process';

export function shellcheck(script: string, name: string): { code: number; out: string } {
  const r = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: script, encoding: 'utf8' });
  if (r.error) throw new Error(`shellcheck is needed for the script tests (${name}): ${r.error.message} (apt-get install shellcheck)`);
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}
