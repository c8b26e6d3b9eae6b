// `validate`'s view: a valid file's one-line summary on stdout and its warnings on stderr; an invalid file's
// problems on stderr, one line each (FILE:LINE:COL: field.path: message); or one JSON document, stdout only.
import { formatProblem, warningsOf, type Problem } from '../../inventory/problems.js';
import type { ValidateReport } from '../../inventory/validate.js';
import type { Emitter } from '../emitter.js';
import { BaseView, type View } from './view.js';

/** `validate --json`'s document. */
interface ValidateJson {
  file: string;
  valid: boolean;
  problems: Problem[];
}

type ValidateView = View<ValidateReport>;

const lines = (ls: readonly string[]): string => ls.map((l) => `${l}\n`).join('');
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

class ValidateTextView extends BaseView<ValidateReport> {
  result(r: ValidateReport): void {
    if (!r.valid || !r.counts) {
      this.emitter.err(lines(r.problems.map(formatProblem)));
      return;
    }
    const c = r.counts;
    this.emitter.out(`${r.file}: valid (${plural(c.groups, 'group')}, ${plural(c.ids, 'host')} by ID, ${plural(c.selectors, 'tag selector')})\n`);
    const warnings = warningsOf(r.problems);
    if (warnings.length > 0) this.emitter.err(lines(warnings.map(formatProblem)));
  }
}

class ValidateJsonView extends BaseView<ValidateReport> {
  result(r: ValidateReport): void {
    const doc: ValidateJson = { file: r.file, valid: r.valid, problems: r.problems };
    this.json(doc);
  }
}

export function validateView(json: boolean, emitter: Emitter): ValidateView {
  // No progress: validate reads one file.
  return json ? new ValidateJsonView(emitter, { machine: true }) : new ValidateTextView(emitter, { quiet: true });
}
