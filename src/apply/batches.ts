// Hosts that share a change share one script, and one SendCommand per ≤ 50 of them (SSM's cap on InstanceIds).
// The script carries one sealed line per host, so a large unit's script can outgrow what one command may carry
// (SCRIPT_MAX_BYTES): such a batch is cut into as few even batches as fit (the most hosts whose script fits,
// found by bisection; halving instead left 13-host batches where 30 fit: more commands, more polls). Pure: the
// caller's `scriptFor` builds a batch's script.
import { chunk } from '../model/chunk.js';
import { HOSTS_PER_COMMAND, SCRIPT_MAX_BYTES } from '../transport/types.js';

export interface Batch<H> {
  hosts: H[];
  script: string;
}

export function batchesFor<H>(hosts: H[], scriptFor: (batch: H[]) => string, maxBytes = SCRIPT_MAX_BYTES): Batch<H>[] {
  return chunk(hosts, HOSTS_PER_COMMAND).flatMap((b) => fit(b, scriptFor, maxBytes));
}

const fits = (script: string, maxBytes: number): boolean => Buffer.byteLength(script) <= maxBytes;

function fit<H>(hosts: H[], scriptFor: (batch: H[]) => string, maxBytes: number): Batch<H>[] {
  const script = scriptFor(hosts);
  if (fits(script, maxBytes)) return [{ hosts, script }];
  // The most hosts of this batch whose script fits (a script grows with every host's line).
  let lo = 0;
  let hi = hosts.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(scriptFor(hosts.slice(0, mid)), maxBytes)) lo = mid;
    else hi = mid;
  }
  if (lo === 0) {
    const one = Buffer.byteLength(scriptFor(hosts.slice(0, 1)));
    throw new Error(`the host script is ${one} bytes, over the ${maxBytes} one command may carry (the files it writes are too large to send over SSM Run Command)`);
  }
  // As few batches as that allows, of even sizes; each is checked again (hosts' lines may differ in length).
  const size = Math.ceil(hosts.length / Math.ceil(hosts.length / lo));
  return chunk(hosts, size).flatMap((b) => fit(b, scriptFor, maxBytes));
}
