// Progress for long work, on stderr so stdout stays the report: listr2's live renderer on a terminal, one
// line per step and per milestone when not (CI logs must not fill with spinner frames), nothing with
// --quiet or --json. NO_COLOR is honoured by listr2's colour support.
import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';

export type ProgressMode = 'live' | 'plain' | 'silent';

export function progressMode(o: { quiet?: boolean; json?: boolean }, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (o.quiet || o.json) return 'silent';
  return stream.isTTY && process.env['TERM'] !== 'dumb' ? 'live' : 'plain';
}

export interface Step {
  title: string;
  /** Runs the step; `say` updates the step's status line; the return value replaces the title when done. */
  run: (say: (line: string) => void) => Promise<string | void>;
}

/** Runs steps in order; a failing step stops the rest and its error propagates unchanged. */
export async function runSteps(steps: Step[], mode: ProgressMode): Promise<void> {
  if (mode === 'silent') {
    for (const s of steps) await s.run(() => undefined);
    return;
  }
  const tasks: ListrTask[] = steps.map((s) => ({
    title: s.title,
    task: async (_ctx, task): Promise<void> => {
      let last = 0;
      const done = await s.run((line) => {
        // Plain mode prints every output line: keep to one every 2 s so long rollouts stay readable.
        const now = Date.now();
        if (mode === 'live' || now - last >= 2000) {
          task.output = line;
          last = now;
        }
      });
      if (done) task.title = done;
    },
  }));
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  const list =
    mode === 'live'
      ? new Listr(tasks, { concurrent: false, exitOnError: true, registerSignalListeners: false, renderer: 'default', rendererOptions: { collapseErrors: false, logger } })
      : new Listr(tasks, { concurrent: false, exitOnError: true, registerSignalListeners: false, renderer: 'simple', rendererOptions: { logger } });
  await list.run();
}
