// What a host's plan changes, as data for the views (src/output/) to draw: per file the action, mode and owner,
// and the diff as structured hunks of the *shown* forms (stns.conf redacted, secret placeholders
// "(sensitive)": host-plan.ts), so no secret can reach a view or a saved plan; then the AuthorizedKeysCommand
// sshd will use before and after, the NSS source order, and the packages. No text is made here.
import { structuredPatch } from 'diff';
import { NSS_DATABASES, type NssDatabase } from '../render/nsswitch.js';
import type { FileRole } from '../render/desired-file.js';
import type { KeysCommand } from '../sshd/strategy.js';
import type { FileAction, FileChange, HostPlan } from './host-plan.js';

/** Hunks as `diff`'s structuredPatch gives them (lines start with ' ', '-', '+' or '\'). */
interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: string[];
}

type FileDiff =
  | { kind: 'text'; hunks: DiffHunk[] }
  /** A file with a NUL byte: only the first 12 hex digits of its sha256 before and after ('absent' when absent). */
  | { kind: 'binary'; before: string; after: string }
  /** The shown forms are equal: what changes is a secret value (the host's token, a header), never shown. */
  | { kind: 'secret-only' };

export interface PlannedFile {
  path: string;
  action: FileAction;
  role: FileRole;
  /** 'enforce': the file becomes root:root `mode`; 'keep': an existing file keeps its owner and mode. */
  ownership: 'enforce' | 'keep';
  mode: number;
  /** Absent and staying absent: nothing to show (it still counts for the column widths). */
  absent?: true;
  /** Present when the file changes. */
  diff?: FileDiff;
}

export interface SshdChange {
  before?: KeysCommand;
  after?: KeysCommand;
  /** The keys command is already what it must be: nothing changes for sshd. */
  alreadyRight: boolean;
  /** EC2 Instance Connect's keys are still served, after the STNS keys. */
  chainsEic: boolean;
}

export interface NssChange {
  database: NssDatabase;
  /** The sources of the database's line; null when there is no line. */
  before: string[] | null;
  after: string[] | null;
}

export type PackageChange =
  | { state: 'install'; packages: string[]; manager: string }
  | { state: 'unsupported'; reason: string }
  | { state: 'installed' };

export interface HostChanges {
  files: PlannedFile[];
  sshd: SshdChange;
  nss: NssChange[];
  packages: PackageChange;
}

const CONTEXT = 3;
const isText = (b: Buffer | null): boolean => b === null || !b.includes(0);

function fileDiff(c: FileChange): FileDiff {
  const after = c.shownAfter;
  if (!isText(c.before) || !isText(after)) return { kind: 'binary', before: c.beforeSha256.slice(0, 12), after: c.afterSha256.slice(0, 12) };
  const before = c.before?.toString('utf8') ?? '';
  const afterText = after?.toString('utf8') ?? '';
  if (c.action === 'update' && before === afterText) return { kind: 'secret-only' };
  // The file names are drawn by the view from the path and action; only the hunks are kept.
  const { hunks } = structuredPatch('a', 'b', before, afterText, undefined, undefined, { context: CONTEXT });
  return { kind: 'text', hunks: hunks.map(({ oldStart, oldLines, newStart, newLines, lines }) => ({ oldStart, oldLines, newStart, newLines, lines })) };
}

export function plannedFile(c: FileChange): PlannedFile {
  return {
    path: c.file.path,
    action: c.action,
    role: c.file.role,
    ownership: c.file.ownership,
    mode: c.file.mode,
    ...(c.action === 'noop' && c.file.content === null ? { absent: true as const } : {}),
    ...(c.action === 'noop' ? {} : { diff: fileDiff(c) }),
  };
}

export function hostChanges(hp: HostPlan): HostChanges {
  const d = hp.desired;
  const s = d.sshd;
  return {
    files: hp.changes.map(plannedFile),
    sshd: { ...(s.before ? { before: s.before } : {}), ...(s.after ? { after: s.after } : {}), alreadyRight: s.strategy === 'unchanged' && !s.error, chainsEic: s.chainsEic },
    nss: NSS_DATABASES.map((database) => ({ database, before: d.nss.before[database] ?? null, after: d.nss.after[database] ?? null })),
    packages: d.packages
      ? { state: 'install', packages: d.packages.packages, manager: d.packages.manager }
      : d.packagesUnsupported
        ? { state: 'unsupported', reason: d.packagesUnsupported }
        : { state: 'installed' },
  };
}
