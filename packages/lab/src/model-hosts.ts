// Model hosts (LabOptions.modelHosts): a fleet of 10,000 without 10,000 trees and 10,000 shells per command.
// The model is recorded behaviour of the real scripts. Each model host holds only a state; each state is ONE
// real directory tree (the first one per class of hosts made from its stock tree as host-tree.ts makes every
// directory host's), and a transition table maps (state, script) to what the script did there: exit code,
// stdout, stderr and the state it left. On a miss the state's tree is copied (the state's own tree is never
// changed), the script runs on the copy for real with the usual HostRunner environment, and the copy becomes
// the next state. Every (state, script) pair runs once: later and concurrent arrivals wait for that run and
// replay it, at no process cost.
//
// What makes a script the same for every host of a state (scriptKey): a converge script's seal table is left
// out, every line of it whatever its format (`sf_seal …` or `sf_seal_<word> …`: the run key wrapped to each
// recipient host's seal key, and what a batch's wrapping shares, such as an ephemeral key); everything else
// counts (`sf_sealed_file` lines and the sealed payloads among it), so
// per-run parts split the cache once per state and run, as they must: the facts script's SF_REPORT_KEY (its
// STNS_FLEET_SECRET lines are encrypted to it) and a converge script's sealed payloads (under the run key).
// The STNS tokens in force count too (what verify's lookups get depends on them: lab.rotateToken).
//
// Where a model host differs from a directory host (none of it is something the controller decides on):
//   - every host of a class shares its representative's files: /etc/hostname, machine-id, SSH host key,
//     host.env's LAB_HOST, and /var/lib/stns-fleet/seal.key (made by the first facts run), so the facts of
//     one state report one seal public key for all of them (the controller seals the run key to each
//     recipient and each finds its line by the fingerprint: duplicates are fine);
//   - output names the tree it ran on: the real run's tree path is replaced by the host's own `dir`
//     (`<workDir>/hosts/<key>`, what a directory host prints; nothing is made there); but what was recorded
//     once is replayed as it was: the backup directory name (/var/backups/stns-fleet/<UTC time>-<pid>) of
//     the first run, and nothing echoes SSM_COMMAND_ID or AWS_SSM_INSTANCE_ID (the real run has the first
//     arrival's);
//   - nothing ages: a replay is what the run answered then (the STNS caches' TTLs, cache-stnsd's cache);
//     STNS requests are made by the real runs only (lab.stats().stns counts those);
//   - a host's `fail` fault is part of its class (sshd's stand-in reads it from the tree); `timeout` is the
//     replay followed by a hang until the execution timeout, as the runner's hang; the other faults are about
//     delivery and the API and do not reach the model.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { platformOf, seedHostTree, type TreeContext } from './host-tree.js';
import type { LabHost } from './hosts.js';
import type { RunResult } from './runner.js';

export interface ModelState {
  id: number;
  /** The state's tree: never written after it was made. */
  dir: string;
}

/** What one script did on one state, output split at the tree it ran on (joined with each host's dir). */
export interface Transition {
  exitCode: number;
  killedFor?: 'timeout';
  stdout: string[];
  stderr: string[];
  next: ModelState;
}

export interface ModelStats {
  /** Real script runs made by the model (one per distinct state, script and STNS tokens). */
  modelRuns: number;
  /** Invocations answered from the table (including those that waited for the one run). */
  modelHits: number;
  /** States (trees) the model holds. */
  modelStates: number;
}

/** Runs `script` for real on the tree `dir` as `host` would (HostRunner, no hang). */
export type RealRun = (dir: string) => Promise<RunResult>;

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A line of a converge script's seal table (per recipient host, or per batch of them). */
const SEAL_LINE = /^sf_seal(?:_[a-z0-9]+)? /;

/** The script with its seal table left out, as a digest. */
export function scriptKey(script: string): string {
  return sha(
    script
      .split('\n')
      .filter((l) => !SEAL_LINE.test(l))
      .join('\n'),
  );
}

/** Hosts of one class start in one state: what their trees would hold but for their identity. */
function classOf(h: LabHost): string {
  return JSON.stringify([h.os, h.arch, h.variant ?? '', h.firstUser?.name ?? '', h.firstUser?.cloudInit ?? false, h.fault === 'fail']);
}

/** cp -a: modes, symbolic links as they are (a link into the tree stays relative to it). */
function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('cp', ['-a', from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cp -a ${from} ${to}: ${err.trim() || `exit ${code}`}`))));
  });
}

export class ModelHosts {
  private readonly states: ModelState[] = [];
  private readonly at = new Map<string, ModelState>();
  private readonly platforms = new Map<number, { name: string; version: string }>();
  private readonly transitions = new Map<string, Promise<Transition>>();
  /** One script per command: its key is computed once, not per host. */
  private readonly keys = new Map<string, string>();
  private runs = 0;
  private hits = 0;

  constructor(
    private readonly dir: string,
    /** What else a script's result depends on beyond the tree and the script (the STNS tokens in force). */
    private readonly world: () => string = () => '',
  ) {}

  /** One tree per class of model hosts, from its first host; every host starts in its class's state. */
  async seed(hosts: LabHost[], c: TreeContext): Promise<void> {
    const byClass = new Map<string, ModelState>();
    for (const h of hosts) {
      if (!h.model) continue;
      const k = classOf(h);
      let s = byClass.get(k);
      if (!s) {
        s = this.newState();
        // Only `fail` reaches the scripts (sshd's stand-in); the representative's other faults must not.
        await seedHostTree({ ...h, dir: s.dir, fault: h.fault === 'fail' ? 'fail' : undefined }, c);
        this.platforms.set(s.id, await platformOf({ ...h, dir: s.dir }));
        byClass.set(k, s);
      }
      this.at.set(h.key, s);
    }
  }

  /** os-release NAME / VERSION_ID of the host's first state. */
  platformOf(h: LabHost): { name: string; version: string } {
    return this.platforms.get(this.state(h).id)!;
  }

  state(h: LabHost): ModelState {
    const s = this.at.get(h.key);
    if (!s) throw new Error(`${h.key} is not a model host`);
    return s;
  }

  /** The state's tree, for a test's look at a model host's files (read only). */
  treeOf(key: string): string | undefined {
    return this.at.get(key)?.dir;
  }

  /** What `script` does on the host's state: the recorded run, or the one real run of it. */
  lookup(h: LabHost, commandId: string, script: string, real: RealRun): Promise<Transition> {
    const from = this.state(h);
    let sk = this.keys.get(commandId);
    if (sk === undefined) {
      sk = scriptKey(script);
      this.keys.set(commandId, sk);
    }
    const key = `${from.id} ${sk} ${sha(this.world())}`;
    const known = this.transitions.get(key);
    if (known) {
      this.hits++;
      return known;
    }
    this.runs++;
    const t = this.record(from, real);
    this.transitions.set(key, t);
    // A run that could not be made is not recorded: the next arrival tries again.
    t.catch(() => this.transitions.delete(key));
    return t;
  }

  /** The host is now in `s` (its invocation ran to the end). */
  move(h: LabHost, s: ModelState): void {
    this.at.set(h.key, s);
  }

  stats(): ModelStats {
    return { modelRuns: this.runs, modelHits: this.hits, modelStates: this.states.length };
  }

  private newState(): ModelState {
    const s = { id: this.states.length, dir: path.join(this.dir, `state-${this.states.length}`) };
    this.states.push(s);
    return s;
  }

  private async record(from: ModelState, real: RealRun): Promise<Transition> {
    await mkdir(this.dir, { recursive: true });
    const next = this.newState();
    await copyTree(from.dir, next.dir);
    const r = await real(next.dir);
    return {
      exitCode: r.exitCode,
      ...(r.killedFor === 'timeout' ? { killedFor: 'timeout' as const } : {}),
      stdout: r.stdout.split(next.dir),
      stderr: r.stderr.split(next.dir),
      next,
    };
  }
}
