// What every step of a reactivate run works with: the transport, the clock, where progress and warnings go,
// the run's stamp and limits. run.ts builds it once; the steps take it as an argument.
import { Interrupted, interruption } from '../../exit-codes.js';
import type { Templates } from '../../render/templates.js';
import type { ManagedNodeAdmin, Transport } from '../../transport/types.js';

/** Copied by the activation to every node that registers with it: how the new IDs are found. */
export const REACTIVATED_TAG = 'stns-fleet:reactivated';
export const PREVIOUS_ID_TAG = 'stns-fleet:previous-id';

/** ReactivateOptions' tunables with their defaults filled in. */
export interface Limits {
  polls: number;
  pollIntervalMs: number;
  newNodeTimeoutMs: number;
  newNodePollMs: number;
  activationTtlMs: number;
  registrationMargin: number;
  maxBoards: number;
  workerDelaySeconds: number;
}

export interface RunEnv {
  tr: Transport & ManagedNodeAdmin;
  templates: Templates;
  region: string;
  /** The run's start, to the second: tags the activations, and through them the new nodes. */
  stamp: string;
  /** The identity script, read once. */
  idScript: string;
  limits: Limits;
  signal: AbortSignal | undefined;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  say: (text: string) => void;
  warn: (text: string) => void;
}

/** Throws the shared Interrupted once the run's signal is aborted (run.ts turns it into the report's end). */
export function checkAbort(signal: AbortSignal | undefined): void {
  const sig = interruption(signal);
  if (sig) throw new Interrupted(sig);
}

/** Sleeps, ending early on abort (the next checkAbort then stops the run). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
