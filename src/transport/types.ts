// The one narrow interface between stns-fleet's pure core and AWS. Everything above it (facts, plan,
// apply, verify, reactivate) is tested against fakes; src/aws/ implements it with the SSM and EC2 SDK
// clients, which the local lab (src/lab/) answers on loopback with the same wire protocols.

/** The hosts to discover: instance/managed-node IDs and tag selectors (a host matches a selector when every
 * key matches one of its listed values). An inventory group's targets resolve to one. */
export interface HostSelection {
  ids: string[];
  tagSelectors: Record<string, string[]>[];
}

export type PingStatus = 'Online' | 'ConnectionLost' | 'Inactive';

export interface DiscoveredHost {
  /** `i-…` (EC2) or `mi-…` (hybrid-activated managed node). */
  id: string;
  kind: 'ec2' | 'managed';
  /** The one name a host has in every report: its Name tag (EC2's, or a managed node's SSM tag), else SSM's
   * ComputerName (never the activation's default instance name, which cloned boards share). */
  name?: string;
  tags: Record<string, string>;
  /** EC2 instance state (running, stopped, …); absent for managed nodes. */
  ec2State?: string;
  /** From DescribeInstanceInformation; absent when SSM does not know the host (no agent, not registered). */
  ssm?: {
    pingStatus: PingStatus;
    agentVersion?: string;
    platformName?: string;
    platformVersion?: string;
    computerName?: string;
    ipAddress?: string;
    activationId?: string;
    lastPing?: Date;
  };
}

export interface Discovery {
  hosts: DiscoveredHost[];
  /** IDs the inventory names that neither EC2 nor SSM knows (terminated, deregistered, typo). */
  notFound: string[];
}

/** The largest script one command may carry. SSM documents no cap on SendCommand Parameters but a 64 KB
 * document; the lab refuses Parameters over 64 KiB (payloadCapBytes). A margin for the other parameters. */
export const SCRIPT_MAX_BYTES = 63 * 1024;
/** SSM's cap on InstanceIds per SendCommand. */
export const HOSTS_PER_COMMAND = 50;

export interface RunRequest {
  /** The whole shell script (AWS-RunShellScript `commands`, as one string), at most SCRIPT_MAX_BYTES. Never
   * carries a secret in clear. */
  script: string;
  /** Any number of hosts; the transport sends ≤ 50 per SendCommand. */
  instanceIds: string[];
  /** SendCommand Comment (≤ 100 chars; cut to fit). Never a secret. */
  comment: string;
  /** TimeoutSeconds: how long the command may wait to be delivered (≥ 30). */
  deliveryTimeoutSeconds: number;
  /** executionTimeout of AWS-RunShellScript: how long the script may run (5..172800). */
  executionTimeoutSeconds: number;
  /** SSM rate controls for each SendCommand ("10", "10%"); default "50" / "0" as SSM's. */
  maxConcurrency?: string;
  maxErrors?: string;
}

export interface InvocationOutput {
  /** stdout as far as the listing returned it; see `truncated`. */
  stdout: string;
  stderr: string;
  /** SSM cut the output (ListCommandInvocations ≤ 2,500 chars); fullOutput reads more */
  truncated: boolean;
}

/** Why a script never started on its host. */
export type UndeliveredReason =
  | 'undeliverable' // the node does not exist or does not answer
  | 'delivery-timed-out' // not picked up before the delivery timeout
  | 'invalid-platform' // the document does not run on this node's platform
  | 'access-denied' // the caller may not run commands on this node
  | 'no-invocation'; // the command ended with no record of this host at all

/** How one host's invocation ended: the transport's whole vocabulary (src/aws/invocation.ts reads SSM's into it).
 * Only final results: a run that is stopped reports what it stopped as `cancelled`. */
export type InvocationResult = { instanceId: string; commandId: string } & (
  /** The script ran and exited (SSM Success, or Failed with the script's exit code). */
  | ({ kind: 'ran'; exitCode: number } & InvocationOutput)
  /** ExecutionTimedOut: the script was stopped. */
  | ({ kind: 'timed-out' } & InvocationOutput)
  /** Never started on the host. */
  | { kind: 'undelivered'; reason: UndeliveredReason }
  /** Cancelled before it ended: on request (CancelCommand, an abort; also a host never sent to because of
   * one) or because the run's deadline passed. The output is what the script printed so far. */
  | ({ kind: 'cancelled'; by: 'request' | 'deadline' } & InvocationOutput)
  /** Terminated: SSM's MaxErrors stopped it before it ran. */
  | { kind: 'not-sent'; reason: 'error-budget' }
  /** SSM Failed with no script exit code (agent or platform error); detail = SSM's words. */
  | ({ kind: 'failed'; detail: string } & InvocationOutput)
);

export interface RunOptions {
  /** Aborting cancels the in-flight commands (CancelCommand), waits briefly for final states and returns. */
  signal?: AbortSignal;
  /** Epoch ms after which the run cancels what is left and returns. */
  deadline?: number;
  /** Called once per host, with its final result: successes when their command ends, failures too unless
   * watchFailures, the hosts a stop cancelled when the run returns. */
  onUpdate?: (r: InvocationResult) => void;
  /** The caller acts on failures while the run goes on (an error budget): they reach onUpdate within a poll
   * interval, looked for as the counters move. Without it each command's invocations are listed once, when it
   * ends (facts and verify wait for every host anyway). */
  watchFailures?: boolean;
}

export interface Transport {
  /** Resolves targets: EC2 by ID/tag (DescribeInstances), managed nodes by ID/tag (DescribeInstanceInformation).
   * Every managed node's tags are read too (one call per node; EC2's come with DescribeInstances). */
  discover(targets: HostSelection): Promise<Discovery>;
  /** Runs one script on many hosts and returns one final result per requested host. */
  run(req: RunRequest, opts?: RunOptions): Promise<InvocationResult[]>;
  /** GetCommandInvocation: the first 24,000 chars of stdout and 8,000 of stderr of one invocation. */
  fullOutput(commandId: string, instanceId: string): Promise<{ stdout: string; stderr: string }>;
  /** A SecureString (or String) parameter's value, decrypted. */
  getParameter(name: string): Promise<string>;
}

/** Hybrid activation and managed-node bookkeeping (reactivate, tag). Kept apart: only the Pi commands need it. */
export interface ManagedNodeAdmin {
  createActivation(o: {
    iamRole: string;
    registrationLimit: number;
    expiresAt: Date;
    defaultInstanceName?: string;
    description?: string;
    tags?: Record<string, string>;
  }): Promise<{ activationId: string; activationCode: string }>;
  deleteActivation(activationId: string): Promise<void>;
  deregisterManagedInstance(id: string): Promise<void>;
  /** EC2 instances are tagged through EC2 (CreateTags), managed nodes through SSM (AddTagsToResource). */
  setTags(id: string, tags: Record<string, string>): Promise<void>;
  listTags(id: string): Promise<Record<string, string>>;
}
