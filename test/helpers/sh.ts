// Runs a script with /bin/sh for tests, feeding it on stdin (as SSM's agent runs `commands`), and collects
// its output.
import { spawn } from 'node:child_process';

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runSh(script: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<ShResult> {
  return new Promise((resolve) => {
    const p = spawn('/bin/sh', ['-s', '--', ...args], { env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(script);
  });
}
