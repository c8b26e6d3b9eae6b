// Hosts that share a change share one script, and one SendCommand per ≤ 50 of them (SSM's cap on InstanceIds).
// The script carries one sealed line per host, so a large unit's script can outgrow what one command may carry
// (SCRIPT_MAX_BYTES): such a batch is halved until each half's script fits. Pure: the caller's `scriptFor`
// builds a batch's script.
import { chunk } from '../model/chunk.js';
import { HOSTS_PER_COMMAND, SCRIPT_MAX_BYTES } from '../transport/types.js';

export interface Batch<H> {
  hosts: H[];
  script: string;
}

export function batchesFor<H>(hosts: H[], scriptFor: (batch: H[]) => string, maxBytes = SCRIPT_MAX_BYTES): Batch<H>[] {
  return chunk(hosts, HOSTS_PER_COMMAND).flatMap((b) => fit(b, scriptFor, maxBytes));
}

function fit<H>(hosts: H[], scriptFor: (batch: H[]) => string, maxBytes: number): Batch<H>[] {
  const script = scriptFor(hosts);
  const bytes = Buffer.byteLength(script);
  if (bytes <= maxBytes) return [{ hosts, script }];
  if (hosts.length === 1) {
    throw new Error(`the host script is ${bytes} bytes, over the ${maxBytes} one command may carry (the files it writes are too large to send over SSM Run Command)`);
  }
  const half = Math.ceil(hosts.length / 2);
  return [...fit(hosts.slice(0, half), scriptFor, maxBytes), ...fit(hosts.slice(half), scriptFor, maxBytes)];
}
