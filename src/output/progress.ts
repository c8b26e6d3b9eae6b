// Progress for long work, on stderr so stdout stays the report: listr2's live renderer on a terminal, one
// line per step and per milestone when not (CI logs must not fill with spinner frames), nothing with
// --quiet or --json. NO_COLOR is honoured by listr2's colour support. Every byte goes through the command's
// Io (so through its secret scrubber), never straight to process.stderr.
import { Writable } from 'node:stream';
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import type { Io } from './io.js';

export type ProgressMode = 'live' | 'plain' | 'silent';

export function progressMode(o: { quiet?: boolean; json?: boolean }, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (o.quiet || o.json) return 'silent';
  return stream.isTTY && process.env['TERM'] !== 'dumb' ? 'live' : 'plain';
}

/** Where progress goes: the mode, and the (scrubbing) Io whose err it is written to. */
export interface Progress {
  mode: ProgressMode;
  io: Io;
  /** The terminal the live renderer sizes its frames for (default process.stderr). */
  tty?: { isTTY?: boolean; columns?: number; rows?: number };
}

export function progressFor(o: { quiet?: boolean; json?: boolean }, io: Io): Progress {
  return { mode: progressMode(o), io };
}

/** A step's result when it ended without finishing its work (the rollout stopped, an interrupt): the step
 * shows as failed (✖) with this text, the steps after it do not run, and runSteps resolves normally. */
export interface StepFailed {
  failed: string;
}
export const stepFailed = (text: string): StepFailed => ({ failed: text });

export interface Step {
  title: string;
  /** Runs the step; `say` updates the step's status line; the return value replaces the title when done. */
  run: (say: (line: string) => void) => Promise<string | void | StepFailed>;
}

class StepFailure extends Error {}

const isFailed = (v: unknown): v is StepFailed => typeof v === 'object' && v !== null && typeof (v as StepFailed).failed === 'string';

/** A stderr for listr that writes through `io.err` and looks like `tty` (isTTY, columns, rows): log-update and
 * the live renderer size and colour their frames from those. Each frame is one write, so one scrub. */
function progressStream(io: Io, tty: NonNullable<Progress['tty']>): NodeJS.WriteStream {
  const text = (chunk: unknown): string => (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
  const w = new Writable({
    write(chunk: unknown, _enc, cb): void {
      io.err(text(chunk));
      cb();
    },
  });
  // Synchronous, unlike Writable's own write (which may queue): listr expects its frames out in order, at once.
  w.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    io.err(text(chunk));
    const cb = rest.find((x): x is () => void => typeof x === 'function');
    cb?.();
    return true;
  }) as Writable['write'];
  Object.defineProperties(w, {
    isTTY: { get: () => tty.isTTY === true },
    columns: { get: () => tty.columns },
    rows: { get: () => tty.rows },
  });
  return w as unknown as NodeJS.WriteStream;
}

/** While the live frame is on screen, anything else written to process.stderr (warnings, "stopping: …", the
 * interrupt notice) waits until it is done, as listr does when it owns stderr: otherwise it would tear the
 * frame. The frame itself, written through io.err, may end in process.stderr too: `frame` lets it through. */
function holdStderr(): { frame: (f: () => void) => void; release: () => void } {
  const original = process.stderr.write;
  const held: unknown[][] = [];
  let inFrame = false;
  process.stderr.write = function (this: NodeJS.WriteStream, ...args: unknown[]): boolean {
    if (inFrame) return (original as (...a: unknown[]) => boolean).apply(this, args);
    held.push(args.filter((a) => typeof a !== 'function'));
    const cb = args.find((x): x is () => void => typeof x === 'function');
    cb?.();
    return true;
  } as typeof process.stderr.write;
  return {
    frame: (f) => {
      inFrame = true;
      try {
        f();
      } finally {
        inFrame = false;
      }
    },
    release: () => {
      process.stderr.write = original;
      for (const a of held) (original as (...x: unknown[]) => boolean).apply(process.stderr, a);
    },
  };
}

/** listr picks its fallback renderer when stdout is not a terminal; progress is on stderr, and whether that is
 * a terminal is what progressMode decided. */
class StderrRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

/** Runs steps in order; a failing step stops the rest and its error propagates unchanged. A step that returns
 * stepFailed(text) shows as failed and stops the rest too, but runSteps then resolves with { failed: text }. */
export async function runSteps(steps: Step[], p: Progress): Promise<{ failed?: string }> {
  const clean = p.io.scrub ?? ((t: string): string => t);
  if (p.mode === 'silent') {
    for (const s of steps) {
      const r = await s.run(() => undefined);
      if (isFailed(r)) return { failed: r.failed };
    }
    return {};
  }
  const live = p.mode === 'live';
  const hold = live ? holdStderr() : undefined;
  const io: Io = hold ? { ...p.io, err: (t) => hold.frame(() => p.io.err(t)) } : p.io;
  const stream = progressStream(io, p.tty ?? process.stderr);
  let failed: string | undefined;
  const tasks: ListrTask[] = steps.map((s) => ({
    title: clean(s.title),
    task: async (_ctx, task): Promise<void> => {
      let last = 0;
      const done = await s.run((line) => {
        // Plain mode prints every output line: keep to one every 2 s so long rollouts stay readable.
        const now = Date.now();
        if (live || now - last >= 2000) {
          task.output = clean(line);
          last = now;
        }
      });
      if (isFailed(done)) {
        failed = done.failed;
        // Live: the step's line becomes the text, with ✖. Plain: "✖ title [FAILED: text]".
        if (live) task.title = clean(done.failed);
        throw new StepFailure(clean(done.failed));
      }
      if (done) task.title = clean(done);
    },
  }));
  const logger = new ListrLogger({ processOutput: new ProcessOutput(stream, stream) });
  const list = live
    ? new Listr(tasks, { concurrent: false, exitOnError: true, registerSignalListeners: false, renderer: StderrRenderer, rendererOptions: { collapseErrors: false, logger } })
    : new Listr(tasks, { concurrent: false, exitOnError: true, registerSignalListeners: false, renderer: 'simple', rendererOptions: { logger } });
  try {
    await list.run();
  } catch (e) {
    if (!(e instanceof StepFailure)) throw e;
  } finally {
    hold?.release();
  }
  return failed === undefined ? {} : { failed };
}
