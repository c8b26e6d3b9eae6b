// What a command's view is. A command does the work and reports it as typed events while it runs and one
// typed result at the end; its view, human or JSON (or, for plan, Markdown), turns them into text, all of it
// through the run's one Emitter. The CLI chooses the view once, from the options (cli/run.ts); a command
// never asks which one it has. JSON views print one document on stdout at the end and no progress; every
// view still writes warnings and notices on stderr.
import type { Emitter } from '../emitter.js';
import { Progress, progressMode } from '../progress.js';

/** How the user asked for output: what chooses the view (and the progress mode). */
export interface Presentation {
  /** One JSON document on stdout, no progress (the same as format 'json'). */
  json?: boolean;
  /** No progress. */
  quiet?: boolean;
  /** Every host in the reports' lists (default: the first few of each group and how many more); apply also
   * shows the full plan. JSON always has every host. */
  verbose?: boolean;
}

/** Something to tell the user now, on stderr, in any view: an inventory warning, a notice. */
type Notice = { kind: 'warning'; text: string };

export interface View<Result, Event = never> {
  /** What everything is written through; a command registers its secrets here once it has resolved them. */
  readonly emitter: Emitter;
  /** Where the command's steps show their progress (silent in a JSON view). */
  readonly progress: Progress;
  event(e: Event | Notice): void;
  /** The end: the report, or the one JSON document. */
  result(r: Result): void;
}

/** The parts every view shares: the emitter, the progress for its form, notices on stderr. */
export abstract class BaseView<Result, Event = never> implements View<Result, Event> {
  readonly progress: Progress;
  protected readonly verbose: boolean;
  constructor(
    readonly emitter: Emitter,
    o: Presentation & { machine?: boolean },
  ) {
    this.verbose = o.verbose === true;
    this.progress = new Progress(progressMode({ quiet: o.quiet === true || o.machine === true }, emitter.tty ?? {}), emitter);
  }
  event(e: Event | Notice): void {
    if (isNotice(e)) this.emitter.err(`${e.text}\n`);
    else this.onEvent(e);
  }
  protected onEvent(_e: Event): void {}
  abstract result(r: Result): void;
  protected json(doc: unknown): void {
    this.emitter.out(`${JSON.stringify(doc, null, 2)}\n`);
  }
}

function isNotice(e: unknown): e is Notice {
  return typeof e === 'object' && e !== null && (e as Notice).kind === 'warning' && typeof (e as Notice).text === 'string';
}
