// The one fake of the transport seam (Transport & ManagedNodeAdmin) for tests above src/aws: each host's
// result is scripted (`answer`), every request and admin call is recorded, and the fake keeps the transport's
// promises as SsmTransport does: one final result per requested host, onUpdate once per host as it ends, a
// host that hangs ends cancelled when the signal aborts or the deadline passes, and nothing is sent once the
// signal has aborted.
import type { FleetTransport } from '../../src/commands/session.js';
import type {
  DiscoveredHost,
  Discovery,
  HostSelection,
  InvocationResult,
  ManagedNodeAdmin,
  RunOptions,
  RunRequest,
  UndeliveredReason,
} from '../../src/transport/types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A result without its IDs: what a test scripts for a host. */
export type Outcome = DistributiveOmit<InvocationResult, 'instanceId' | 'commandId'>;

type Of<K extends Outcome['kind']> = Extract<Outcome, { kind: K }>;
export const ran = (stdout = '', exitCode = 0, stderr = ''): Of<'ran'> => ({ kind: 'ran', exitCode, stdout, stderr, truncated: false });
export const timedOut = (stdout = ''): Of<'timed-out'> => ({ kind: 'timed-out', stdout, stderr: '', truncated: false });
export const undelivered = (reason: UndeliveredReason = 'undeliverable'): Of<'undelivered'> => ({ kind: 'undelivered', reason });
export const cancelled = (by: 'request' | 'deadline' = 'request', stdout = ''): Of<'cancelled'> => ({ kind: 'cancelled', by, stdout, stderr: '', truncated: false });
export const notSent = (): Of<'not-sent'> => ({ kind: 'not-sent', reason: 'error-budget' });
export const failed = (detail: string, stdout = ''): Of<'failed'> => ({ kind: 'failed', detail, stdout, stderr: '', truncated: false });

/** The host never answers: its result comes when the run is stopped (signal or deadline), as cancelled. */
export const HANG = 'hang' as const;

export type Answer = (id: string, req: RunRequest) => Outcome | typeof HANG | Promise<Outcome | typeof HANG>;

export interface FakeTransportOptions {
  /** Each host's result for a request (default: it ran, exit 0, printing nothing). */
  answer?: Answer;
  /** What discover knows; default: every ID asked for is an online EC2 instance (tag selectors find none). */
  hosts?: DiscoveredHost[];
  /** SSM parameters getParameter answers. */
  parameters?: Record<string, string>;
  /** What fullOutput answers; default: the result's own stdout and stderr. */
  fullOutput?: (commandId: string, instanceId: string) => { stdout: string; stderr: string };
}

export const onlineEc2 = (id: string, tags: Record<string, string> = {}): DiscoveredHost => ({ id, kind: 'ec2', tags, ec2State: 'running', ssm: { pingStatus: 'Online' } });

export class FakeTransport implements FleetTransport {
  /** Every run request that was sent, in order. */
  readonly requests: RunRequest[] = [];
  /** Every result handed to onUpdate, in order. */
  readonly updates: InvocationResult[] = [];
  readonly calls = {
    discover: [] as HostSelection[],
    fullOutput: [] as { commandId: string; instanceId: string }[],
    createActivation: [] as Parameters<ManagedNodeAdmin['createActivation']>[0][],
    deleteActivation: [] as string[],
    deregister: [] as string[],
    setTags: [] as { id: string; tags: Record<string, string> }[],
  };
  private readonly results = new Map<string, InvocationResult>();
  private readonly tags = new Map<string, Record<string, string>>();
  private readonly gone = new Set<string>();

  constructor(protected readonly o: FakeTransportOptions = {}) {
    for (const h of o.hosts ?? []) this.tags.set(h.id, { ...h.tags });
  }

  discover(sel: HostSelection): Promise<Discovery> {
    this.calls.discover.push(sel);
    const known = this.o.hosts?.filter((h) => !this.gone.has(h.id)).map((h) => ({ ...h, tags: { ...(this.tags.get(h.id) ?? h.tags) } }));
    if (!known) return Promise.resolve({ hosts: sel.ids.filter((id) => !this.gone.has(id)).map((id) => onlineEc2(id)), notFound: sel.ids.filter((id) => this.gone.has(id)) });
    const matches = (h: DiscoveredHost): boolean =>
      sel.ids.includes(h.id) || sel.tagSelectors.some((s) => Object.keys(s).length > 0 && Object.entries(s).every(([k, vs]) => h.tags[k] !== undefined && vs.includes(h.tags[k]!)));
    return Promise.resolve({ hosts: known.filter(matches), notFound: sel.ids.filter((id) => !known.some((h) => h.id === id)) });
  }

  async run(req: RunRequest, o: RunOptions = {}): Promise<InvocationResult[]> {
    const ids = [...new Set(req.instanceIds)];
    const stop = stopped(o);
    if (o.signal?.aborted) return ids.map((id) => this.finish({ instanceId: id, commandId: '', ...cancelled() }, o));
    this.requests.push(req);
    const commandId = `cmd-${this.requests.length}`;
    try {
      return await Promise.all(
        ids.map(async (id) => {
          const a = await (this.o.answer ?? (() => ran()))(id, req);
          const outcome = a === HANG ? cancelled(await stop.promise) : a;
          return this.finish({ instanceId: id, commandId, ...outcome }, o);
        }),
      );
    } finally {
      stop.dispose();
    }
  }

  fullOutput(commandId: string, instanceId: string): Promise<{ stdout: string; stderr: string }> {
    this.calls.fullOutput.push({ commandId, instanceId });
    if (this.o.fullOutput) return Promise.resolve(this.o.fullOutput(commandId, instanceId));
    const r = this.results.get(`${commandId}/${instanceId}`);
    if (!r || !('stdout' in r)) return Promise.reject(new Error(`FakeTransport: no output for ${commandId} on ${instanceId}`));
    return Promise.resolve({ stdout: r.stdout, stderr: r.stderr });
  }

  getParameter(name: string): Promise<string> {
    const v = this.o.parameters?.[name];
    return v === undefined ? Promise.reject(new Error(`FakeTransport: no parameter ${name}`)) : Promise.resolve(v);
  }

  createActivation(o: Parameters<ManagedNodeAdmin['createActivation']>[0]): Promise<{ activationId: string; activationCode: string }> {
    this.calls.createActivation.push(o);
    const n = this.calls.createActivation.length;
    return Promise.resolve({ activationId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, activationCode: `fake-activation-code-${n}` });
  }

  deleteActivation(activationId: string): Promise<void> {
    this.calls.deleteActivation.push(activationId);
    return Promise.resolve();
  }

  deregisterManagedInstance(id: string): Promise<void> {
    this.calls.deregister.push(id);
    this.gone.add(id);
    return Promise.resolve();
  }

  setTags(id: string, tags: Record<string, string>): Promise<void> {
    this.calls.setTags.push({ id, tags: { ...tags } });
    this.tags.set(id, { ...(this.tags.get(id) ?? {}), ...tags });
    return Promise.resolve();
  }

  listTags(id: string): Promise<Record<string, string>> {
    return Promise.resolve({ ...(this.tags.get(id) ?? {}) });
  }

  private finish(r: InvocationResult, o: RunOptions): InvocationResult {
    this.results.set(`${r.commandId}/${r.instanceId}`, r);
    this.updates.push(r);
    o.onUpdate?.(r);
    return r;
  }
}

/** Settles with the stop's cause when the signal aborts or the deadline passes (never, without either). */
function stopped(o: RunOptions): { promise: Promise<'request' | 'deadline'>; dispose: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort = (): void => undefined;
  const promise = new Promise<'request' | 'deadline'>((resolve) => {
    onAbort = () => resolve('request');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.deadline !== undefined) timer = setTimeout(() => resolve('deadline'), Math.max(0, o.deadline - Date.now()));
  });
  return {
    promise,
    dispose: () => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    },
  };
}
