// Progress for long work, on stderr so stdout stays the report: listr2's live renderer on a terminal, one
// line per step and per milestone when not (CI logs must not fill with spinner frames), nothing with
// --quiet or in a JSON view. NO_COLOR is honoured by listr2's colour support. Every byte goes through the command's
// Emitter (so through its secret scrubber), never straight to process.stderr; while a live frame is up the
// Emitter holds every other stderr line (a warning, "stopping: …", the interrupt notice) until it is done.
import { Writable } from 'node:stream';
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import type { Emitter } from './emitter.js';

export type ProgressMode = 'live' | 'plain' | 'silent';

type Tty = { isTTY?: boolean; columns?: number; rows?: number };

/** `quiet`: no progress (--quiet, or a JSON view); `stream`: the terminal progress would go to. */
export function progressMode(o: { quiet?: boolean }, stream: Tty | undefined): ProgressMode {
  if (o.quiet) return 'silent';
  if (!stream?.isTTY || process.env['TERM'] === 'dumb') return 'plain';
  // A terminal that reports no width (0 columns: some CI runners, a detached tmux pane) or one too narrow for a
  // frame would get one character per line from the live renderer: plain lines degrade cleanly there.
  return (stream.columns ?? 0) >= MIN_LIVE_COLUMNS ? 'live' : 'plain';
}

/** Narrower than this, a live frame's status lines wrap into noise. */
const MIN_LIVE_COLUMNS = 40;

/** A status line that is a milestone (a board moved, a poll began), not a count: plain mode prints every
 * one, where it keeps counters to one line every 2 s. */
interface StatusOptions {
  milestone?: boolean;
}
type Say = (line: string, o?: StatusOptions) => void;

/** Where progress goes: the mode, the Emitter it is written through, and the status line of the running step. */
export class Progress {
  /** The running step's status line (set by runSteps while a step runs). */
  #say: Say | undefined;

  /** `tty`: the terminal the live renderer sizes its frames for (default: the emitter's). */
  constructor(
    readonly mode: ProgressMode,
    readonly emitter: Emitter,
    readonly tty: Tty = emitter.tty ?? {},
  ) {}

  /** Shows `line` as the running step's status (nothing between steps, nothing when silent). */
  status(line: string, o?: StatusOptions): void {
    this.#say?.(line, o);
  }

  /** @internal runSteps: whose status line `status` updates. */
  static during(p: Progress, say: Say | undefined): void {
    p.#say = say;
  }
}

/** A step's result when it ended without finishing its work (the rollout stopped, an interrupt): the step
 * shows as failed (✖) with this text, the steps after it do not run, and runSteps resolves normally. */
interface StepFailed {
  failed: string;
}
export const stepFailed = (text: string): StepFailed => ({ failed: text });

export interface Step {
  title: string;
  /** Runs the step; `say` updates the step's status line; the return value replaces the title when done. */
  run: (say: Say) => Promise<string | void | StepFailed>;
}

class StepFailure extends Error {}

const isFailed = (v: unknown): v is StepFailed => typeof v === 'object' && v !== null && typeof (v as StepFailed).failed === 'string';

/** A stderr for listr that writes frames through the emitter and looks like `tty` (isTTY, columns, rows):
 * log-update and the live renderer size and colour their frames from those. Each frame is one write, so one
 * scrub. */
function progressStream(emitter: Emitter, tty: Tty): NodeJS.WriteStream {
  const text = (chunk: unknown): string => (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
  const w = new Writable({
    write(chunk: unknown, _enc, cb): void {
      emitter.frame(text(chunk));
      cb();
    },
  });
  // Synchronous, unlike Writable's own write (which may queue): listr expects its frames out in order, at once.
  w.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    emitter.frame(text(chunk));
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

/** listr picks its fallback renderer when stdout is not a terminal; progress is on stderr, and whether that is
 * a terminal is what progressMode decided. */
class StderrRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

/** Runs steps in order; a failing step stops the rest and its error propagates unchanged. A step that returns
 * stepFailed(text) shows as failed and stops the rest too, but runSteps then resolves with { failed: text }. */
export async function runSteps(steps: Step[], p: Progress): Promise<{ failed?: string }> {
  const clean = p.emitter.scrub;
  if (p.mode === 'silent') {
    for (const s of steps) {
      const r = await s.run(() => undefined);
      if (isFailed(r)) return { failed: r.failed };
    }
    return {};
  }
  const live = p.mode === 'live';
  const stream = progressStream(p.emitter, p.tty);
  let failed: string | undefined;
  const tasks: ListrTask[] = steps.map((s) => ({
    title: clean(s.title),
    task: async (_ctx, task): Promise<void> => {
      let last = 0;
      const say: Say = (line, o) => {
        // Plain mode prints every output line: keep counters to one every 2 s so long rollouts stay readable.
        const now = Date.now();
        if (live || o?.milestone || now - last >= 2000) {
          task.output = clean(line);
          last = now;
        }
      };
      Progress.during(p, say);
      let done: string | void | StepFailed;
      try {
        done = await s.run(say);
      } finally {
        Progress.during(p, undefined);
      }
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
  const run = async (): Promise<void> => {
    try {
      await list.run();
    } catch (e) {
      if (!(e instanceof StepFailure)) throw e;
    }
  };
  await (live ? p.emitter.live(run) : run());
  return failed === undefined ? {} : { failed };
}
