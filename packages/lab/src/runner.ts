// Runs a command on a lab host the way the SSM agent runs AWS-RunShellScript: the commands written to
// _script.sh in the node's orchestration directory, run by /bin/sh with the agent's environment variables,
// stdout and stderr captured, the whole process group killed (exit code 137) at the execution timeout or on
// cancel. A directory host's commands see STNS_FLEET_ROOT=<its tree>, STNS_FLEET_LAB_SERVICES=1, the lab's
// URL (STNS_FLEET_LAB_URL, for the stand-ins it serves) and the lab's stand-ins first on PATH.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { LabHost } from './hosts.js';
import { Limiter } from './limiter.js';

/** What the agent's environment has on PATH (a root service), after the lab's stand-ins. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Kept per stream; SSM never returns more than 24,000 characters of it. */
const CAPTURE_MAX = 1024 * 1024;
/** After the script exits, how long to wait for background children to let go of its output. */
const DRAIN_MS = 300;
const KILLED_EXIT = 137;

export interface RunSpec {
  host: LabHost;
  instanceId: string;
  commandId: string;
  script: string;
  region: string;
  workingDirectory?: string;
  /** Execution timeout, from the moment the process starts. */
  timeoutMs: number;
  /** The `timeout` fault: after the script, the step hangs until the agent kills it. */
  hang: boolean;
}

export interface RunResult {
  exitCode: number;
  /** Set when the lab killed the process (or withdrew it before it started). */
  killedFor?: 'timeout' | 'cancel';
  spawned: boolean;
  stdout: string;
  stderr: string;
  startedAt?: Date;
  endedAt: Date;
}

export interface RunHandle {
  done: Promise<RunResult>;
  /** Resolves with the start time once the process runs. */
  started: Promise<Date>;
  cancel(): void;
}

function capture(stream: NodeJS.ReadableStream | null): { text: () => string; received: () => number } {
  const chunks: Buffer[] = [];
  let size = 0;
  let received = 0;
  stream?.on('data', (c: Buffer) => {
    received += c.length;
    if (size >= CAPTURE_MAX) return;
    chunks.push(c);
    size += c.length;
  });
  return { text: () => Buffer.concat(chunks).subarray(0, CAPTURE_MAX).toString('utf8'), received: () => received };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** DRAIN_MS, then turns of the event loop until one reads nothing more: a loop kept busy (1,000 hosts' callbacks)
 * runs its timers before it reads the pipes, so output already written would be dropped with the timer alone.
 * Ends at once, timer cleared, when `signal` aborts (the pipes closed first). */
async function drained(streams: { received: () => number }[], signal: AbortSignal): Promise<false> {
  try {
    await sleep(DRAIN_MS, undefined, { signal });
  } catch {
    return false; // aborted
  }
  const total = (): number => streams.reduce((n, s) => n + s.received(), 0);
  // A background child printing without end is cut after this many turns.
  for (let turns = 0, seen = -1; seen !== total() && turns < 1000 && !signal.aborted; turns++) {
    seen = total();
    await turn();
  }
  return false;
}

export class HostRunner {
  private readonly limiter: Limiter;
  private readonly groups = new Set<number>();

  constructor(
    private readonly o: { binDir: string; maxProcesses: number; labUrl?: () => string | undefined; onSpawn?: (spec: RunSpec) => void; onExit?: (spec: RunSpec, ms: number) => void },
  ) {
    this.limiter = new Limiter(o.maxProcesses);
  }

  /** STNS_FLEET_LAB_URL: the lab answers its served stand-ins itself (served-standins.ts). */
  private labEnv(): Record<string, string> {
    const url = this.o.labUrl?.();
    return url ? { STNS_FLEET_LAB_URL: url } : {};
  }

  run(spec: RunSpec): RunHandle {
    let cancelled = false;
    let child: ChildProcess | undefined;
    let killedFor: RunResult['killedFor'];
    let exited = false;
    let markStarted: (d: Date) => void = () => {};
    const started = new Promise<Date>((r) => (markStarted = r));
    const slot = this.limiter.acquire();
    let cancelWait = (): void => {};
    const kill = (why: 'timeout' | 'cancel'): void => {
      if (exited) return;
      killedFor ??= why;
      if (child?.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    const done = (async (): Promise<RunResult> => {
      const release = await Promise.race([slot.ready, new Promise<undefined>((r) => (cancelWait = () => r(undefined)))]);
      if (!release || cancelled) {
        release?.();
        return { exitCode: -1, killedFor: 'cancel', spawned: false, stdout: '', stderr: '', endedAt: new Date() };
      }
      try {
        return await this.spawnScript(spec, (c) => (child = c), markStarted, kill, () => killedFor);
      } finally {
        exited = true;
        release();
      }
    })();
    return {
      done,
      started,
      cancel: () => {
        cancelled = true;
        slot.giveUp();
        cancelWait();
        kill('cancel');
      },
    };
  }

  private async spawnScript(
    spec: RunSpec,
    setChild: (c: ChildProcess) => void,
    markStarted: (d: Date) => void,
    kill: (why: 'timeout' | 'cancel') => void,
    killedFor: () => RunResult['killedFor'],
  ): Promise<RunResult> {
    const root = spec.host.dir;
    const orchestration = path.join(root, 'var/lib/amazon/ssm', spec.instanceId, 'document/orchestration', spec.commandId, 'awsrunShellScript/0.awsrunShellScript');
    await mkdir(orchestration, { recursive: true, mode: 0o700 });
    const scriptPath = path.join(orchestration, '_script.sh');
    await writeFile(scriptPath, spec.script, { mode: 0o700 });
    const cwd = spec.workingDirectory ? path.join(root, spec.workingDirectory) : orchestration;
    const agentEnv = { LANG: 'C.UTF-8', AWS_SSM_INSTANCE_ID: spec.instanceId, AWS_SSM_REGION_NAME: spec.region, SSM_COMMAND_ID: spec.commandId };
    // The timeout fault: the script runs, then its last step never returns.
    const hang = spec.hang ? '; exec sleep 2147483' : '';
    const child = spec.host.chroot
      ? spawn('chroot', [root, '/bin/sh', '-c', `cd "$1" && /bin/sh "$2"${hang}`, 'sh', `/${path.relative(root, cwd)}`, `/${path.relative(root, scriptPath)}`], {
          env: { ...agentEnv, PATH: SYSTEM_PATH, HOME: '/root' },
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn('/bin/sh', spec.hang ? ['-c', `/bin/sh "$1"${hang}`, 'sh', scriptPath] : [scriptPath], {
          cwd,
          // STNS_FLEET_LAB_SERVICES: the host script restarts cache-stnsd through the systemctl stand-in, as on a
          // running host (converge.sh sf_lab_services; the model is lab-bin/lib/cache-stnsd.mjs).
          env: { ...agentEnv, PATH: `${this.o.binDir}:${SYSTEM_PATH}`, HOME: path.join(root, 'root'), TMPDIR: path.join(root, 'tmp'), STNS_FLEET_ROOT: root, STNS_FLEET_LAB_SERVICES: '1', ...this.labEnv() },
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
    setChild(child);
    if (child.pid !== undefined) this.groups.add(child.pid);
    const startedAt = new Date();
    const startedMs = performance.now(); // host seconds to the microsecond: a one-line script takes under 1 ms
    markStarted(startedAt);
    this.o.onSpawn?.(spec);
    const closedEarly = new Promise<boolean>((r) => child.on('close', () => r(true)));
    const out = capture(child.stdout);
    const err = capture(child.stderr);
    const timer = setTimeout(() => kill('timeout'), spec.timeoutMs);
    const exit = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(127));
      child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? KILLED_EXIT : 128 + 15)));
    });
    clearTimeout(timer);
    this.o.onExit?.(spec, performance.now() - startedMs);
    // Background children may still hold the pipes; give them a moment, then stop listening.
    const drain = new AbortController();
    const closed = await Promise.race([closedEarly, drained([out, err], drain.signal)]);
    drain.abort();
    // A group whose output is still held has live background children: stop() kills it.
    if (closed && child.pid !== undefined) this.groups.delete(child.pid);
    child.stdout?.destroy();
    child.stderr?.destroy();
    const result: RunResult = {
      exitCode: killedFor() ? KILLED_EXIT : exit,
      spawned: true,
      stdout: out.text(),
      stderr: err.text(),
      startedAt,
      endedAt: new Date(),
    };
    const why = killedFor();
    if (why) result.killedFor = why;
    await writeFile(path.join(orchestration, 'stdout'), result.stdout).catch(() => {});
    await writeFile(path.join(orchestration, 'stderr'), result.stderr).catch(() => {});
    return result;
  }

  /** Kills every process group the lab started (stop()). */
  killAll(): void {
    for (const pgid of this.groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    this.groups.clear();
  }
}
