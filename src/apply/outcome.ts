// One host's result after apply, from what SSM reported and what the host script printed (its last line is
// STNS_FLEET_RESULT=<word>; exit codes in templates/host/converge.sh).
import type { InvocationResult } from '../transport/types.js';

export type HostOutcomeKind = 'changed' | 'unchanged' | 'drifted' | 'failed' | 'skipped' | 'cancelled';

export interface HostOutcome {
  id: string;
  outcome: HostOutcomeKind;
  /** SSM's status and detail, e.g. Failed/Undeliverable, and the script's result word. */
  status?: string;
  result?: string;
  detail?: string;
  /** Last lines of output, for failures. */
  tail?: string[];
  backup?: string;
}

const RESULT = /^STNS_FLEET_RESULT=([a-z-]+)$/m;

export function resultWord(output: string): string | undefined {
  const all = [...output.matchAll(new RegExp(RESULT.source, 'gm'))];
  return all.at(-1)?.[1];
}

const NOT_RUN = new Set(['Undeliverable', 'DeliveryTimedOut', 'InvalidPlatform', 'AccessDenied', 'NoInvocation']);

export function classify(r: InvocationResult): HostOutcome {
  const word = resultWord(r.output);
  const status = r.statusDetails && r.statusDetails !== r.status ? `${r.status}/${r.statusDetails}` : r.status;
  const lines = `${r.output}\n${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const tail = lines.slice(-8);
  const error = [...r.output.matchAll(/^STNS_FLEET_ERROR (.*)$/gm)].at(-1)?.[1];
  const backup = /^STNS_FLEET_BACKUP (\S+)$/m.exec(r.output)?.[1];
  const base = { id: r.instanceId, status, ...(word ? { result: word } : {}), ...(backup ? { backup } : {}) };
  if (r.status === 'Success' && (word === 'changed' || word === 'unchanged')) return { ...base, outcome: word };
  if (word === 'drift') {
    const drifted = [...r.output.matchAll(/^STNS_FLEET_DRIFT (\S+)/gm)].map((m) => m[1]);
    return { ...base, outcome: 'drifted', detail: `changed since the plan: ${drifted.join(', ') || 'files'}; nothing was touched` };
  }
  if (r.status === 'Cancelled' || r.status === 'Cancelling' || r.statusDetails === 'DeadlineExceeded') {
    return { ...base, outcome: 'cancelled', detail: word ? `ended as ${word}` : 'cancelled before it finished (the host script restores on interruption)', tail };
  }
  if (r.statusDetails === 'Terminated') return { ...base, outcome: 'skipped', detail: 'not run: the command hit its error budget (MaxErrors)' };
  if (NOT_RUN.has(r.statusDetails)) return { ...base, outcome: 'failed', detail: `never ran on the host (${r.statusDetails})` };
  if (r.status === 'Success') return { ...base, outcome: 'failed', detail: 'the script ended without a STNS_FLEET_RESULT line', tail };
  const what = error ?? (r.statusDetails === 'ExecutionTimedOut' || r.status === 'TimedOut' ? 'the script ran out of time and was stopped' : 'the script failed');
  return { ...base, outcome: 'failed', detail: `${what}${word ? ` (${word}, exit ${r.responseCode})` : ''}`, tail };
}

/** Outcomes that spend the error budget. */
export const isError = (o: HostOutcome): boolean => o.outcome === 'failed' || o.outcome === 'drifted';
