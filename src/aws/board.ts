// One run's view of its hosts: the latest InvocationResult of each, read from ListCommandInvocations rows
// (CommandPlugins[0].Output parsed back into stdout/stderr), and onUpdate when a host's status changes.
import type { CommandInvocation } from '@aws-sdk/client-ssm';
import type { InvocationResult } from '../transport/types.js';

const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);

// The agent's layout of CommandPlugins[].Output (≤ 2,500 chars): stdout, the error title, stderr, each part
// ending with its marker when it was cut (amazon-ssm-agent iohandler.TruncateOutput).
const ERROR_TITLE = '\n----------ERROR-------\n';
const OUT_CUT = '\n---Output truncated---';
const ERR_CUT = '\n---Error truncated----';

export const isTerminal = (status: string): boolean => TERMINAL.has(status);

export function stripSuffix(s: string, suffix: string): [string, boolean] {
  return s.endsWith(suffix) ? [s.slice(0, -suffix.length), true] : [s, false];
}

export function parsePluginOutput(raw: string): { output: string; stderr: string; truncated: boolean } {
  const at = raw.indexOf(ERROR_TITLE);
  const [output, outCut] = stripSuffix(at < 0 ? raw : raw.slice(0, at), OUT_CUT);
  const [stderr, errCut] = stripSuffix(at < 0 ? '' : raw.slice(at + ERROR_TITLE.length), ERR_CUT);
  return { output, stderr, truncated: outCut || errCut };
}

export function resultOf(inv: CommandInvocation, commandId: string, instanceId: string): InvocationResult {
  const plugin = inv.CommandPlugins?.[0];
  const status = inv.Status ?? 'Pending';
  return {
    instanceId,
    commandId,
    status,
    statusDetails: inv.StatusDetails ?? status,
    responseCode: plugin?.ResponseCode ?? -1,
    ...parsePluginOutput(plugin?.Output ?? ''),
  };
}

/** One SendCommand: its ID, its hosts, and when SSM says it was sent (RequestedDateTime; else our clock). */
export interface Sent {
  commandId: string;
  instanceIds: string[];
  sentAt: number;
  /** sentAt is the service's own time (the response's RequestedDateTime), not our clock. */
  serviceTime: boolean;
}

/** Every requested host's latest result; tells onUpdate when a host's status or detail changes. */
export class Board {
  readonly results = new Map<string, InvocationResult>();
  readonly sent: Sent[] = [];
  private readonly seen = new Set<string>();

  constructor(
    ids: string[],
    private readonly onUpdate?: (r: InvocationResult) => void,
  ) {
    for (const id of ids) {
      this.results.set(id, { instanceId: id, commandId: '', status: 'Pending', statusDetails: 'Pending', responseCode: -1, output: '', stderr: '', truncated: false });
    }
  }

  addSent(s: Sent): void {
    this.sent.push(s);
    for (const id of s.instanceIds) this.results.set(id, { ...this.results.get(id)!, commandId: s.commandId });
  }

  record(r: InvocationResult): void {
    const before = this.results.get(r.instanceId);
    if (!before || before.commandId !== r.commandId) return; // not a host (or a command) of this run
    this.seen.add(r.instanceId);
    this.results.set(r.instanceId, r);
    if (before.status !== r.status || before.statusDetails !== r.statusDetails) this.onUpdate?.(r);
  }

  /** Records a listed invocation of command `commandId`. */
  recordListed(inv: CommandInvocation, commandId: string): void {
    if (inv.InstanceId) this.record(resultOf(inv, commandId, inv.InstanceId));
  }

  hasSeen(id: string): boolean {
    return this.seen.has(id);
  }

  status(id: string): InvocationResult {
    return this.results.get(id)!;
  }

  unfinished(): InvocationResult[] {
    return [...this.results.values()].filter((r) => !isTerminal(r.status));
  }
}
