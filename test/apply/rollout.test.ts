// Rollout decisions with a scripted transport (no hosts): batching and grouping, the error budget, Ctrl-C,
// and how every SSM invocation status ends up in the report.
import { expect, test } from 'vitest';
import { classify } from '../../src/apply/outcome.js';
import type { FleetPlan, PlannedHost, PlanUnit } from '../../src/plan/fleet-plan.js';
import { applyPlan, pickCanary } from '../../src/apply/rollout.js';
import { cancelled, failed, FakeTransport, HANG, notSent, ran, timedOut, undelivered, type Answer, type Outcome } from '../helpers/fake-transport.js';

const CHANGED = ran('STNS_FLEET_RESULT=changed\n');
const DRIFT = ran('STNS_FLEET_DRIFT /etc/nsswitch.conf expected=a found=b\nSTNS_FLEET_RESULT=drift\n', 10);
const FAIL = ran('STNS_FLEET_ERROR sshd -t refused\nSTNS_FLEET_RESULT=invalid\n', 40);
/** A transport where every host changes, except as `answer` says (a Promise resolved a moment later, as a real one would). */
const scripted = (answer: (id: string) => Outcome | typeof HANG | undefined = () => undefined): FakeTransport =>
  new FakeTransport({ answer: ((id) => new Promise((r) => setTimeout(() => r(answer(id) ?? CHANGED), 1))) satisfies Answer });

const ids = (n: number, prefix = 'a'): string[] => Array.from({ length: n }, (_, i) => `i-${prefix}${String(i).padStart(16, '0')}`);

function unit(id: string, hostIds: string[]): PlanUnit {
  return { id, group: 'g', digest: id, files: {}, arch: 'amd64', hostIds, changed: true, problems: [], warnings: [], notes: [], draft: { text: `# script of ${id}\n`, sealed: [] }, expect: { testOptions: [] } };
}

function plan(units: PlanUnit[], extra: PlannedHost[] = []): FleetPlan {
  const hosts = units.flatMap((u) => u.hostIds.map((id): PlannedHost => ({ id, group: 'g', unit: u.id, status: 'change' })));
  return { format: 'stns-fleet-plan', version: 3, createdAt: '', inventory: { path: '/x.yaml', sha256: '0'.repeat(64) }, groups: ['g'], units, hosts: [...hosts, ...extra] };
}

const rollout = { canary: 1, maxConcurrency: '10%' as const, maxErrors: 0 };

test('hosts that share a change share one script, sent ≤ 50 at a time; the canary goes alone, first', async () => {
  const a = ids(120, 'a');
  const b = ids(7, 'b');
  const tr = scripted();
  const r = await applyPlan({ plan: plan([unit('u1', a), unit('u2', b)]), transport: tr, secrets: new Map(), rollout });
  expect(r.outcomes.every((o) => o.outcome === 'changed')).toBe(true);
  expect(tr.requests[0]!.instanceIds).toEqual([a[0]]);
  const rest = tr.requests.slice(1);
  expect(rest.every((x) => x.instanceIds.length <= 50)).toBe(true);
  expect(rest.filter((x) => x.script.includes('u1')).map((x) => x.instanceIds.length)).toEqual([50, 50, 19]);
  expect(rest.filter((x) => x.script.includes('u2')).map((x) => x.instanceIds.length)).toEqual([7]);
  // Every host exactly once.
  expect(tr.requests.flatMap((x) => x.instanceIds).sort()).toEqual([...a, ...b].sort());
  // 10% of 126 remaining hosts = 13 at once, split over the batches by size.
  expect(rest.map((x) => Number(x.maxConcurrency)).reduce((s, n) => s + n, 0)).toBeLessThanOrEqual(13);
});

test('past the error budget every in-flight command is cancelled and the rest are reported', async () => {
  const hosts = ids(30);
  const failing = new Set(hosts.slice(1, 4));
  const tr = scripted((id) => (failing.has(id) ? FAIL : id > hosts[20]! ? HANG : undefined));
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
  const tr = scripted((id) => (id === hosts[0] ? undefined : HANG));
  const p = applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout, signal: ctl.signal });
  setTimeout(() => ctl.abort(), 30);
  const r = await p;
  expect(r.stopped).toMatch(/interrupted/);
  expect(r.outcomes.map((o) => o.outcome)).toEqual(['changed', 'cancelled', 'cancelled', 'cancelled', 'cancelled']);
});

test('a canary that does not verify stops the rollout', async () => {
  const hosts = ids(4);
  const tr = scripted();
  const r = await applyPlan({
    plan: plan([unit('u1', hosts)]),
    transport: tr,
    secrets: new Map(),
    rollout,
    verifyCanary: () => Promise.resolve({ ok: false, detail: 'alice: the STNS server rejected the auth token' }),
  });
  expect(r.stopped).toMatch(/did not verify: alice/);
  expect(tr.requests).toHaveLength(1);
  expect(r.outcomes.slice(1).every((o) => o.outcome === 'skipped')).toBe(true);
});

const count = (r: { outcomes: { outcome: string }[] }, k: string): number => r.outcomes.filter((o) => o.outcome === k).length;

test('a drifted host spends the budget, and the message counts it as an error, as the summary does', async () => {
  const hosts = ids(5);
  const tr = scripted((id) => (id === hosts[2] ? DRIFT : undefined));
  const r = await applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout: { canary: 1, maxConcurrency: 1, maxErrors: 0 } });
  expect(count(r, 'failed')).toBe(0);
  expect(count(r, 'drifted')).toBe(1);
  expect(r.stopped).toBe('error budget exceeded: 1 error (failed or drifted) > max_errors 0');
});

test('a budget given in percent is quoted as given, with what it came to', async () => {
  const hosts = ids(21);
  const failing = new Set(hosts.slice(1, 4));
  const tr = scripted((id) => (failing.has(id) ? FAIL : undefined));
  const r = await applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout: { canary: 1, maxConcurrency: 100, maxErrors: '10%' } });
  expect(r.stopped).toBe('error budget exceeded: 3 errors (failed or drifted) > max_errors 10% (2 host(s))');
});

test('a failing canary says the canary failed, never a budget the user did not set (--max-errors 5)', async () => {
  const hosts = ids(4);
  const tr = scripted((id) => (id === hosts[0] ? FAIL : undefined));
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
  expect(tr.requests).toHaveLength(1);
  expect(count(r, 'skipped')).toBe(3);
});

test('interrupted before the rollout: nothing is sent, every host reported', async () => {
  const hosts = ids(3);
  const ctl = new AbortController();
  ctl.abort();
  const tr = scripted();
  const r = await applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout, signal: ctl.signal });
  expect(tr.requests).toEqual([]);
  expect(r.stopped).toMatch(/^interrupted \(Ctrl-C\) before the rollout: nothing was sent$/);
  expect(r.outcomes.map((o) => o.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
});

test('interrupted while the canary is verified: the rest gets no command', async () => {
  const hosts = ids(4);
  const ctl = new AbortController();
  const tr = scripted();
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
  expect(tr.requests).toHaveLength(1);
  expect(r.stopped).toMatch(/^interrupted \(Ctrl-C\) while the canary was verified/);
  expect(r.outcomes.map((o) => o.outcome)).toEqual(['changed', 'skipped', 'skipped', 'skipped']);
});

test('canary picks round-robin over units, so a canary of 2 covers two different changes', () => {
  const p = plan([unit('u1', ids(3, 'a')), unit('u2', ids(3, 'b'))]);
  expect(pickCanary(p.hosts, 2).map((h) => h.unit)).toEqual(['u1', 'u2']);
  expect(pickCanary(p.hosts, 0)).toEqual([]);
});

test.each<[Outcome, string, RegExp | undefined]>([
  [ran('STNS_FLEET_RESULT=unchanged\n'), 'unchanged', undefined],
  [ran('STNS_FLEET_RESULT=changed\n'), 'changed', undefined],
  [DRIFT, 'drifted', /nsswitch/],
  [undelivered('undeliverable'), 'failed', /^never ran on the host \(Undeliverable\)$/],
  [undelivered('delivery-timed-out'), 'failed', /^never ran on the host \(DeliveryTimedOut\)$/],
  [undelivered('no-invocation'), 'failed', /^never ran/],
  [timedOut('stns-fleet: installing\n'), 'failed', /^the script ran out of time and was stopped \(ExecutionTimedOut\)$/],
  [cancelled('request'), 'cancelled', /^cancelled before it finished \(the host script restores on interruption\)$/],
  [cancelled('deadline'), 'cancelled', /^cancelled at the deadline/],
  [cancelled('request', 'STNS_FLEET_RESULT=changed\n'), 'cancelled', /^ended as changed$/],
  [notSent(), 'skipped', /MaxErrors/],
  [ran('STNS_FLEET_ERROR could not install libnss-stns-v2\nSTNS_FLEET_RESULT=install-failed\n', 30), 'failed', /^could not install libnss-stns-v2 \(install-failed, exit 30\)$/],
  [ran('half a line\n', 2), 'failed', /^the script failed \(exit 2\)$/],
  [ran('STNS_FLEET_RESULT=changed\n', 3), 'failed', /^the script failed \(changed, exit 3\)$/],
  [ran('no result line\n'), 'failed', /without a STNS_FLEET_RESULT/],
  [failed('Failed'), 'failed', /^SSM could not run the script \(Failed\)$/],
])('invocation %j is reported as %s', (r, outcome, detail) => {
  const x = classify({ instanceId: 'i-0', commandId: 'c', ...r });
  expect(x.outcome).toBe(outcome);
  if (detail) expect(x.detail).toMatch(detail);
});

test('a failure quotes SSM\'s word for it and the last lines of output', () => {
  const x = classify({ instanceId: 'i-0', commandId: 'c', kind: 'ran', exitCode: 40, stdout: 'one\n\ntwo\nSTNS_FLEET_RESULT=invalid\n', stderr: 'warn\n', truncated: false });
  expect(x).toMatchObject({ status: 'Failed', result: 'invalid', tail: ['one', 'two', 'STNS_FLEET_RESULT=invalid', 'warn'] });
  expect(classify({ instanceId: 'i-0', commandId: 'c', kind: 'undelivered', reason: 'invalid-platform' }).status).toBe('InvalidPlatform');
});

test('the budget hears of each host once, with its final result: cancelled hosts spend none', async () => {
  const hosts = ids(6);
  // One failure within the budget (1), then everything else hangs until the stop; the stop is the Ctrl-C.
  const ctl = new AbortController();
  const tr = scripted((id) => (id === hosts[1] ? FAIL : id === hosts[0] ? undefined : HANG));
  const p = applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout: { canary: 1, maxConcurrency: 10, maxErrors: 1 }, signal: ctl.signal });
  setTimeout(() => ctl.abort(), 30);
  const r = await p;
  expect(r.stopped).toMatch(/^interrupted/); // not "error budget exceeded": the four cancelled hosts are no errors
  expect(tr.updates.map((u) => u.instanceId).sort()).toEqual([...hosts].sort());
  expect(r.outcomes.map((o) => o.outcome)).toEqual(['changed', 'failed', 'cancelled', 'cancelled', 'cancelled', 'cancelled']);
});

test('past the deadline the hosts still running end cancelled, and say it was the deadline', async () => {
  const hosts = ids(3);
  const tr = scripted((id) => (id === hosts[0] ? undefined : HANG));
  const r = await applyPlan({ plan: plan([unit('u1', hosts)]), transport: tr, secrets: new Map(), rollout, deadline: Date.now() + 50 });
  expect(r.outcomes.map((o) => o.outcome)).toEqual(['changed', 'cancelled', 'cancelled']);
  expect(r.outcomes[1]!.detail).toMatch(/^cancelled at the deadline before it finished/);
});
