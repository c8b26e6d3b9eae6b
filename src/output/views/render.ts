// `render`'s view: what was rendered from where, one line per file, sshd and NSS before → after, the diffs
// with --diff, and on stderr the warnings and why the host cannot be converged. Text only (render writes
// files; its report is for people).
import type { HostChanges, PlannedFile } from '../../plan/changes.js';
import type { Emitter } from '../emitter.js';
import { formatFileDiff } from '../diff.js';
import { describeChanges } from '../plan-summary.js';
import { BaseView, type View } from './view.js';

interface RenderResult {
  profile: { id: string; label: string };
  arch: string;
  group: string;
  /** Where the current files came from: the --root tree, or the profile's stock layers. */
  from: string;
  notes: string[];
  written: { files: number; dir: string };
  changes: HostChanges;
  /** --diff: show the diff of every file that changes. */
  diff: boolean;
  /** The repository files the host script writes first when the packages are missing (changing ones only). */
  repo: PlannedFile[];
  /** Inventory warnings, formatted (FILE:LINE:COL: …), then the rendering's own. */
  inventoryWarnings: string[];
  warnings: string[];
  /** Why this host cannot be converged; no host script is written then. */
  problems: string[];
  /** --script: the script's path (written only when there is no problem). */
  script?: string;
}

export type RenderView = View<RenderResult>;

class RenderTextView extends BaseView<RenderResult> {
  result(r: RenderResult): void {
    const out = [`render: ${r.profile.id} (${r.profile.label}, ${r.arch}), group "${r.group}", current files from ${r.from}`];
    for (const n of r.notes) out.push(`  note: ${n}`);
    out.push(`  wrote ${r.written.files} file(s) under ${r.written.dir}`);
    out.push(...describeChanges(r.changes).map((l) => `  ${l}`));
    if (r.diff) for (const f of r.changes.files) if (f.action !== 'noop') out.push(formatFileDiff(f));
    if (r.repo.length > 0) out.push(`  if the packages are missing, the host script first writes: ${r.repo.map((f) => f.path).join(', ')}`);
    if (r.diff) for (const f of r.repo) out.push(formatFileDiff(f));
    const err = [...r.inventoryWarnings, ...r.warnings.map((w) => `warning: ${w}`)];
    if (r.problems.length > 0) {
      err.push(...r.problems.map((p) => `error: ${p}`));
      if (r.script) err.push('error: no host script written: this host cannot be converged as it is');
    } else if (r.script) {
      out.push(`  host script: ${r.script} (mode 0700: it carries the auth token; run it as root, or with STNS_FLEET_ROOT=DIR on a tree)`);
    }
    this.emitter.out(`${out.join('\n')}\n`);
    if (err.length > 0) this.emitter.err(`${err.join('\n')}\n`);
  }
}

export function renderView(emitter: Emitter): RenderView {
  // render has no progress: its work is local and quick.
  return new RenderTextView(emitter, { quiet: true });
}
