// One run's view of its hosts: the latest SSM state of each, read from ListCommandInvocations rows
// (CommandPlugins[0].Output parsed back into stdout/stderr), and onUpdate once per host with its final result.
import type { CommandInvocation } from '@aws-sdk/client-ssm';
import type { InvocationResult } from '../transport/types.js';
import { invocationResult, isTerminal, unsent, type SsmInvocation, type StopCause } from './invocation.js';

// The agent's layout of CommandPlugins[].Output (≤ 2,500 chars): stdout, the error title, stderr, each part
// ending with its marker when it was cut (amazon-ssm-agent iohandler.TruncateOutput).
const ERROR_TITLE = '\n----------ERROR-------\n';
const OUT_CUT = '\n---Output truncated---';
const ERR_CUT = '\n---Error truncated----';

export function stripSuffix(s: string, suffix: string): [string, boolean] {
  return s.endsWith(suffix) ? [s.slice(0, -suffix.length), true] : [s, false];
}

export function parsePluginOutput(raw: string): { stdout: string; stderr: string; truncated: boolean } {
  const at = raw.indexOf(ERROR_TITLE);
  const [stdout, outCut] = stripSuffix(at < 0 ? raw : raw.slice(0, at), OUT_CUT);
  const [stderr, errCut] = stripSuffix(at < 0 ? '' : raw.slice(at + ERROR_TITLE.length), ERR_CUT);
  return { stdout, stderr, truncated: outCut || errCut };
}

function stateOf(inv: CommandInvocation, commandId: string, instanceId: string): SsmInvocation {
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

/** Every requested host's latest state; tells onUpdate, once, when a host's state becomes final. */
export class Board {
  private readonly states = new Map<string, SsmInvocation>();
  readonly sent: Sent[] = [];
  private readonly seen = new Set<string>();
  private readonly reported = new Set<string>();
  private stopCause: StopCause | undefined;
  private finished = false;

  constructor(
    ids: string[],
    private readonly onUpdate?: (r: InvocationResult) => void,
  ) {
    for (const id of ids) this.states.set(id, unsent(id));
  }

  get ids(): string[] {
    return [...this.states.keys()];
  }

  addSent(s: Sent): void {
    this.sent.push(s);
    for (const id of s.instanceIds) this.states.set(id, { ...this.states.get(id)!, commandId: s.commandId });
  }

  record(s: SsmInvocation): void {
    const before = this.states.get(s.instanceId);
    if (!before || before.commandId !== s.commandId) return; // not a host (or a command) of this run
    this.seen.add(s.instanceId);
    this.states.set(s.instanceId, s);
    this.report(s.instanceId);
  }

  /** Records a listed invocation of command `commandId`. */
  recordListed(inv: CommandInvocation, commandId: string): void {
    if (inv.InstanceId) this.record(stateOf(inv, commandId, inv.InstanceId));
  }

  hasSeen(id: string): boolean {
    return this.seen.has(id);
  }

  status(id: string): SsmInvocation {
    return this.states.get(id)!;
  }

  /** The run stops waiting (`cause`): what SSM reports cancelled from now on was cancelled for it. */
  stopping(cause: StopCause): void {
    this.stopCause ??= cause;
  }

  /** Every host's final result, reporting those not reported yet: what is still in flight now (unsent, or a
   * cancel the agent never confirmed) ends as cancelled by the stop (on request, if none was given). */
  finish(): InvocationResult[] {
    this.finished = true;
    for (const id of this.states.keys()) this.report(id);
    return [...this.states.values()].map((s) => this.result(s)!);
  }

  private result(s: SsmInvocation): InvocationResult | undefined {
    if (!isTerminal(s.status) && !this.finished) return undefined;
    return invocationResult(s, this.stopCause ?? 'request');
  }

  private report(id: string): void {
    if (this.reported.has(id)) return;
    const r = this.result(this.states.get(id)!);
    if (!r) return;
    this.reported.add(id);
    this.onUpdate?.(r);
  }
}
