// An interrupt (Ctrl-C, SIGTERM) at every phase of apply, and during plan and verify, against the lab in
// process: after the abort no SendCommand is made, what is in flight is cancelled, every host is reported,
// and the exit code is 130 (SIGINT) / 143 (SIGTERM). Each abort fires at a chosen event (a transport call, a
// progress line, the prompt), never on a timer. The commands in flight are held (the boards' agents stopped,
// so nobody picks them up) until the cancel, so "in flight" is certain, whatever the machine's load.
// Last, the real CLI in a child process: SIGTERM during the facts → exit 143, nothing applied; two Ctrl-C quit.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyCommand, planCommand, verifyCommand } from '../../src/cli/run.js';
import { terminalConfirm, type Io } from '../../src/output/io.js';
import type { FleetTransport, TransportFactory } from '../../src/commands/session.js';
import { sdkTransport } from '../../src/cli/transport.js';
import { Interrupted, type InterruptSignal } from '../../src/exit-codes.js';
import { type Lab, labInventoryYaml, startLab } from '@stns-fleet/lab';
import type { RunOptions, RunRequest } from '../../src/transport/types.js';
import { CLI } from '../cli/run-cli.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for a condition by polling it (a condition, not a time budget: the outer test timeout is the limit). */
async function until(f: () => boolean): Promise<void> {
  while (!f()) await sleep(10);
}

interface Captured {
  io: Io;
  text: () => string;
}
function capture(onErr?: (all: string) => void): Captured {
  const parts: string[] = [];
  const text = (): string => parts.join('');
  return {
    io: {
      out: (t) => void parts.push(t),
      err: (t) => {
        parts.push(t);
        onErr?.(text());
      },
    },
    text,
  };
}

/** Where to abort: after a discover call returns; once a run's SendCommand reached the lab (`sent`, the
 * command held in flight) or after the run returned (`returned`). */
type AbortAt = { op: 'discover' } | { op: 'run'; comment: RegExp; nth?: number; at: 'sent' | 'returned' };

interface Rig {
  ctl: AbortController;
  factory: TransportFactory;
  /** Index in lab.requests() at which the abort fired. */
  abortedAt: () => number | undefined;
  abort: () => void;
}

function rig(lab: Lab, at: AbortAt | undefined, sig: InterruptSignal = 'SIGINT'): Rig {
  const ctl = new AbortController();
  let abortedAt: number | undefined;
  const abort = (): void => {
    if (ctl.signal.aborted) return;
    abortedAt = lab.requests().length;
    ctl.abort(new Interrupted(sig));
  };
  const sends = (): number => lab.requests().filter((r) => r.operation === 'SendCommand').length;
  const base = sends();
  // Every run started before the abort sends one SendCommand (≤ 50 hosts each here): the abort waits until all
  // of them reached the lab, so any SendCommand recorded after it was started after it.
  let started = 0;
  let seen = 0;
  const factory: TransportFactory = (aws) => {
    const real = sdkTransport(aws);
    const run = async (req: RunRequest, o?: RunOptions): Promise<Awaited<ReturnType<FleetTransport['run']>>> => {
      if (!ctl.signal.aborted && req.instanceIds.length > 0) started++;
      if (at?.op !== 'run' || !at.comment.test(req.comment) || ++seen !== (at.nth ?? 1) || ctl.signal.aborted) return real.run(req, o);
      const boards = req.instanceIds.map((id) => lab.host(id)!.key);
      if (at.at === 'sent') for (const b of boards) lab.setAgent(b, 'stopped'); // nobody picks the command up
      try {
        const p = real.run(req, o);
        if (at.at === 'sent') {
          await until(() => sends() - base >= started);
          abort();
        }
        const r = await p;
        if (at.at === 'returned') abort();
        return r;
      } finally {
        if (at.at === 'sent') for (const b of boards) lab.setAgent(b, 'running');
      }
    };
    return new Proxy(real, {
      get(target, prop) {
        if (prop === 'run') return run;
        if (prop === 'discover') {
          return async (...a: Parameters<FleetTransport['discover']>) => {
            const d = await target.discover(...a);
            if (at?.op === 'discover') abort();
            return d;
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return { ctl, factory, abortedAt: () => abortedAt, abort };
}

const piIds = (lab: Lab): string[] => lab.hosts.flatMap((h) => (h.id ? [h.id] : []));

/** SendCommand requests from index `from` on, by kind: 'facts', 'apply', 'verify' (from their Comment). */
function sendsFrom(lab: Lab, from: number): string[] {
  return lab
    .requests()
    .slice(from)
    .filter((r) => r.operation === 'SendCommand')
    .map((r) => /^stns-fleet (facts|apply|verify)\b/.exec((JSON.parse(r.body) as { Comment?: string }).Comment ?? '')?.[1] ?? r.body);
}
const applySends = (lab: Lab): string[] => sendsFrom(lab, 0).filter((c) => c === 'apply');
const calls = (lab: Lab, op: string, from = 0): number => lab.requests().slice(from).filter((r) => r.operation === op).length;

/** Each host a report names under one of `words`, with the line that says why: `word host…: why` (a host
 * alone), or `word N host(s) […]: why` followed by the lines that name its hosts (src/output/host-groups.ts).
 * A host named twice fails. */
function hostWords(text: string, words: string): Map<string, { word: string; line: string }> {
  const by = new Map<string, { word: string; line: string }>();
  const head = new RegExp(`^ *(${words}) +(?:\\d+ host\\(s\\)|(m?i-[0-9a-f]+)\\b)`);
  const set = (id: string, v: { word: string; line: string }): void => {
    expect(by.get(id), `${id} named twice in:\n${text}`).toBeUndefined();
    by.set(id, v);
  };
  let group: { word: string; line: string } | undefined;
  for (const line of text.split('\n')) {
    const m = head.exec(line);
    if (m) {
      group = m[2] ? undefined : { word: m[1]!, line };
      if (m[2]) set(m[2], { word: m[1]!, line });
    } else if (group && /^ +m?i-[0-9a-f]+\b/.test(line)) {
      for (const id of line.match(/\bm?i-[0-9a-f]+\b/g) ?? []) set(id, group);
    } else group = undefined;
  }
  return by;
}

const OUTCOMES = 'changed|unchanged|skipped|cancelled|drifted|failed';

/** Every host appears in the Results with exactly one outcome. */
function everyHostReported(text: string, ids: string[]): Map<string, string> {
  const results = text.slice(text.lastIndexOf('\nResults:'));
  const named = hostWords(results, OUTCOMES);
  const by = new Map<string, string>();
  for (const id of ids) {
    expect(named.get(id), `${id} in:\n${results}`).toBeDefined();
    by.set(id, named.get(id)!.word);
  }
  return by;
}

function useLabEnv(lab: Lab): void {
  Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '50', STNS_FLEET_MAX_POLL_MS: '200' });
}

function inventoryFor(lab: Lab): string {
  const file = path.join(lab.workDir, 'inventory.yaml');
  writeFileSync(file, labInventoryYaml({ stnsEndpoint: lab.stnsEndpoint, region: lab.region, rollout: { canary: 1, max_concurrency: '50%', max_errors: 0 } }));
  return file;
}

// Three Raspberry Pi boards (managed nodes: their agents can be stopped and started, which holds a command).
// Long lab timeouts: a held command must stay in flight until it is cancelled.
const LAB = { hosts: 3, pis: 3, deliveryTimeoutMs: 60_000, executionTimeoutMs: 60_000 } as const;

describe('apply: an interrupt before the rollout sends no apply script', () => {
  let lab: Lab;
  let inv: string;
  beforeAll(async () => {
    lab = await startLab({ ...LAB, seed: 'interrupt-early' });
    useLabEnv(lab);
    inv = inventoryFor(lab);
  });
  afterAll(() => lab?.stop());

  test('during discovery: no SendCommand at all, every host reported, exit 130', async () => {
    const r = rig(lab, { op: 'discover' });
    const c = capture();
    const from = lab.requests().length;
    expect(await applyCommand({ inventory: inv, yes: true, quiet: true, canary: '0' }, r.factory, c.io, r.ctl.signal)).toBe(130);
    expect(sendsFrom(lab, from)).toEqual([]);
    const by = everyHostReported(c.text(), piIds(lab));
    expect([...by.values()].every((o) => o === 'skipped')).toBe(true);
    expect(c.text()).toMatch(/Stopped: interrupted \(Ctrl-C\) before the rollout: nothing was changed\./);
    expect(c.text()).not.toMatch(/Applying to/);
  });

  test('while the facts command is in flight: it is cancelled, nothing else is sent; SIGTERM → 143', async () => {
    const r = rig(lab, { op: 'run', comment: /facts/, at: 'sent' }, 'SIGTERM');
    const c = capture();
    const from = lab.requests().length;
    expect(await applyCommand({ inventory: inv, yes: true, quiet: true, canary: '0' }, r.factory, c.io, r.ctl.signal)).toBe(143);
    expect(sendsFrom(lab, from)).toEqual(['facts']);
    expect(sendsFrom(lab, r.abortedAt()!)).toEqual([]);
    expect(calls(lab, 'CancelCommand', r.abortedAt()!)).toBeGreaterThan(0);
    expect(c.text()).toMatch(/^ +unreachable +.*: .*interrupted \(SIGTERM\)/m);
    everyHostReported(c.text(), piIds(lab));
    expect(c.text()).toMatch(/Stopped: interrupted \(SIGTERM\) before the rollout/);
  });

  test('while the plan is rendered (progress shows the step): the facts were read, no apply is sent', async () => {
    const r = rig(lab, undefined);
    // Progress (plain: stderr is not a terminal here) goes through the Io: abort when the step starts.
    const c = capture((all) => void (/Rendering the plan/.test(all) && r.abort()));
    const from = lab.requests().length;
    expect(await applyCommand({ inventory: inv, yes: true, canary: '0' }, r.factory, c.io, r.ctl.signal)).toBe(130);
    expect(r.abortedAt()).toBeDefined();
    expect(sendsFrom(lab, from)).toEqual(['facts']);
    expect(sendsFrom(lab, r.abortedAt()!)).toEqual([]);
    const by = everyHostReported(c.text(), piIds(lab));
    expect([...by.values()]).toEqual(['skipped', 'skipped', 'skipped']);
    expect(c.text()).toMatch(/✖ Rendering the plan.*interrupted \(Ctrl-C\)/);
    expect(c.text()).not.toMatch(/Applying to/);
  });

  test('at the confirmation prompt: Ctrl-C on the terminal ends the question, nothing is applied', async () => {
    const r = rig(lab, undefined);
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
    const output = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let asked = '';
    output.on('data', (d: Buffer) => {
      asked += d.toString();
      if (asked.includes('Only "yes" is accepted')) input.write('\x03'); // Ctrl-C, as the terminal sends it
    });
    // Readline takes Ctrl-C as a key: terminalConfirm raises it as the process's SIGINT, whose listener (in the
    // CLI, the interrupt handler of cli/program.ts) aborts the command's signal.
    const onSigint = (): void => r.abort();
    process.on('SIGINT', onSigint);
    const c = capture();
    const io: Io = { ...c.io, confirm: terminalConfirm(input, output) };
    const from = lab.requests().length;
    try {
      expect(await applyCommand({ inventory: inv, quiet: true, canary: '0' }, r.factory, io, r.ctl.signal)).toBe(130);
    } finally {
      process.off('SIGINT', onSigint);
    }
    expect(asked).toMatch(/Apply these changes to 3 host\(s\)\?/);
    expect(sendsFrom(lab, from)).toEqual(['facts']);
    everyHostReported(c.text(), piIds(lab));
    expect(c.text()).not.toMatch(/Apply cancelled/);
  });

  test('while the canary is in flight: it is cancelled, no other host gets a command', async () => {
    const r = rig(lab, { op: 'run', comment: /^stns-fleet apply/, at: 'sent' });
    const c = capture();
    const before = applySends(lab).length;
    expect(await applyCommand({ inventory: inv, yes: true, quiet: true, canary: '1' }, r.factory, c.io, r.ctl.signal)).toBe(130);
    expect(applySends(lab).length - before).toBe(1);
    expect(sendsFrom(lab, r.abortedAt()!)).toEqual([]);
    expect(calls(lab, 'CancelCommand', r.abortedAt()!)).toBeGreaterThan(0);
    const by = everyHostReported(c.text(), piIds(lab));
    expect([...by.values()].sort()).toEqual(['cancelled', 'skipped', 'skipped']);
    expect(c.text()).toMatch(/cancelled +mi-\w+ .*\(canary\)/);
    expect(c.text()).toMatch(/Stopped: interrupted \(Ctrl-C\): in-flight commands were cancelled\./);
  });

  test('plan: interrupted during the facts → 130, every host listed, --out not written', async () => {
    const r = rig(lab, { op: 'run', comment: /facts/, at: 'sent' });
    const c = capture();
    const out = path.join(lab.workDir, 'interrupted.plan.json');
    expect(await planCommand({ inventory: inv, quiet: true, out }, r.factory, c.io, r.ctl.signal)).toBe(130);
    expect(sendsFrom(lab, r.abortedAt()!)).toEqual([]);
    const unreachable = hostWords(c.text(), 'unreachable');
    for (const id of piIds(lab)) expect(unreachable.get(id)?.line, id).toMatch(/interrupted \(Ctrl-C\)/);
    expect(existsSync(out)).toBe(false);
    expect(c.text()).toMatch(/interrupted.plan.json was not written/);
  });

  test('the boards are untouched: no apply script ever ran on them', () => {
    for (const h of lab.hosts) expect(readFileSync(path.join(h.dir, 'etc/nsswitch.conf'), 'utf8')).not.toMatch(/stns/);
  });
});

describe('the confirmation prompt on a terminal', () => {
  const tty = (): { input: PassThrough; output: PassThrough; asked: Promise<void> } => {
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
    const output = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let text = '';
    const asked = new Promise<void>((resolve) => output.on('data', (d: Buffer) => void ((text += d.toString()).includes('?') && resolve())));
    return { input, output, asked };
  };

  test('Ctrl-C ends the question (no) and raises SIGINT, even with no signal to abort', async () => {
    const t = tty();
    let raised = 0;
    const answer = terminalConfirm(t.input, t.output, () => void raised++)('Go?');
    await t.asked;
    t.input.write('\x03');
    expect(await answer).toBe(false);
    expect(raised).toBe(1);
  });

  test('an abort of the signal (SIGTERM) ends the question: no', async () => {
    const t = tty();
    const ctl = new AbortController();
    const answer = terminalConfirm(t.input, t.output, () => undefined)('Go?', ctl.signal);
    await t.asked;
    ctl.abort(new Interrupted('SIGTERM'));
    expect(await answer).toBe(false);
  });

  test('"yes" is still yes', async () => {
    const t = tty();
    const answer = terminalConfirm(t.input, t.output, () => undefined)('Go?', new AbortController().signal);
    await t.asked;
    t.input.write('yes\r');
    expect(await answer).toBe(true);
  });
});

describe('apply: an interrupt after the canary changed stops the rest', () => {
  let lab: Lab;
  let inv: string;
  beforeAll(async () => {
    lab = await startLab({ ...LAB, seed: 'interrupt-late' });
    useLabEnv(lab);
    inv = inventoryFor(lab);
  });
  afterAll(() => lab?.stop());

  test("while the canary's verify is in flight: it is cancelled, the rest get nothing", async () => {
    const r = rig(lab, { op: 'run', comment: /verify/, at: 'sent' });
    const c = capture();
    expect(await applyCommand({ inventory: inv, yes: true, quiet: true, canary: '1' }, r.factory, c.io, r.ctl.signal)).toBe(130);
    expect(applySends(lab)).toHaveLength(1);
    expect(sendsFrom(lab, r.abortedAt()!)).toEqual([]);
    expect(calls(lab, 'CancelCommand', r.abortedAt()!)).toBeGreaterThan(0);
    const by = everyHostReported(c.text(), piIds(lab));
    expect([...by.values()].sort()).toEqual(['changed', 'skipped', 'skipped']);
    expect(c.text()).toMatch(/Stopped: interrupted \(Ctrl-C\) while the canary was verified: nothing more was sent\./);
  });

  test('while the rest is in flight: cancelled, no SendCommand after the abort, every host reported', async () => {
    // The canary above changed one board: this plan changes the other two; the canary is one of them.
    const r = rig(lab, { op: 'run', comment: /^stns-fleet apply/, nth: 2, at: 'sent' });
    const c = capture();
    const before = applySends(lab).length;
    expect(await applyCommand({ inventory: inv, yes: true, quiet: true, canary: '1' }, r.factory, c.io, r.ctl.signal)).toBe(130);
    expect(applySends(lab).length - before).toBe(2); // the canary, then the rest
    expect(sendsFrom(lab, r.abortedAt()!)).toEqual([]);
    expect(calls(lab, 'CancelCommand', r.abortedAt()!)).toBeGreaterThan(0);
    const by = everyHostReported(c.text(), piIds(lab));
    expect([...by.values()].sort()).toEqual(['cancelled', 'changed', 'unchanged']);
    expect(c.text()).toMatch(/Stopped: interrupted \(Ctrl-C\): in-flight commands were cancelled\./);
  });

  test('verify: interrupted while its command is in flight → 130, every host reported', async () => {
    const r = rig(lab, { op: 'run', comment: /verify/, at: 'sent' });
    const c = capture();
    expect(await verifyCommand({ inventory: inv, quiet: true }, r.factory, c.io, r.ctl.signal)).toBe(130);
    expect(sendsFrom(lab, r.abortedAt()!)).toEqual([]);
    expect(calls(lab, 'CancelCommand', r.abortedAt()!)).toBeGreaterThan(0);
    const verified = hostWords(c.text(), 'FAIL|ok|skip');
    for (const id of piIds(lab)) expect(verified.get(id), id).toBeDefined();
    expect(c.text()).toMatch(/Verify interrupted \(Ctrl-C\)\./);
  });
});

describe('the CLI in a child process', () => {
  let lab: Lab;
  let inv: string;
  beforeAll(async () => {
    // EC2 hosts that take 30 s to pick a command up: the facts command is surely in flight when the signal comes.
    lab = await startLab({ hosts: 3, pis: 0, os: ['debian-12'], seed: 'interrupt-cli', faults: 'slow=100%', slowDelayMs: [30_000, 30_000], deliveryTimeoutMs: 60_000, executionTimeoutMs: 60_000 });
    inv = inventoryFor(lab);
  });
  afterAll(() => lab?.stop());

  /** The CLI as a child process; `out(re)` resolves once its stdout/stderr shows `re`. */
  const cli = (args: string[], env: Record<string, string> = {}): { child: ReturnType<typeof spawn>; out: (re: RegExp) => Promise<void>; done: Promise<{ code: number | null; out: string }> } => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...lab.env, STNS_FLEET_POLL_MS: '50', NO_COLOR: '1', ...env } });
    let text = '';
    const waiting: { re: RegExp; resolve: () => void }[] = [];
    const onData = (d: Buffer): void => {
      text += d.toString();
      for (const w of waiting.filter((x) => x.re.test(text))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const out = (re: RegExp): Promise<void> => (re.test(text) ? Promise.resolve() : new Promise((resolve) => waiting.push({ re, resolve })));
    return { child, out, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, out: text }))) };
  };
  const factsSent = (from: number): boolean => sendsFrom(lab, from).includes('facts');

  test('SIGTERM while the facts are gathered: exit 143, the facts command cancelled, no host changed', async () => {
    const from = lab.requests().length;
    const run = cli(['apply', '-i', inv, '--yes', '--canary', '0']);
    // The phase line is shown and its command reached the lab (its hosts take 30 s to pick it up).
    await run.out(/Gathering facts/);
    await until(() => factsSent(from));
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.out, r.out).toMatch(/interrupted: cancelling in-flight commands \(SIGTERM again to quit at once\)/);
    expect(r.code, r.out).toBe(143);
    expect(sendsFrom(lab, from)).toEqual(['facts']);
    expect(calls(lab, 'CancelCommand', from)).toBeGreaterThan(0);
    expect(r.out).toMatch(/Stopped: interrupted \(SIGTERM\) before the rollout: nothing was changed\./);
    expect(r.out).not.toMatch(/Applying to/);
    const by = everyHostReported(r.out, lab.hosts.map((h) => h.id!));
    expect([...by.values()].every((o) => o === 'skipped')).toBe(true);
    expect(lab.stats().hostCommands).toBe(0);
  });

  test('a second Ctrl-C quits at once (130), while the first is still cancelling', async () => {
    // Between the CLI and the lab: a proxy that never answers CancelCommand, so the first Ctrl-C's clean stop
    // cannot finish; the second Ctrl-C is sent once the CancelCommand is there.
    let onCancel: () => void = () => undefined;
    const held: ServerResponse[] = [];
    const proxy: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (String(req.headers['x-amz-target'] ?? '').endsWith('.CancelCommand')) {
        held.push(res);
        onCancel();
        return;
      }
      const up = new URL(lab.endpoint);
      const fwd = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(fwd);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const from = lab.requests().length;
      const run = cli(['plan', '-i', inv], { AWS_ENDPOINT_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
      onCancel = () => void run.child.kill('SIGINT');
      await run.out(/Gathering facts/);
      await until(() => factsSent(from));
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.code, r.out).toBe(130);
      expect(r.out).toMatch(/interrupted: cancelling in-flight commands \(Ctrl-C again to quit at once\)/);
      expect(held.length).toBeGreaterThan(0);
      expect(r.out).not.toMatch(/^Plan: /m); // it quit before reporting
    } finally {
      for (const res of held) res.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, 60_000);
});
