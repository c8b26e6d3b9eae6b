// Asking boards: sending a script without letting a refused SendCommand end the run, and deciding from the
// result whether a board answers to an ID, none does, or one does and its identity script fails.
import { describeResult, outputOf, unreachable } from '../../transport/result.js';
import type { InvocationResult, RunRequest } from '../../transport/types.js';
import type { PollResult } from '../clones.js';
import { identityOf, type BoardIdentity } from '../identity-script.js';
import { checkAbort, type RunEnv } from './env.js';

const IDENTITY_COMMENT = 'stns-fleet pi identity (read-only)';

/** One host's answer: the transport's result, or SendCommand refused the whole request (a deregistered or
 * unknown ID does that: for the Pi commands it means nobody answers to that ID). */
type Reply = InvocationResult | { kind: 'send-failed'; instanceId: string; message: string };

export type Probe = { kind: 'board'; identity: BoardIdentity } | { kind: 'silent'; detail: string } | { kind: 'error'; detail: string };

export async function runSafe(env: RunEnv, req: RunRequest): Promise<Map<string, Reply>> {
  try {
    const rs = await env.tr.run(req, env.signal ? { signal: env.signal } : {});
    return new Map(rs.map((r) => [r.instanceId, r]));
  } catch (e) {
    checkAbort(env.signal); // failed because the run was interrupted: stop, rather than read it as "nobody answers"
    const message = (e as Error).message;
    return new Map(req.instanceIds.map((id) => [id, { kind: 'send-failed' as const, instanceId: id, message }]));
  }
}

export function replyText(r: Reply | undefined): string {
  if (!r) return 'no result';
  return r.kind === 'send-failed' ? `SendCommand failed (${r.message})` : describeResult(r);
}

/** What the script printed, whatever the ending (a launcher that printed "accepted" and then timed out did
 * accept); empty when nothing ran. */
export function stdoutOf(r: Reply | undefined): string {
  return !r || r.kind === 'send-failed' ? '' : (outputOf(r)?.stdout ?? '');
}

export function identityScriptRequest(env: RunEnv, instanceIds: string[], deliveryTimeoutSeconds: number): RunRequest {
  return { script: env.idScript, instanceIds, comment: IDENTITY_COMMENT, deliveryTimeoutSeconds, executionTimeoutSeconds: 60 };
}

/** The identity a reply carries, else why it carries none (detection counts both). */
export async function pollResultOf(env: RunEnv, r: Reply | undefined): Promise<PollResult> {
  if (!r) return { error: 'no result' };
  if (r.kind === 'send-failed') return { error: replyText(r) };
  return identityOf(env.tr, r);
}

/** Who answers to `id` now. Silent only when the command provably reached no board (the old ID may then be
 * deregistered); a timeout, cancellation or failure after delivery counts as a board whose script failed. */
export async function probe(env: RunEnv, id: string): Promise<Probe> {
  const r = (await runSafe(env, identityScriptRequest(env, [id], 30))).get(id);
  if (!r) return { kind: 'silent', detail: 'no result' };
  switch (r.kind) {
    case 'undelivered':
    case 'not-sent':
    case 'send-failed':
      return { kind: 'silent', detail: replyText(r) };
    case 'ran': {
      const i = await identityOf(env.tr, r);
      return 'error' in i ? { kind: 'error', detail: i.error } : { kind: 'board', identity: i };
    }
    case 'cancelled':
      checkAbort(env.signal); // cancelled by our own interrupt: stop, do not judge the ID by it
      return { kind: 'error', detail: replyText(r) };
    case 'timed-out':
    case 'failed':
      return { kind: 'error', detail: replyText(r) };
    default:
      return unreachable(r);
  }
}
