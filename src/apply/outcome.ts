// One host's result after apply, from what SSM reported and what the host script printed (its last line is
// STNS_FLEET_RESULT=<word>; exit codes in templates/host/converge.sh).
import { describeResult, resultLabel, unreachable } from '../transport/result.js';
import type { InvocationOutput, InvocationResult } from '../transport/types.js';

type HostOutcomeKind = 'changed' | 'unchanged' | 'drifted' | 'failed' | 'skipped' | 'cancelled';

export interface HostOutcome {
  id: string;
  outcome: HostOutcomeKind;
  /** How SSM ended the invocation, in its terms (Failed, Undeliverable, ExecutionTimedOut, …). */
  status?: string;
  /** The script's result word (STNS_FLEET_RESULT). */
  result?: string;
  detail?: string;
  /** Last lines of output, for failures. */
  tail?: string[];
  backup?: string;
}

const RESULT = /^STNS_FLEET_RESULT=([a-z-]+)$/m;

function resultWord(output: string): string | undefined {
  const all = [...output.matchAll(new RegExp(RESULT.source, 'gm'))];
  return all.at(-1)?.[1];
}

export function classify(r: InvocationResult): HostOutcome {
  const base = { id: r.instanceId, status: resultLabel(r) };
  switch (r.kind) {
    case 'undelivered':
      return { ...base, outcome: 'failed', detail: describeResult(r) };
    case 'not-sent':
      return { ...base, outcome: 'skipped', detail: describeResult(r) };
    case 'ran':
    case 'timed-out':
    case 'cancelled':
    case 'failed':
      return fromOutput(r, base);
    default:
      return unreachable(r);
  }
}

/** A host whose script started: what it printed says how it ended. */
function fromOutput(r: Extract<InvocationResult, InvocationOutput>, b: { id: string; status: string }): HostOutcome {
  const word = resultWord(r.stdout);
  const tail = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-8);
  const error = [...r.stdout.matchAll(/^STNS_FLEET_ERROR (.*)$/gm)].at(-1)?.[1];
  const backup = /^STNS_FLEET_BACKUP (\S+)$/m.exec(r.stdout)?.[1];
  const base = { ...b, ...(word ? { result: word } : {}), ...(backup ? { backup } : {}) };
  if (r.kind === 'ran' && r.exitCode === 0 && (word === 'changed' || word === 'unchanged')) return { ...base, outcome: word };
  if (word === 'drift') {
    const drifted = [...r.stdout.matchAll(/^STNS_FLEET_DRIFT (\S+)/gm)].map((m) => m[1]);
    return { ...base, outcome: 'drifted', detail: `changed since the plan: ${drifted.join(', ') || 'files'}; nothing was touched` };
  }
  switch (r.kind) {
    case 'cancelled':
      return { ...base, outcome: 'cancelled', detail: word ? `ended as ${word}` : `${describeResult(r)} (the host script restores on interruption)`, tail };
    case 'ran':
      if (r.exitCode === 0) return { ...base, outcome: 'failed', detail: 'the script ended without a STNS_FLEET_RESULT line', tail };
      return { ...base, outcome: 'failed', detail: `${error ?? 'the script failed'} (${word ? `${word}, ` : ''}exit ${r.exitCode})`, tail };
    case 'timed-out':
    case 'failed':
      return { ...base, outcome: 'failed', detail: `${error ?? describeResult(r)}${word ? ` (${word})` : ''}`, tail };
    default:
      return unreachable(r);
  }
}

/** Outcomes that spend the error budget. */
export const isError = (o: HostOutcome): boolean => o.outcome === 'failed' || o.outcome === 'drifted';
