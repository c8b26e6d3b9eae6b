// Facts for many hosts at the cost of few API calls: one facts command for the whole batch (the transport
// sends ≤ 50 hosts per SendCommand and watches them all with one ListCommands per tick), then the full output of one host per
// distinct state digest only (GetCommandInvocation), read back in chunks when it is longer than SSM returns.
// So the cost of a plan grows with the number of distinct host states, not the number of hosts.
import type { Templates } from '../render/templates.js';
import { describeResult, outputOf, succeeded, type RanResult } from '../transport/result.js';
import type { InvocationResult, RunOptions, Transport } from '../transport/types.js';
import { factsChunkScript, factsScript } from './facts-script.js';
import { newReportKey } from './report-key.js';
import { factsComplete, parseFacts, parseFactsHeader, type FactsHeader, type HostState } from './facts.js';

interface HostFacts {
  header?: FactsHeader;
  /** The real sha256 of each secret-bearing file this host has, opened with the run's report key. */
  fullSha?: Map<string, string>;
  /** Why there are no facts for this host (command failed, output unreadable). */
  error?: string;
  invocation?: InvocationResult;
}

export interface Gathered {
  hosts: Map<string, HostFacts>;
  states: Map<string, HostState>;
  /** How many hosts' full output had to be fetched (one per distinct state). */
  fetches: number;
}

interface GatherOptions extends RunOptions {
  deliveryTimeoutSeconds?: number;
  executionTimeoutSeconds?: number;
  /** States already known (e.g. from an earlier gather in the same run). */
  known?: Map<string, HostState>;
}

const CHUNK = 20_000; // under GetCommandInvocation's 24,000-character stdout limit

/** Why a host gave no facts: how its command ended, and the last words of the host's complaint. */
function describeFailure(r: InvocationResult): string {
  const out = outputOf(r);
  // People want the host's complaint (stderr), not the facts protocol on stdout: its lines carry per-host
  // hashes, which would also make the same failure on many hosts read as many different reasons.
  const readable = (t: string): string[] => t.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('STNS_FLEET_') && l.length <= 200);
  const tail = out ? readable(out.stderr).slice(-2).join(' | ') : '';
  return `${describeResult(r)}${tail ? `: ${tail}` : ''}`;
}

export async function gatherFacts(tr: Transport, ids: string[], t: Templates, o: GatherOptions = {}): Promise<Gathered> {
  const hosts = new Map<string, HostFacts>();
  const states = new Map<string, HostState>(o.known ?? []);
  let fetches = 0;
  if (ids.length === 0) return { hosts, states, fetches };
  // Interrupted already: send nothing (whatever the transport would do with an aborted signal).
  if (o.signal?.aborted) {
    for (const id of ids) hosts.set(id, { error: 'interrupted before its facts were read' });
    return { hosts, states, fetches };
  }
  const runOpts: RunOptions = { ...(o.signal ? { signal: o.signal } : {}), ...(o.deadline ? { deadline: o.deadline } : {}), ...(o.onUpdate ? { onUpdate: o.onUpdate } : {}) };
  const reportKey = await newReportKey();
  const results = await tr.run(
    {
      script: factsScript(t, reportKey.publicPem),
      instanceIds: ids,
      comment: 'stns-fleet facts (read-only)',
      deliveryTimeoutSeconds: o.deliveryTimeoutSeconds ?? 120,
      executionTimeoutSeconds: o.executionTimeoutSeconds ?? 120,
    },
    runOpts,
  );
  const pending = new Map<string, RanResult>(); // digest → a host that has it
  for (const r of results) {
    if (!succeeded(r)) {
      hosts.set(r.instanceId, { error: describeFailure(r), invocation: r });
      continue;
    }
    const header = parseFactsHeader(r.stdout);
    if (!header) {
      hosts.set(r.instanceId, { error: 'the facts command printed no STNS_FLEET_FACTS header', invocation: r });
      continue;
    }
    const fullSha = new Map<string, string>();
    for (const [path, c] of header.sealedDigests) {
      const sha = reportKey.open(c);
      if (sha) fullSha.set(path, sha);
    }
    hosts.set(r.instanceId, { header, fullSha, invocation: r });
    if (states.has(header.digest)) continue;
    if (factsComplete(r.stdout)) {
      const s = parseFacts(r.stdout);
      if ('error' in s) hosts.set(r.instanceId, { error: s.error, invocation: r });
      else states.set(s.digest, s);
    } else if (!pending.has(header.digest)) pending.set(header.digest, r);
  }
  await Promise.all(
    [...pending].map(async ([digest, r]) => {
      if (o.signal?.aborted) {
        for (const [id, h] of hosts) if (h.header?.digest === digest) hosts.set(id, { error: 'interrupted before its facts were read in full', invocation: h.invocation! });
        return;
      }
      fetches++;
      const full = await readFullFacts(tr, r, runOpts);
      const s = typeof full === 'string' ? parseFacts(full) : full;
      if ('error' in s || s.digest !== digest) {
        const error = 'error' in s ? s.error : 'the host changed while its facts were read';
        for (const [id, h] of hosts) if (h.header?.digest === digest) hosts.set(id, { error: `facts unreadable: ${error}`, invocation: h.invocation! });
      } else states.set(digest, s);
    }),
  );
  return { hosts, states, fetches };
}

async function readFullFacts(tr: Transport, r: RanResult, o: RunOptions): Promise<string | { error: string }> {
  const first = await tr.fullOutput(r.commandId, r.instanceId);
  if (factsComplete(first.stdout)) return first.stdout;
  // Longer than SSM keeps: read the saved copy back in chunks from this one host.
  let text = '';
  for (let offset = 0; offset < 5_000_000; offset += CHUNK) {
    if (o.signal?.aborted) return { error: 'interrupted while its facts were read back' };
    const [c] = await tr.run(
      { script: factsChunkScript(offset, CHUNK), instanceIds: [r.instanceId], comment: 'stns-fleet facts (read back)', deliveryTimeoutSeconds: 60, executionTimeoutSeconds: 60 },
      o,
    );
    if (!c || !succeeded(c)) return { error: `reading the facts back failed: ${c ? describeFailure(c) : 'no result'}` };
    const part = c.truncated ? (await tr.fullOutput(c.commandId, c.instanceId)).stdout : c.stdout;
    text += part;
    if (part.length < CHUNK) break;
  }
  return factsComplete(text) ? text : { error: 'the facts output is incomplete after reading it back' };
}
