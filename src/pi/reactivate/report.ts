// What a reactivate run tells: the events while it runs, the report at the end (also what the confirmation
// shows before anything changes), and the ledger the steps fill in as boards move.
import type { InterruptSignal } from '../../exit-codes.js';
import { reasonText, type MissingBoard, type SeenBoard, type Suspect } from '../clones.js';
import type { BoardIdentity } from '../identity-script.js';
import { boardName } from '../naming.js';
import { normalizeSerial, type PiSettings } from '../settings.js';

export type ReactivateEvent = { kind: 'progress'; text: string } | { kind: 'warning'; text: string };

/** 'planned': a dry run (or the question) would move it; 'kept': it cannot be moved as the inventory stands. */
export type BoardOutcome = 'moved' | 'failed' | 'pending' | 'offline' | 'planned' | 'kept';

export interface BoardReport {
  group: string;
  oldId: string;
  newId?: string;
  serial?: string;
  name?: string;
  outcome: BoardOutcome;
  detail: string;
}

export interface IdReport {
  id: string;
  group: string;
  reasons: string[];
  expected: number;
  expectedFrom: 'inventory' | 'seen';
  boardsSeen: number;
  action: 'deregistered' | 'kept' | 'planned';
  detail: string;
}

export interface ActivationRecord {
  group: string;
  activationId: string;
  registrationLimit: number;
  expiresAt: string;
  /** Why this one replaced the previous: 'expired' (registration refused) or 'used-up'. */
  replaced?: 'expired' | 'used-up';
  deleted: boolean;
  deleteError?: string;
}

export interface ReactivateReport {
  stamp: string;
  dryRun: boolean;
  /** Nothing suspected: nothing was created, moved or deregistered. */
  clean: boolean;
  nodesPolled: number;
  warnings: string[];
  ids: IdReport[];
  boards: BoardReport[];
  activations: ActivationRecord[];
  /** A signal stopped the run (the JSON report has always said 'interrupted'; `interrupted` says which). */
  aborted?: 'interrupted';
  interrupted?: InterruptSignal;
  /** The confirmation was declined: nothing changed. */
  declined?: boolean;
}

/** What the run has done so far, shared by every ID's moves: a board moved behind one ID is no longer
 * missing for the next, and a new ID found for one board is not another board's. */
export interface Ledger {
  /** Managed-node IDs accounted for: every one discovered, and each new ID once its board is identified. */
  claimed: Set<string>;
  /** Keys (boardKey) of the boards moved in this run. */
  moved: Set<string>;
  boards: BoardReport[];
}

export function idReport(s: Suspect, action: IdReport['action'], detail: string): IdReport {
  return { id: s.id, group: s.group, reasons: s.reasons.map(reasonText), expected: s.expected, expectedFrom: s.expectedFrom, boardsSeen: s.boards.length, action, detail };
}

/** A board row for a board known by its identity (named from the inventory when it can be). */
export function boardRow(s: Suspect, b: BoardIdentity, pi: PiSettings, outcome: BoardOutcome, detail: string, newId?: string): BoardReport {
  const name = boardName(b, pi)?.name;
  return { group: s.group, oldId: s.id, ...(newId ? { newId } : {}), ...serialOf(b), ...(name ? { name } : {}), outcome, detail };
}

/** A board row for a board detection saw behind the suspect (named as detection named it). */
export function seenRow(s: Suspect, b: SeenBoard, outcome: BoardOutcome, detail: string): BoardReport {
  return { group: s.group, oldId: s.id, ...serialOf(b.identity), ...(b.name ? { name: b.name } : {}), outcome, detail };
}

/** A board row for a board known only by the key its launcher reported when it accepted. */
export function keyRow(s: Suspect, key: string, pi: PiSettings, outcome: BoardOutcome, detail: string): BoardReport {
  const serial = key.startsWith('serial:') ? key.slice(7) : undefined;
  const name = serial ? boardName({ serial }, pi)?.name : undefined;
  return { group: s.group, oldId: s.id, ...(serial ? { serial } : {}), ...(name ? { name } : {}), outcome, detail };
}

export function serialOf(i: BoardIdentity): { serial?: string } {
  return i.serial ? { serial: i.serial } : {};
}

/** A listed board no online node reported, as the report shows it (behind which suspect it may hide). */
export function offlineBoard(group: string, m: MissingBoard, suspects: Suspect[]): BoardReport {
  const holder = suspects.find((s) => s.group === group && s.missing.some((x) => x.serial === m.serial));
  return {
    group,
    oldId: holder?.id ?? '-',
    serial: m.serial,
    name: m.name,
    outcome: 'offline',
    detail: holder ? `listed in the inventory but not seen: switched off, or still behind ${holder.id}; a later run moves it` : 'listed in the inventory but not seen on any node',
  };
}

/** The group's listed boards that detection did not see and that have not moved in this run since. */
export function stillMissing(missing: MissingBoard[] | undefined, ledger: Ledger): MissingBoard[] {
  return (missing ?? []).filter((m) => !ledger.moved.has(`serial:${normalizeSerial(m.serial)}`));
}

export function describeBoard(i: BoardIdentity): string {
  if (i.serial) return `board ${i.serial}`;
  const mac = i.macs[0]?.mac;
  return mac ? `board with MAC ${mac}` : `board (boot ${i.bootId ?? '?'})`;
}
