// Rollout decisions with a scripted transport (no hosts): batching and grouping, the error budget, Ctrl-C,
// and how every SSM invocation status ends up in the report.
import { expect, test } from 'vitest';
import { classify } from '../../src/apply/outcome.js';
import type { FleetPlan, PlannedHost, PlanUnit } from '../../src/plan/fleet-plan.js';
import { applyPlan, pickCanary } from '../../src/apply/rollout.js';
import type { Discovery, InvocationResult, RunOptions, RunRequest, Transport } from '../../src/transport/types.js';

type Behaviour = (id: string) => Partial<InvocationResult> | 'hang';

class ScriptedTransport implements Transport {
  readonly runs: RunRequest[] = [];
  constructor(private readonly behaviour: Behaviour) {}
  discover(): Promise<Discovery> {
    return Promise.resolve({ hosts: [], notFound: [] });
  }
  async run(req: RunRequest, o: RunOptions = {}): Promise<InvocationResult[]> {
    this.runs.push(req);
    const commandId = `c${this.runs.length}`;
    const results = await Promise.all(
      req.instanceIds.map(async (id): Promise<InvocationResult> => {
        const b = this.behaviour(id);
        const base = { instanceId: id, commandId, status: 'Success', statusDetails: 'Success', responseCode: 0, output: 'STNS_FLEET_RESULT=changed\n', stderr: '', truncated: false };
        if (b === 'hang') {
          await new Promise<void>((resolve) => (o.signal?.aborted ? resolve() : o.signal?.addEventListener('abort', () => resolve(), { once: true })));
          return { ...base, status: 'Cancelled', statusDetails: 'Cancelled', responseCode: -1, output: '' };
        }
        await new Promise((r) => setTimeout(r, 1));
        const r = { ...base, ...b };
        o.onUpdate?.(r);
        return r;
      }),
    );
    return results;
  }
  fullOutput(): Promise<{ stdout: string; stderr: string }> {
    return Promise.reject(new Error('not used'));
  }
  getParameter(): Promise<string> {
    return Promise.reject(new Error('not used'));
  }
}

const ids = (n: number, prefix = 'a'): string[] => Array.from({ length: n }, (_, i) => `i-${prefix}${String(i).padStart(16, '0')}`);

function unit(id: string, hostIds: string[]): PlanUnit {
  return { id, group: 'g', digest: id, files: {}, arch: 'amd64', hostIds, changed: true, summary: [], diffs: [], packages: [], problems: [], warnings: [], draft: { text: `# script of ${id}\n`, sealed: [] }, expect: { testOptions: [] } };
}

function plan(units: PlanUnit[], extra: PlannedHost[] = []): FleetPlan {
  const hosts = units.flatMap((u) => u.hostIds.map((id): PlannedHost => ({ id, group: 'g', unit: u.id, status: 'change' })));
  return { format: 'stns-fleet-plan', version: 2, createdAt: '', inventory: { path: '/x.yaml', sha256: '0'.repeat(64) }, groups: ['g'], units, hosts: [...hosts, ...extra] };
}

const rollout = { canary: 1, maxConcurrency: '10%' as const, maxErrors: 0 };

test('hosts that share a change share one script, sent ≤ 50 at a time; the canary goes alone, first', async () => {
  const a = ids(120, 'a');
  const b = ids(7, 'b');
  const tr = new ScriptedTransport(() => ({}));
  const r = await applyPlan({ plan: plan([unit('u1', a), unit('u2', b)]), transport: tr, secrets: new Map(), rollout });
  expect(r.outcomes.every((o) => o.outcome === 'changed')).toBe(true);
  expect(tr.runs[0]!.instanceIds).toEqual([a[0]]);
  const rest = tr.runs.slice(1);
  expect(rest.every((x) => x.instanceIds.length <= 50)).toBe(true);
  expect(rest.filter((x) => x.script.includes('u1')).map((x) => x.instanceIds.length)).toEqual([50, 50, 19]);
  expect(rest.filter((x) => x.script.includes('u2')).map((x) => x.instanceIds.length)).toEqual([7]);
  // Every host exactly once.
  expect(tr.runs.flatMap((x) => x.instanceIds).sort()).toEqual([...a, ...b].sort());
  // 10% of 126 remaining hosts = 13 at once, split over the batches by size.
  expect(rest.map((x) => Number(x.maxConcurrency)).reduce((s, n) => s + n, 0)).toBeLessThanOrEqual(13);
});

test('past the error budget every in-flight command is cancelled and the rest are reported', async () => {
  const hosts = ids(30);
  const failing = new Set(hosts.slice(1, 4));
  const tr = new ScriptedTransport((id) =>
    failing.has(id) ? { status: 'Failed', statusDetails: 'Failed', responseCode: 40, output: 'STNS_FLEET_ERROR sshd -t refused\nSTNS_FLEET_RESULT=invalid\n' } : id > hosts[20]! ? 'hang' : {},
  );
  const r = await applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout: { canary: 1, maxConcurrency: 100 as const, maxErrors: 2 } });
  expect(r.stopped).toBe('error budget exceeded: 3 errors (failed or drifted) > max_errors 2');
  const by = (k: string): number => r.outcomes.filter((o) => o.outcome === k).length;
  expect(by('failed')).toBe(3);
  expect(by('cancelled')).toBe(9); // the hung ones were cancelled, not forgotten
  expect(r.outcomes).toHaveLength(30);
  expect(r.outcomes.find((o) => o.id === hosts[1])!.detail).toMatch(/sshd -t refused \(invalid, exit 40\)/);
});

test('Ctrl-C cancels what is in flight and still reports every host', async () => {
  const hosts = ids(5);
  const ctl = new AbortController();
  const tr = new ScriptedTransport((id) => (id === hosts[0] ? {} : 'hang'));
  const p = applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout, signal: ctl.signal });
  setTimeout(() => ctl.abort(), 30);
  const r = await p;
  expect(r.stopped).toMatch(/interrupted/);
  expect(r.outcomes.map((o) => o.outcome)).toEqual(['changed', 'cancelled', 'cancelled', 'cancelled', 'cancelled']);
});

test('a canary that does not verify stops the rollout', async () => {
  const hosts = ids(4);
  const tr = new ScriptedTransport(() => ({}));
  const r = await applyPlan({
    plan: plan([unit('u1', hosts)]),
    transport: tr,
    secrets: new Map(),
    rollout,
    verifyCanary: () => Promise.resolve({ ok: false, detail: 'alice: the STNS server rejected the auth token' }),
  });
  expect(r.stopped).toMatch(/did not verify: alice/);
  expect(tr.runs).toHaveLength(1);
  expect(r.outcomes.slice(1).every((o) => o.outcome === 'skipped')).toBe(true);
});

const DRIFT = { status: 'Failed', statusDetails: 'Failed', responseCode: 10, output: 'STNS_FLEET_DRIFT /etc/nsswitch.conf expected=a found=b\nSTNS_FLEET_RESULT=drift\n' };
const FAIL = { status: 'Failed', statusDetails: 'Failed', responseCode: 40, output: 'STNS_FLEET_ERROR sshd -t refused\nSTNS_FLEET_RESULT=invalid\n' };
const count = (r: { outcomes: { outcome: string }[] }, k: string): number => r.outcomes.filter((o) => o.outcome === k).length;

test('a drifted host spends the budget, and the message counts it as an error, as the summary does', async () => {
  const hosts = ids(5);
  const tr = new ScriptedTransport((id) => (id === hosts[2] ? DRIFT : {}));
  const r = await applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout: { canary: 1, maxConcurrency: 1, maxErrors: 0 } });
  expect(count(r, 'failed')).toBe(0);
  expect(count(r, 'drifted')).toBe(1);
  expect(r.stopped).toBe('error budget exceeded: 1 error (failed or drifted) > max_errors 0');
});

test('a budget given in percent is quoted as given, with what it came to', async () => {
  const hosts = ids(21);
  const failing = new Set(hosts.slice(1, 4));
  const tr = new ScriptedTransport((id) => (failing.has(id) ? FAIL : {}));
  const r = await applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout: { canary: 1, maxConcurrency: 100, maxErrors: '10%' } });
  expect(r.stopped).toBe('error budget exceeded: 3 errors (failed or drifted) > max_errors 10% (2 host(s))');
});

test('a failing canary says the canary failed, never a budget the user did not set (--max-errors 5)', async () => {
  const hosts = ids(4);
  const tr = new ScriptedTransport((id) => (id === hosts[0] ? FAIL : {}));
  const events: string[] = [];
  const r = await applyPlan({
    plan: plan([unit('u1', hosts)]),
    transport: tr,
    secrets: new Map(),
    rollout: { canary: 1, maxConcurrency: 10, maxErrors: 5 },
    onEvent: (e) => void (e.kind === 'stopping' && events.push(e.reason)),
  });
  expect(r.stopped).toBe(`the canary failed (${hosts[0]}: failed)`);
  expect([r.stopped, ...events].join(' ')).not.toMatch(/max_errors|budget/);
  expect(tr.runs).toHaveLength(1);
  expect(count(r, 'skipped')).toBe(3);
});

test('interrupted before the rollout: nothing is sent, every host reported', async () => {
  const hosts = ids(3);
  const ctl = new AbortController();
  ctl.abort();
  const tr = new ScriptedTransport(() => ({}));
  const r = await applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout, signal: ctl.signal });
  expect(tr.runs).toEqual([]);
  expect(r.stopped).toMatch(/^interrupted \(Ctrl-C\) before the rollout: nothing was sent$/);
  expect(r.outcomes.map((o) => o.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
});

test('interrupted while the canary is verified: the rest gets no command', async () => {
  const hosts = ids(4);
  const ctl = new AbortController();
  const tr = new ScriptedTransport(() => ({}));
  const r = await applyPlan({
    plan: plan([unit('u1', hosts)]),
    transport: tr,
    secrets: new Map(),
    rollout,
    signal: ctl.signal,
    verifyCanary: () => {
      ctl.abort();
      return Promise.resolve({ ok: false, detail: 'cancelled' });
    },
  });
  expect(tr.runs).toHaveLength(1);
  expect(r.stopped).toMatch(/^interrupted \(Ctrl-C\) while the canary was verified/);
  expect(r.outcomes.map((o) => o.outcome)).toEqual(['changed', 'skipped', 'skipped', 'skipped']);
});

test('canary picks round-robin over units, so a canary of 2 covers two different changes', () => {
  const p = plan([unit('u1', ids(3, 'a')), unit('u2', ids(3, 'b'))]);
  expect(pickCanary(p.hosts, 2).map((h) => h.unit)).toEqual(['u1', 'u2']);
  expect(pickCanary(p.hosts, 0)).toEqual([]);
});

test.each([
  [{ status: 'Success', output: 'STNS_FLEET_RESULT=unchanged\n' }, 'unchanged', undefined],
  [{ status: 'Failed', statusDetails: 'Failed', responseCode: 10, output: 'STNS_FLEET_DRIFT /etc/nsswitch.conf expected=a found=b\nSTNS_FLEET_RESULT=drift\n' }, 'drifted', /nsswitch/],
  [{ status: 'Failed', statusDetails: 'Undeliverable', responseCode: -1, output: '' }, 'failed', /never ran on the host \(Undeliverable\)/],
  [{ status: 'TimedOut', statusDetails: 'DeliveryTimedOut', responseCode: -1, output: '' }, 'failed', /never ran on the host \(DeliveryTimedOut\)/],
  [{ status: 'TimedOut', statusDetails: 'ExecutionTimedOut', responseCode: 137, output: 'stns-fleet: installing\n' }, 'failed', /ran out of time/],
  [{ status: 'Cancelled', statusDetails: 'Cancelled', responseCode: -1, output: '' }, 'cancelled', /cancelled/],
  [{ status: 'Failed', statusDetails: 'Terminated', responseCode: -1, output: '' }, 'skipped', /MaxErrors/],
  [{ status: 'Failed', statusDetails: 'NoInvocation', responseCode: -1, output: '' }, 'failed', /never ran/],
  [{ status: 'Failed', statusDetails: 'Failed', responseCode: 30, output: 'STNS_FLEET_ERROR could not install libnss-stns-v2\nSTNS_FLEET_RESULT=install-failed\n' }, 'failed', /could not install.*install-failed, exit 30/],
  [{ status: 'Success', output: 'no result line\n' }, 'failed', /without a STNS_FLEET_RESULT/],
])('invocation %j is reported as %s', (r, outcome, detail) => {
  const x = classify({ instanceId: 'i-0', commandId: 'c', statusDetails: r.status, responseCode: 0, stderr: '', truncated: false, ...r });
  expect(x.outcome).toBe(outcome);
  if (detail) expect(x.detail).toMatch(detail);
});
