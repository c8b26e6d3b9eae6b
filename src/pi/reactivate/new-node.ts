// A board that accepted the re-register script: find the new managed node it registered as (online, carrying
// the run's stamp, not yet claimed, and answering with that board's identity), or notice it came back on its
// old ID with a failed registration; then tag the new node and report the board moved.
import type { Suspect } from '../clones.js';
import { boardKey, type BoardIdentity } from '../identity-script.js';
import { boardName } from '../naming.js';
import type { PiSettings } from '../settings.js';
import { isOnline } from './detect.js';
import { checkAbort, PREVIOUS_ID_TAG, REACTIVATED_TAG, type RunEnv } from './env.js';
import { identityScriptRequest, pollResultOf, probe, runSafe } from './probe.js';
import { boardRow, describeBoard, type Ledger } from './report.js';

type Arrival =
  | { kind: 'moved'; id: string; identity: BoardIdentity }
  | { kind: 'register-failed'; reason: string; board: BoardIdentity }
  | { kind: 'timeout' };

/** Waits up to newNodeTimeoutMs for the board with key `moving`, which left `oldId`. */
export async function awaitNewNode(env: RunEnv, ledger: Ledger, oldId: string, moving: string): Promise<Arrival> {
  const deadline = env.now() + env.limits.newNodeTimeoutMs;
  let round = 0;
  while (env.now() < deadline) {
    checkAbort(env.signal);
    await env.sleep(env.limits.newNodePollMs);
    round++;
    const d = await env.tr.discover({ ids: [], tagSelectors: [{ [REACTIVATED_TAG]: [env.stamp] }] });
    const fresh = d.hosts.filter((h) => h.kind === 'managed' && isOnline(h) && !ledger.claimed.has(h.id)).map((h) => h.id);
    if (fresh.length > 0) {
      const rs = await runSafe(env, identityScriptRequest(env, fresh, 60));
      for (const id of fresh) {
        const ident = await pollResultOf(env, rs.get(id));
        if ('error' in ident || boardKey(ident) !== moving) continue;
        ledger.claimed.add(id);
        return { kind: 'moved', id, identity: ident };
      }
    }
    // Every other round: did the board come back under the old ID with a failed registration?
    if (round % 2 === 0) {
      const p = await probe(env, oldId);
      const b = p.kind === 'board' ? p.identity : undefined;
      if (b && boardKey(b) === moving && b.status['state'] === 'failed' && b.status['old'] === oldId) {
        return { kind: 'register-failed', reason: `${b.status['step'] ?? '?'}: ${b.status['reason'] ?? 'no reason given'}`, board: b };
      }
    }
  }
  return { kind: 'timeout' };
}

/** Tags the board's new node (the old ID's tags, its Name, where it came from) and reports it moved; `before`
 * is the identity it had under the old ID, to tell whether machine-id and host keys really changed. */
export async function finishMove(
  env: RunEnv,
  ledger: Ledger,
  m: { suspect: Suspect; pi: PiSettings; oldTags: Record<string, string> },
  newId: string,
  ident: BoardIdentity,
  before: BoardIdentity,
): Promise<void> {
  const { suspect: s, pi } = m;
  const key = boardKey(ident);
  ledger.moved.add(key);
  const named = boardName(ident, pi);
  const same = boardKey(before) === key;
  const notes: string[] = [];
  if (ident.managedId && ident.managedId !== newId) notes.push(`the board reports ${ident.managedId}`);
  if (pi.newMachineId && same && before.machineId && before.machineId === ident.machineId) notes.push('machine-id unchanged');
  if (pi.newHostKeys && same && before.hostKey && before.hostKey === ident.hostKey) notes.push('SSH host keys unchanged');
  try {
    await env.tr.setTags(newId, { ...m.oldTags, ...(named ? { Name: named.name } : {}), [PREVIOUS_ID_TAG]: s.id });
  } catch (e) {
    notes.push(`tagging failed: ${(e as Error).message} (run stns-fleet tag)`);
  }
  env.say(`${s.id}: ${describeBoard(ident)} is now ${newId}${named ? ` (${named.name})` : ''}`);
  ledger.boards.push(boardRow(s, ident, pi, 'moved', notes.length > 0 ? `moved; ${notes.join('; ')}` : 'moved; new machine-id and host keys as configured', newId));
}
