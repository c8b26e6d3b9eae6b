// What becomes of an old ID: deregistered once no board answers to it and no board it stood for is left
// (listed boards not seen, boards seen behind it that did not move, boards that did not finish); else kept,
// tagged stns-fleet:cloned, so boards that were off can still be reached and moved by a later run.
import { CLONED_TAG, type MissingBoard, type Suspect } from '../clones.js';
import type { PiSettings } from '../settings.js';
import type { RunEnv } from './env.js';
import { probe, type Probe } from './probe.js';
import { describeBoard, idReport, stillMissing, type IdReport, type Ledger } from './report.js';
import type { MovePlan } from './plan.js';

/** How the moves behind an online ID ended. */
interface MovesEnd {
  moved: number;
  /** Boards that accepted but did not end under a new ID. */
  unfinished: number;
  /** The latest probe of the old ID, if any. */
  last?: Probe;
  /** Why the moves stopped early, if they did. */
  stop?: string;
}

export async function settleMoved(env: RunEnv, ledger: Ledger, p: MovePlan, missing: MissingBoard[] | undefined, end: MovesEnd): Promise<IdReport> {
  const s = p.suspect;
  // Does any board still answer to the old ID? (Trust a probe that just found nobody; else ask again.)
  const final = end.last?.kind === 'silent' ? end.last : await probe(env, s.id);
  const answering = final.kind === 'board' ? final.identity : undefined;
  const stop = end.stop ?? (final.kind === 'error' ? `a board answers but its identity script fails (${final.detail})` : undefined);
  const unaccounted = stillMissing(missing, ledger);
  const leftBehind = s.boards.filter((b) => !ledger.moved.has(b.key));
  if (final.kind === 'silent' && !stop && end.unfinished === 0 && unaccounted.length === 0 && leftBehind.length === 0) {
    try {
      await env.tr.deregisterManagedInstance(s.id);
      return idReport(s, 'deregistered', `${end.moved} board(s) moved; no board answers to it any more`);
    } catch (e) {
      return idReport(s, 'kept', `${end.moved} board(s) moved; deregistering failed: ${(e as Error).message}`);
    }
  }
  await markCloned(env, s.id, p.tags);
  const why = [
    ...(stop ? [stop] : []),
    ...(answering && !stop
      ? [`it still answers from ${describeBoard(answering)}${end.moved >= p.cap && s.expectedFrom === 'inventory' ? ', which the inventory does not list for this group (add it to pi.names)' : ''}`]
      : []),
    ...(end.unfinished > 0 ? [`${end.unfinished} board(s) did not finish moving`] : []),
    ...(unaccounted.length > 0 ? [`${unaccounted.length} listed board(s) not seen (switched off?): ${unaccounted.map((m) => m.name).join(', ')}`] : []),
    ...(leftBehind.length > 0 && !answering ? [`${leftBehind.length} board(s) seen behind it did not come back`] : []),
  ];
  return idReport(s, 'kept', `${end.moved} board(s) moved; kept (tagged ${CLONED_TAG}) because ${why.join('; ') || 'not every board moved'}; run reactivate again when they are online`);
}

/** An offline suspect: deregistered only when the inventory lists its group's boards and every one is
 * accounted for (seen under its own ID, or moved in this run). */
export async function retireOffline(env: RunEnv, ledger: Ledger, s: Suspect, pi: PiSettings, missing: MissingBoard[] | undefined): Promise<IdReport> {
  if (pi.names.size === 0) {
    return idReport(s, 'kept', `offline; without pi.names for group ${s.group} stns-fleet cannot tell whether a switched-off board still holds it: deregister it yourself once every board is accounted for`);
  }
  const unaccounted = stillMissing(missing, ledger);
  if (unaccounted.length > 0) {
    return idReport(s, 'kept', `offline; kept for ${unaccounted.length} listed board(s) not seen: ${unaccounted.map((m) => m.name).join(', ')}`);
  }
  try {
    await env.tr.deregisterManagedInstance(s.id);
    return idReport(s, 'deregistered', 'offline, and every board the inventory lists for its group answers under its own ID');
  } catch (e) {
    return idReport(s, 'kept', `deregistering failed: ${(e as Error).message}`);
  }
}

async function markCloned(env: RunEnv, id: string, tags: Record<string, string>): Promise<void> {
  if (tags[CLONED_TAG] !== undefined) return;
  try {
    await env.tr.setTags(id, { [CLONED_TAG]: env.stamp });
  } catch (e) {
    env.warn(`${id}: could not tag it ${CLONED_TAG} (${(e as Error).message})`);
  }
}
