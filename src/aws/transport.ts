// SsmTransport: the Transport and ManagedNodeAdmin seams implemented with the SSM and EC2 clients. Every
// call goes through one wrapper: the one retry policy (backoff.ts: what may be retried goes by the action),
// each attempt through the run's throttle gate (throttle-gate.ts), then any error as one FleetError sentence.
import { CreateTagsCommand, DescribeTagsCommand, type TagDescription } from '@aws-sdk/client-ec2';
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  DeleteActivationCommand,
  DeregisterManagedInstanceCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-ssm';
import { AwsError, FleetError, UserError } from '../errors.js';
import type { Discovery, HostSelection, InvocationResult, ManagedNodeAdmin, RunOptions, RunRequest, Transport } from '../transport/types.js';
import { DEFAULT_ATTEMPTS, isAmbiguous, isThrottling, safetyOf, sleep as realSleep, withRetry, type Call, type Sleep } from './backoff.js';
import { makeAwsClients, type AwsClientOptions, type AwsClients } from './clients.js';
import { discover } from './discover.js';
import { awsErrorName, awsFleetError } from './errors.js';
import { CommandPoller } from './poller.js';
import { ThrottleGate } from './throttle-gate.js';
import { fullOutput, runScript, type RunContext } from './run.js';

/** The first poll interval: a host script takes a fraction of a second, so the first look comes soon after
 * SendCommand; the interval then grows ×1.5 (poller.ts), so a long run costs few calls. */
export const DEFAULT_POLL_MS = 250;

export interface SsmTransportOptions {
  /** First poll interval (default DEFAULT_POLL_MS); grows ×1.5 per poll up to maxPollMs (default 5000 ms). One poller
   * follows the commands of every run in flight; it starts again from pollMs when a run begins. */
  pollMs?: number;
  maxPollMs?: number;
  /** How long a cancelled run keeps polling for final states (default 10 s). */
  cancelGraceMs?: number;
  /** AWS calls in flight at once within one operation (default 4). */
  concurrency?: number;
  /** Attempts per AWS call in all, the first included (default: the clients' maxAttempts, i.e.
   * AWS_MAX_ATTEMPTS, else 8). The SDK clients themselves make one attempt (clients.ts). */
  retryAttempts?: number;
  sleep?: Sleep;
  now?: () => number;
  random?: () => number;
}

const tagList = (tags: Record<string, string>): { Key: string; Value: string }[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export class SsmTransport implements Transport, ManagedNodeAdmin {
  private readonly ctx: RunContext;
  private readonly poller: CommandPoller;

  constructor(clients: AwsClients, o: SsmTransportOptions = {}) {
    const sleep = o.sleep ?? realSleep;
    const retry = { attempts: o.retryAttempts ?? clients.maxAttempts ?? DEFAULT_ATTEMPTS, sleep, random: o.random ?? Math.random };
    // One gate for every call of this transport: a throttle slows them all (throttle-gate.ts).
    const gate = new ThrottleGate();
    const call: Call = (action, fn, co = {}) =>
      withRetry(() => gate.run(fn, isThrottling), { ...retry, ...co, safety: safetyOf(action) }).catch((e: unknown) => {
        throw awsFleetError(e, action);
      });
    this.ctx = {
      ...clients,
      call,
      concurrency: o.concurrency ?? 4,
      sleep,
      now: o.now ?? Date.now,
      pollMs: o.pollMs ?? DEFAULT_POLL_MS,
      maxPollMs: o.maxPollMs ?? 5000,
      cancelGraceMs: o.cancelGraceMs ?? 10_000,
    };
    this.poller = new CommandPoller(this.ctx);
  }

  /** For the CLI: clients for `aws` (region, profile) with the default options. */
  static open(aws: AwsClientOptions, o: SsmTransportOptions = {}): SsmTransport {
    return new SsmTransport(makeAwsClients(aws), o);
  }

  /** Every managed node's tags are read (its Name), whatever the options: see discover.ts. */
  discover(targets: HostSelection): Promise<Discovery> {
    return discover(this.ctx, targets);
  }

  run(req: RunRequest, opts: RunOptions = {}): Promise<InvocationResult[]> {
    return runScript(this.ctx, this.poller, req, opts);
  }

  fullOutput(commandId: string, instanceId: string): Promise<{ stdout: string; stderr: string; truncated: boolean }> {
    return fullOutput(this.ctx, commandId, instanceId);
  }

  async getParameter(name: string): Promise<string> {
    const { ssm, call } = this.ctx;
    try {
      const r = await call('ssm:GetParameter', () => ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true })));
      if (r.Parameter?.Value === undefined) throw new UserError(`SSM parameter "${name}" has no value`);
      return r.Parameter.Value;
    } catch (e) {
      if (awsErrorName(e) !== 'ParameterNotFound') throw e;
      // The name only: a parameter's value never goes into a message.
      throw new UserError(`SSM parameter "${name}" does not exist in ${await ssm.config.region()}`, {
        hint: 'check the name (it starts with "/" for a path) and the region, or create it as a SecureString',
      });
    }
  }

  async createActivation(o: Parameters<ManagedNodeAdmin['createActivation']>[0]): Promise<{ activationId: string; activationCode: string }> {
    const { ssm, call } = this.ctx;
    // Not idempotent, and a lost answer cannot be recovered (only CreateActivation ever returns the code), so
    // it is retried only when throttled. After an ambiguous failure an activation may exist that nobody can
    // use (its code was lost with the answer): harmless, it expires; said in the error, never sent again.
    const r = await call('ssm:CreateActivation', () =>
      ssm.send(
        new CreateActivationCommand({
          IamRole: o.iamRole,
          RegistrationLimit: o.registrationLimit,
          ExpirationDate: o.expiresAt,
          ...(o.defaultInstanceName ? { DefaultInstanceName: o.defaultInstanceName } : {}),
          ...(o.description ? { Description: o.description } : {}),
          ...(o.tags && Object.keys(o.tags).length > 0 ? { Tags: tagList(o.tags) } : {}),
        }),
      ),
    ).catch((e: unknown) => {
      if (!(e instanceof FleetError) || !isAmbiguous(e.cause)) throw e;
      throw new AwsError(e.message, {
        cause: e.cause,
        details: [
          ...e.details,
          `the activation may have been created all the same; it was not requested again (its code was lost with the answer, so nobody can use it), and it expires at ${o.expiresAt.toISOString()}`,
        ],
        ...(e.hint ? { hint: e.hint } : {}),
      });
    });
    if (!r.ActivationId || !r.ActivationCode) throw new AwsError('ssm:CreateActivation answered without an activation ID and code');
    return { activationId: r.ActivationId, activationCode: r.ActivationCode };
  }

  async deleteActivation(activationId: string): Promise<void> {
    const { ssm, call } = this.ctx;
    await call('ssm:DeleteActivation', () => ssm.send(new DeleteActivationCommand({ ActivationId: activationId })));
  }

  async deregisterManagedInstance(id: string): Promise<void> {
    const { ssm, call } = this.ctx;
    await call('ssm:DeregisterManagedInstance', () => ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: id })));
  }

  async setTags(id: string, tags: Record<string, string>): Promise<void> {
    const { ssm, ec2, call } = this.ctx;
    if (Object.keys(tags).length === 0) return;
    if (id.startsWith('i-')) {
      await call('ec2:CreateTags', () => ec2.send(new CreateTagsCommand({ Resources: [id], Tags: tagList(tags) })));
    } else if (id.startsWith('mi-')) {
      await call('ssm:AddTagsToResource', () =>
        ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: id, Tags: tagList(tags) })),
      );
    } else throw new UserError(`cannot tag "${id}": not an EC2 instance (i-…) or managed node (mi-…) ID`);
  }

  async listTags(id: string): Promise<Record<string, string>> {
    const { ssm, ec2, call } = this.ctx;
    if (id.startsWith('mi-')) {
      const r = await call('ssm:ListTagsForResource', () => ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: id })));
      return Object.fromEntries((r.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    }
    if (!id.startsWith('i-')) throw new UserError(`cannot list tags of "${id}": not an EC2 instance (i-…) or managed node (mi-…) ID`);
    const tags: TagDescription[] = [];
    let NextToken: string | undefined;
    do {
      const page = await call('ec2:DescribeTags', () =>
        ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }], NextToken })),
      );
      tags.push(...(page.Tags ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? '']));
  }
}
