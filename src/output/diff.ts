// Unified diffs for people, drawn from the plan's structured hunks (src/plan/changes.ts: of the shown forms,
// secrets "(sensitive)", stns.conf redacted), binary files summarised; the same text for `render --diff`,
// `plan` and the Markdown plan.
import { formatPatch, FILE_HEADERS_ONLY } from 'diff';
import { plannedFile, type PlannedFile } from '../plan/changes.js';
import type { FileChange } from '../plan/host-plan.js';
import type { PlanUnit } from '../plan/fleet-plan.js';

const SYMBOL = { create: '+', update: '~', delete: '-', noop: '=' } as const;

export function changeSymbol(f: Pick<PlannedFile, 'action'>): string {
  return SYMBOL[f.action];
}

/** The diff of one planned file ('' when it does not change), git-style headers, ending in a newline. */
export function formatFileDiff(f: PlannedFile): string {
  const d = f.diff;
  if (f.action === 'noop' || !d) return '';
  if (d.kind === 'binary') return `Binary file ${f.path}: ${d.before} → ${d.after}\n`;
  if (d.kind === 'secret-only') return `--- a${f.path}\n+++ b${f.path}\n(only a secret value changes; not shown)\n`;
  return formatPatch(
    {
      oldFileName: f.action === 'create' ? '/dev/null' : `a${f.path}`,
      newFileName: f.action === 'delete' ? '/dev/null' : `b${f.path}`,
      oldHeader: undefined,
      newHeader: undefined,
      hunks: d.hunks,
    },
    FILE_HEADERS_ONLY,
  );
}

/** The diff of one file of a host plan (render, and tests that hold a HostPlan). */
export function fileDiff(c: FileChange): string {
  return formatFileDiff(plannedFile(c));
}

/** The diff of every file a unit changes, in plan order. */
export function unitDiffs(u: Pick<PlanUnit, 'changes'>): string[] {
  return (u.changes?.files ?? []).filter((f) => f.action !== 'noop').map(formatFileDiff);
}
