// Where a command's wall time went, read off the lab's command history: the phases one after another (facts,
// apply batches, verify), each from its first SendCommand to the end of its last host script, the slowest
// host of each, and the gap before the next phase (or the end of the run): the controller noticing the end
// (polling interval, reading results) and its own work in between, and the SSM calls each phase cost (from its
// first SendCommand to the next phase's: how often the poller looked). For `npm run bench`.
import type { KeptCommand } from '../lab-api.js';
import type { RecordedRequest } from '../server.js';

export interface PhaseSpan {
  /** facts, apply, verify, …: the command's comment without "stns-fleet" and the mark. */
  phase: string;
  commands: number;
  hosts: number;
  /** Seconds from the run's start. */
  startS: number;
  /** First SendCommand → last script end. */
  spanS: number;
  /** The longest one host's script ran. */
  slowestHostS: number;
  /** Last script end → the next phase's first SendCommand (or the run's end). */
  gapAfterS: number;
  /** SSM calls by operation from this phase's first SendCommand to the next phase's (or the run's end). */
  calls: Record<string, number>;
  /** Last script end → the first ListCommands after it (the poller noticing the end); undefined: none seen. */
  lookAfterS?: number;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

/** "stns-fleet apply web#1 sf:0123…" → "apply". */
function phaseOf(comment: string): string {
  return comment.replace(/^stns-fleet /, '').replace(/ sf:[0-9a-f]+$/, '').split(/[ (]/)[0] || comment;
}

/** The phases of the commands sent between `startMs` and `endMs` (epoch ms), in order. */
export function timeline(history: KeptCommand[], startMs: number, endMs: number, requests: Pick<RecordedRequest, 'service' | 'operation' | 'at'>[] = []): PhaseSpan[] {
  const cmds = history.filter((c) => c.requestedAt.getTime() >= startMs && c.requestedAt.getTime() <= endMs).sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
  const groups: { phase: string; cmds: KeptCommand[] }[] = [];
  for (const c of cmds) {
    const phase = phaseOf(c.comment);
    const last = groups.at(-1);
    if (last?.phase === phase) last.cmds.push(c);
    else groups.push({ phase, cmds: [c] });
  }
  // A phase's calls start with the SendCommand request that made its first command (the request is recorded
  // as it arrives; the command is made after the lab's latency).
  const sends = requests.filter((r) => r.service === 'ssm' && r.operation === 'SendCommand').map((r) => r.at.getTime());
  const opening = (made: number): number => sends.reduce((b, at) => (at <= made && at > b ? at : b), -Infinity);
  const bounds = groups.map((g) => {
    const made = g.cmds[0]!.requestedAt.getTime();
    const at = opening(made);
    return at === -Infinity ? made : at;
  });
  return groups.map((g, i) => {
    const first = g.cmds[0]!.requestedAt.getTime();
    let lastEnd = first;
    let slowest = 0;
    let hosts = 0;
    for (const c of g.cmds) {
      for (const inv of c.invocations) {
        hosts++;
        if (inv.endedAt) lastEnd = Math.max(lastEnd, inv.endedAt.getTime());
        if (inv.startedAt && inv.endedAt) slowest = Math.max(slowest, inv.endedAt.getTime() - inv.startedAt.getTime());
      }
    }
    const next = groups[i + 1]?.cmds[0]!.requestedAt.getTime() ?? endMs;
    // Up to the next phase's opening request, or to the run's end (inclusive) for the last phase.
    const callsEnd = bounds[i + 1];
    const calls: Record<string, number> = {};
    let look: number | undefined;
    for (const r of requests) {
      const at = r.at.getTime();
      if (r.service !== 'ssm' || at < bounds[i]! || (callsEnd === undefined ? at > endMs : at >= callsEnd)) continue;
      calls[r.operation] = (calls[r.operation] ?? 0) + 1;
      if (r.operation === 'ListCommands' && at >= lastEnd && (look === undefined || at < look)) look = at;
    }
    const span = { phase: g.phase, commands: g.cmds.length, hosts, startS: r2((first - startMs) / 1000), spanS: r2((lastEnd - first) / 1000), slowestHostS: r2(slowest / 1000), gapAfterS: r2(Math.max(0, next - lastEnd) / 1000), calls };
    return look === undefined ? span : { ...span, lookAfterS: r2((look - lastEnd) / 1000) };
  });
}
