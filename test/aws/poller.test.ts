// The shared poller: many concurrent runs (as apply sends them, one per batch of ≤ 50 hosts) cost about one
// ListCommands per tick; invocations are listed once per command (at its end) plus once per tick in which
// hosts completed (one Status-filtered list across commands, for the failures); failures still reach
// onUpdate within a tick or two, while the other commands run on.
import { ThrottlingException, type Command } from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { succeeded } from '../../src/transport/result.js';
import type { InvocationResult } from '../../src/transport/types.js';
import { FakeRunCommand, type FakeHost } from './fake-run-command.js';
import { ids, request, setup } from './helpers.js';


const succeedsAt = (at: number, stdout = 'ok\n'): FakeHost => ({
  steps: [
    { at: at / 2, status: 'InProgress' },
    { at, status: 'Success', code: 0, output: stdout },
  ],
});
const failsAt = (at: number): FakeHost => ({
  steps: [
    { at: at / 2, status: 'InProgress' },
    { at, status: 'Failed', details: 'Failed', code: 2, output: 'boom\n' },
  ],
});

/** The script ran and failed (what the fake's failsAt ends as). */
const failing = (r: InvocationResult): boolean => r.kind === 'ran' && r.exitCode !== 0;

const throttling = (): ThrottlingException => new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });

/** 20 batches of 50 hosts, as apply sends 1000 hosts: one transport.run each, all at once. */
const batches = (n = 20, size = 50): string[][] => Array.from({ length: n }, (_, b) => ids('i-', size, b * size));

/** Hosts finishing one after another over `spanMs` from `fromMs` (a rollout's steady progress). */
const spread = (hosts: string[], fromMs: number, spanMs: number): Map<string, FakeHost> =>
  new Map(hosts.map((id, k) => [id, succeedsAt(fromMs + ((k * 7919) % spanMs))]));

describe('one poller for every run in flight', () => {
  test('20 concurrent runs of 50 hosts: one ListCommands per tick, and invocations listed per command + per tick with progress', async () => {
    const { ssmMock, clock, transport } = setup();
    const all = batches();
    const plan = spread(all.flat(), 3000, 20_000);
    const fake = new FakeRunCommand(ssmMock, clock, (id) => plan.get(id)!);
    const results = (await Promise.all(all.map((b) => transport.run(request(b))))).flat();

    expect(fake.commands).toHaveLength(20);
    expect(results).toHaveLength(1000);
    expect(results.every((r) => succeeded(r) && r.stdout === 'ok\n')).toBe(true);

    const lists = fake.callsTo('ListCommands');
    const ticks = new Set(lists.map((c) => c.at));
    expect(lists).toHaveLength(ticks.size); // one call (one page of ≤ 50 commands) per tick
    expect(lists.every((c) => c.input.CommandId === undefined)).toBe(true);
    expect(fake.calls.find((c) => c.api === 'ListCommands')!.output).toHaveLength(20); // all 20 runs in the first tick
    const invocationLists = fake.callsTo('ListCommandInvocations');
    expect(invocationLists.length).toBeGreaterThanOrEqual(20);
    expect(invocationLists.length).toBeLessThanOrEqual(20 + ticks.size);
    expect(invocationLists.length).toBeLessThan((20 * ticks.size) / 3); // what polling each command would cost
  });

  test('ListCommands reads every command in flight by time and document, 50 a page, NextToken threaded', async () => {
    const { ssmMock, clock, transport } = setup();
    const all = batches(12, 1);
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000), { pageSize: 5 });
    await Promise.all(all.map((b) => transport.run(request(b))));

    const first = fake.callsTo('ListCommands').filter((c) => c.at === fake.callsTo('ListCommands')[0]!.at);
    expect(first.map((c) => c.input.NextToken)).toEqual([undefined, '5', '10']);
    const oldest = Math.min(...fake.commands.map((c) => c.sentAt));
    expect(first[0]!.input).toMatchObject({
      MaxResults: 50,
      Filters: [
        { key: 'InvokedAfter', value: new Date(Math.floor(oldest / 1000) * 1000).toISOString().replace('.000Z', 'Z') },
        { key: 'DocumentName', value: 'AWS-RunShellScript' },
      ],
    });
  });

  test('a failure in one command reaches onUpdate at the next tick while the others still run', async () => {
    const { ssmMock, clock, transport } = setup();
    const all = batches();
    const victim = all[7]![13]!;
    const fake = new FakeRunCommand(ssmMock, clock, (id) => (id === victim ? failsAt(3000) : succeedsAt(30_000)));
    const updates: { r: InvocationResult; at: number }[] = [];
    const results = (await Promise.all(all.map((b) => transport.run(request(b), { watchFailures: true, onUpdate: (r) => updates.push({ r, at: clock.now() }) })))).flat();

    const first = updates[0]!;
    expect(first.r).toMatchObject({ instanceId: victim, kind: 'ran', exitCode: 2, stdout: 'boom\n' });
    expect(first.at).toBeLessThanOrEqual(3000 + 2 * 5000); // a tick or two, not the end of the run
    expect(first.at).toBeLessThan(30_000);
    // Found by one Status-filtered list of the command that moved.
    const look = fake.callsTo('ListCommandInvocations').find((c) => c.at === first.at)!;
    expect(look.input).toMatchObject({ CommandId: fake.commands.find((c) => c.input.InstanceIds!.includes(victim))!.id, Filters: [{ key: 'Status', value: 'Failed' }] });
    expect(updates.filter((u) => u.r.instanceId === victim)).toHaveLength(1);
    expect(results.filter(succeeded)).toHaveLength(999);
  });

  test('failures in several commands in the same tick: one list across commands finds them all', async () => {
    const { ssmMock, clock, transport } = setup();
    const all = batches(5);
    const victims = [all[0]![3]!, all[2]![40]!, all[4]![0]!];
    const fake = new FakeRunCommand(ssmMock, clock, (id) => (victims.includes(id) ? failsAt(2000) : succeedsAt(20_000)));
    const at = new Map<string, number>();
    await Promise.all(all.map((b) => transport.run(request(b), { watchFailures: true, onUpdate: (r) => failing(r) && at.set(r.instanceId, clock.now()) })));

    expect([...at.keys()].sort()).toEqual([...victims].sort());
    const when = at.get(victims[0]!)!;
    expect([...at.values()].every((t) => t === when)).toBe(true);
    const looks = fake.callsTo('ListCommandInvocations').filter((c) => c.at === when);
    expect(looks).toHaveLength(1);
    expect(looks[0]!.input.CommandId).toBeUndefined();
    expect(looks[0]!.input.Filters).toEqual([
      { key: 'Status', value: 'Failed' },
      { key: 'InvokedAfter', value: '1970-01-01T00:00:00Z' },
      { key: 'DocumentName', value: 'AWS-RunShellScript' },
    ]);
  });

  test('invocation lists = one per command + one per tick in which a failure was counted (other completions: every minute)', async () => {
    const { ssmMock, clock, transport } = setup();
    const all = batches(4).flat();
    const plan = spread(all, 2000, 40_000);
    for (const id of [all[10]!, all[77]!, all[160]!]) plan.set(id, failsAt(9000));
    plan.set(all[120]!, failsAt(21_000));
    const fake = new FakeRunCommand(ssmMock, clock, (id) => plan.get(id)!);
    const failedAt = new Map<string, number>();
    const results = await transport.run(request(all), { watchFailures: true, onUpdate: (r) => failing(r) && failedAt.set(r.instanceId, clock.now()) });
    expect(results.filter(failing)).toHaveLength(4);

    // From what ListCommands answered at each tick: which ticks call for a Failed look?
    const ticks = fake.callsTo('ListCommands').map((c) => ({ at: c.at, out: (c as { output?: Command[] }).output ?? [] }));
    const prev = new Map<string, Command>();
    const unseen = new Set<string>();
    let lastLook = -Infinity;
    let looks = 0;
    let ticksWithProgress = 0;
    for (const { at, out } of ticks) {
      let certain = false;
      let progress = false;
      for (const c of out) {
        const p = prev.get(c.CommandId!);
        prev.set(c.CommandId!, c);
        if (['Success', 'Failed', 'Cancelled', 'TimedOut'].includes(c.Status!)) continue;
        if (c.CompletedCount! > (p?.CompletedCount ?? 0)) {
          progress = true;
          unseen.add(c.CommandId!);
        }
        if (c.ErrorCount! > (p?.ErrorCount ?? 0)) certain = true;
      }
      if (progress) ticksWithProgress++;
      const open = [...unseen].filter((id) => !['Success', 'Failed', 'Cancelled', 'TimedOut'].includes(prev.get(id)!.Status!));
      if ((certain || at - lastLook >= 60_000) && open.length > 0) {
        looks++;
        lastLook = at;
        unseen.clear();
      }
    }
    expect(fake.callsTo('ListCommandInvocations')).toHaveLength(fake.commands.length + looks);
    expect(looks).toBeLessThan(ticksWithProgress);
    expect(ticksWithProgress).toBeGreaterThan(5);
    // Each failure at the first tick after it happened.
    const tickAfter = (t: number): number => ticks.find((x) => x.at >= t)!.at;
    expect(failedAt.get(all[10]!)).toBe(tickAfter(9000));
    expect(failedAt.get(all[120]!)).toBe(tickAfter(21_000));
  });

  test('a failure outside the error counters (Undeliverable) reaches onUpdate within a minute and a tick', async () => {
    const { ssmMock, clock, transport } = setup();
    const all = batches(3);
    const lost = all[1]![7]!;
    const plan = spread(all.flat(), 2000, 120_000); // the commands run until about 122 s
    plan.set(lost, { steps: [{ at: 20_000, status: 'Failed', details: 'Undeliverable' }] });
    new FakeRunCommand(ssmMock, clock, (id) => plan.get(id)!);
    let at = 0;
    await Promise.all(all.map((b) => transport.run(request(b), { watchFailures: true, onUpdate: (r) => r.instanceId === lost && (at = clock.now()) })));
    expect(at).toBeGreaterThanOrEqual(20_000);
    expect(at).toBeLessThanOrEqual(20_000 + 60_000 + 5000); // before its command ends
  });

  test('delivery and execution timeouts of a running command reach onUpdate before it ends (a TimedOut list)', async () => {
    const { ssmMock, clock, transport } = setup();
    const [delivery, execution, slow] = ids('i-', 3);
    const plan: Record<string, FakeHost> = {
      [delivery!]: { steps: [{ at: 500, status: 'Pending' }, { at: 2000, status: 'TimedOut', details: 'DeliveryTimedOut' }] },
      [execution!]: { steps: [{ at: 500, status: 'InProgress' }, { at: 2000, status: 'TimedOut', details: 'ExecutionTimedOut', code: 137 }] },
      [slow!]: succeedsAt(20_000),
    };
    const fake = new FakeRunCommand(ssmMock, clock, (id) => plan[id]!);
    const at = new Map<string, number>();
    await transport.run(request(Object.keys(plan)), { watchFailures: true, onUpdate: (r) => at.set(`${r.instanceId}:${r.kind}`, clock.now()) });

    expect(at.get(`${delivery}:undelivered`)).toBe(2500);
    expect(at.get(`${execution}:timed-out`)).toBe(2500);
    expect(fake.callsTo('ListCommandInvocations').some((c) => JSON.stringify(c.input.Filters) === JSON.stringify([{ key: 'Status', value: 'TimedOut' }]))).toBe(true);
  });

  test('ticks keep their cadence when one is slow (a throttled ListCommands does not push the next one back)', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(9000));
    fake.fail('ListCommands', throttling(), throttling()); // the first tick backs off 250 + 500 ms
    await transport.run(request(ids('i-', 1)));
    const ticks = [...new Set(fake.callsTo('ListCommands').map((c) => c.at))];
    expect(ticks.slice(0, 6)).toEqual([1000, 1250, 1750, 2500, 4750, 8125]);
  });

  test('a run that starts while another has slowed to maxPollMs is looked at within pollMs', async () => {
    const { ssmMock, clock, transport } = setup();
    const [long, short] = ids('i-', 2);
    let shortSent = 0;
    let shortDone = 0;
    new FakeRunCommand(ssmMock, clock, (id) => (id === long ? succeedsAt(60_000) : { steps: [{ at: shortSent + 100, status: 'Success', code: 0 }] }));
    let second: Promise<unknown> = Promise.resolve();
    clock.at(20_000, () => {
      shortSent = clock.now();
      second = transport.run(request([short!]), { onUpdate: (r) => succeeded(r) && (shortDone = clock.now()) });
    });
    await transport.run(request([long!]));
    await second;
    expect(shortDone - shortSent).toBeGreaterThan(0);
    expect(shortDone - shortSent).toBeLessThanOrEqual(1500); // not the 5 s the long run polls at by then
  });

  test('a command ListCommands never shows is an error after a while, not a hang', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000), { listLagMs: 1e9 });
    await expect(transport.run(request(ids('i-', 2)))).rejects.toMatchObject({ kind: 'aws' });
    expect(fake.callsTo('ListCommands').filter((c) => c.input.CommandId === undefined)).toHaveLength(10);
  });

  test("one run's deadline cancels its own commands only", async () => {
    const { ssmMock, clock, transport } = setup({ cancelGraceMs: 1000 });
    const [a, b] = ids('mi-', 2);
    const fake = new FakeRunCommand(ssmMock, clock, (id) => (id === a ? { steps: [{ at: 500, status: 'InProgress' }] } : succeedsAt(8000)));
    const [ra, rb] = await Promise.all([transport.run(request([a!]), { deadline: 3000 }), transport.run(request([b!]))]);
    expect(fake.callsTo('CancelCommand').map((c) => c.input.CommandId)).toEqual([fake.commands.find((c) => c.input.InstanceIds![0] === a)!.id]);
    expect(fake.callsTo('CancelCommand')[0]!.at).toBe(3000);
    expect(ra![0]).toMatchObject({ kind: 'cancelled', by: 'deadline' });
    expect(rb![0]).toMatchObject({ kind: 'ran', exitCode: 0 });
  });

  test('the error budget: aborting on the first failure cancels every run in flight and each reports its hosts', async () => {
    const { ssmMock, clock, transport } = setup();
    const all = batches(6);
    const victim = all[3]![5]!;
    const fake = new FakeRunCommand(ssmMock, clock, (id) => (id === victim ? failsAt(2000) : succeedsAt(60_000)));
    const ac = new AbortController();
    let abortedAt = 0;
    const onUpdate = (r: InvocationResult): void => {
      if (failing(r) && !ac.signal.aborted) {
        abortedAt = clock.now();
        ac.abort();
      }
    };
    const results = (await Promise.all(all.map((b) => transport.run(request(b), { signal: ac.signal, onUpdate, watchFailures: true })))).flat();

    expect(abortedAt).toBeLessThanOrEqual(2000 + 5000);
    expect(fake.callsTo('CancelCommand')).toHaveLength(6);
    expect(fake.callsTo('CancelCommand').every((c) => c.at === abortedAt)).toBe(true);
    expect(results.find((r) => r.instanceId === victim)).toMatchObject({ kind: 'ran', exitCode: 2 });
    expect(results.filter((r) => r.kind === 'cancelled')).toHaveLength(299);
  });

  test('a throttled ListCommands is retried; an error that is not is every run\'s error, not a hang', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000));
    fake.fail('ListCommands', throttling(), throttling());
    expect((await transport.run(request(ids('i-', 2)))).every(succeeded)).toBe(true);

    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    fake.fail('ListCommands', denied, denied, denied);
    const runs = batches(3, 2).map((b) => transport.run(request(b)));
    for (const r of runs) await expect(r).rejects.toMatchObject({ name: 'AwsError' });
  });
});

describe('what a long phase costs in polls', () => {
  /** 20 commands of 50 hosts whose hosts finish one command after another (as the lab's shared process slots,
   * or SSM's MaxConcurrency per command, can make them): command b's hosts in [3 + 4b, 7 + 4b) s. */
  const staggered = (all: string[][]): Map<string, FakeHost> =>
    new Map(all.flatMap((b, i) => b.map((id, k): [string, FakeHost] => [id, succeedsAt(3000 + 4000 * i + ((k * 7919) % 4000))])));

  test('commands ending one after another: ticks grow to one every maxPollMs, none for each command that ends before the last', async () => {
    const { ssmMock, clock, transport } = setup({ pollMs: 250, maxPollMs: 5000 });
    const all = batches();
    const plan = staggered(all);
    const lastEnd = Math.max(...[...plan.values()].map((h) => h.steps.at(-1)!.at));
    const bad = all[9]![3]!; // command 9 runs from 39 s to 43 s
    plan.set(bad, failsAt(40_000));
    const fake = new FakeRunCommand(ssmMock, clock, (id) => plan.get(id)!);
    let failedAt = 0;
    const results = (
      await Promise.all(all.map((b) => transport.run(request(b), { watchFailures: true, onUpdate: (r) => failing(r) && (failedAt = clock.now()) })))
    ).flat();
    expect(results).toHaveLength(1000);
    // Looks until the first completion (3 s) at 250 ms growing ×1.5: 0.25, 0.63, 1.19, 2.03, 3.30 s; then one
    // per maxPollMs to the last end (80 s), and the approach to it.
    const lists = fake.callsTo('ListCommands');
    expect(lists.length).toBeLessThanOrEqual(5 + Math.ceil((lastEnd - 3300) / 5000) + 2);
    // Invocations: each command once at its end, the one look the failure called for, and a look for failures
    // outside the error counters once a minute (Undeliverable and the like: the script never ran).
    expect(fake.callsTo('ListCommandInvocations').length).toBeLessThanOrEqual(20 + 1 + Math.ceil(lastEnd / 60_000));
    // A failure still reaches onUpdate within maxPollMs, and the end is noticed soon after it happens.
    expect(failedAt).toBeGreaterThanOrEqual(40_000);
    expect(failedAt).toBeLessThanOrEqual(45_000);
    expect(clock.now()).toBeLessThanOrEqual(lastEnd + 2500);
  });

  test("a short phase ramping up as SSM does (1 host, then twice as many) is noticed within a second of its end, though its first pace says 12 s", async () => {
    const { ssmMock, clock, transport } = setup({ pollMs: 250, maxPollMs: 5000 });
    const hosts = ids('i-', 50);
    // Waves of 1, 2, 4, 8, 16 and 19 hosts, one every 200 ms: the last ends at 1.2 s.
    const wave = (k: number): number => Math.min(5, Math.floor(Math.log2(k + 1)));
    const plan = new Map(hosts.map((id, k) => [id, succeedsAt(200 * (wave(k) + 1))]));
    new FakeRunCommand(ssmMock, clock, (id) => plan.get(id)!);
    const results = await transport.run(request(hosts));
    expect(results.every(succeeded)).toBe(true);
    expect(clock.now()).toBeLessThanOrEqual(1200 + 1000);
  });

  test('commands sharing the hosts\' capacity (the lab\'s process slots): the end is noticed soon, not a maxPollMs later', async () => {
    // 20 commands of 50 hosts sent at once, one pool of 40 slots, 600 ms a host, the earlier commands' hosts
    // mostly first: the commands end one after another from 6 s to 16 s, each at a share of the pool's pace
    // that grows as the others end (as a 1000-host facts phase in the lab: 18 commands ending from 4.7 to 19 s).
    const { ssmMock, clock, transport } = setup({ pollMs: 250, maxPollMs: 5000 });
    const all = batches();
    const queue = all.flatMap((b, i) => b.map((id, k) => ({ id, order: i + ((k * 7919) % 50) / 5 }))).sort((a, b) => a.order - b.order);
    const free = Array<number>(40).fill(0);
    const plan = new Map<string, FakeHost>();
    for (const h of queue) {
      const slot = free.indexOf(Math.min(...free));
      free[slot]! += 600;
      plan.set(h.id, succeedsAt(free[slot]!));
    }
    const lastEnd = Math.max(...free);
    const fake = new FakeRunCommand(ssmMock, clock, (id) => plan.get(id)!);
    const results = (await Promise.all(all.map((b) => transport.run(request(b))))).flat();
    expect(results).toHaveLength(1000);
    expect(lastEnd).toBe(15_000);
    // The pace of the phase (every completion since the last look, the ended commands' too) says when the last
    // ones end; the commands still running, each at its own pace, would say seconds later.
    expect(clock.now()).toBeLessThanOrEqual(lastEnd + 1000);
    expect(fake.callsTo('ListCommands').length).toBeLessThanOrEqual(12);
  });

  test('runs that do not watch for failures (facts, verify) list each command once, at its end, failures and all', async () => {
    const { ssmMock, clock, transport } = setup();
    const all = batches(4).flat();
    const plan = spread(all, 2000, 40_000);
    for (const id of [all[10]!, all[77]!, all[160]!]) plan.set(id, failsAt(9000));
    plan.set(all[120]!, { steps: [{ at: 12_000, status: 'Failed', details: 'Undeliverable' }] });
    const fake = new FakeRunCommand(ssmMock, clock, (id) => plan.get(id)!);
    const counted: string[] = [];
    const results = await transport.run(request(all), { onUpdate: (r) => counted.push(r.instanceId) });
    expect(results.filter((r) => r.kind !== 'ran' || r.exitCode !== 0)).toHaveLength(4);
    expect(counted).toHaveLength(200);
    expect(fake.callsTo('ListCommandInvocations')).toHaveLength(fake.commands.length);
    expect(fake.callsTo('ListCommandInvocations').every((c) => c.input.CommandId !== undefined && c.input.Filters === undefined)).toBe(true);
  });
});
