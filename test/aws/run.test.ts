import { GetCommandInvocationCommand, InvocationDoesNotExist, ThrottlingException } from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { parsePluginOutput } from '../../src/aws/run.js';
import { outputOf, succeeded } from '../../src/transport/result.js';
import type { InvocationResult } from '../../src/transport/types.js';
import { agentOutput, FakeRunCommand, type FakeHost } from './fake-run-command.js';
import { ids, request, setup } from './helpers.js';


const succeedsAt = (at: number, stdout = 'ok\n'): FakeHost => ({
  steps: [
    { at: at / 2, status: 'InProgress', details: 'InProgress' },
    { at, status: 'Success', details: 'Success', code: 0, output: stdout },
  ],
});
const runsForever: FakeHost = { steps: [{ at: 500, status: 'InProgress', details: 'InProgress' }] };

const throttling = (): ThrottlingException => new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });

const byId = (rs: InvocationResult[]): Map<string, InvocationResult> => new Map(rs.map((r) => [r.instanceId, r]));

describe('SendCommand', () => {
  test('120 hosts → 3 commands of ≤ 50, each host exactly once, at most 4 sends in flight', async () => {
    const { ssmMock, clock, transport } = setup({ concurrency: 2 });
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(2000));
    const hosts = ids('i-', 120);
    const results = await transport.run(request([...hosts, hosts[0]!]));

    const sent = fake.callsTo('SendCommand').map((c) => c.input.InstanceIds as string[]);
    expect(sent).toHaveLength(3);
    expect(sent.every((chunk) => chunk.length <= 50)).toBe(true);
    expect(sent.flat().sort()).toEqual([...hosts].sort());
    expect(fake.maxInFlightSends).toBeLessThanOrEqual(2);
    expect(fake.maxInFlightSends).toBeGreaterThan(1); // sent concurrently, not one by one
    expect(results.map((r) => r.instanceId).sort()).toEqual([...hosts].sort());
    expect(results.every((r) => r.kind === 'ran' && r.exitCode === 0 && r.stdout === 'ok\n')).toBe(true);
    // Each result carries the command that reached its host.
    for (const cmd of fake.commands) {
      for (const id of cmd.input.InstanceIds!) expect(byId(results).get(id)!.commandId).toBe(cmd.id);
    }
  });

  test('the request carries exactly the script, the timeouts and the rate controls; Comment: the human text cut to fit, then the mark, ≤ 100', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000));
    const secret = 'token=sk-live-4f9a8b7c6d5e';
    const script = `#!/bin/sh\nprintf '%s' '${secret}' > /etc/stns/client/stns.conf\n`;
    const comment = `stns-fleet apply ${'x'.repeat(120)}`;
    await transport.run(request(ids('mi-', 2), { script, comment, maxConcurrency: '10%', maxErrors: '1' }));

    const input = fake.callsTo('SendCommand')[0]!.input;
    expect(input.DocumentName).toBe('AWS-RunShellScript');
    expect(input.Parameters).toEqual({ commands: [script], executionTimeout: ['600'] });
    expect(input.TimeoutSeconds).toBe(120);
    expect(input.Comment).toHaveLength(100);
    expect(input.Comment).toMatch(/ sf:[0-9a-f]{12}$/);
    expect(input.Comment).toBe(`${comment.slice(0, 100 - 16)} ${(input.Comment as string).slice(-15)}`);
    expect(input.MaxConcurrency).toBe('10%');
    expect(input.MaxErrors).toBe('1');
    // The script (and what it carries) goes nowhere but Parameters.commands.
    const { Parameters: _, ...rest } = input;
    expect(JSON.stringify(rest)).not.toContain(secret);
  });

  test('without rate controls SSM keeps its defaults (no MaxConcurrency/MaxErrors sent)', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000));
    await transport.run(request(ids('i-', 1)));
    const input = fake.callsTo('SendCommand')[0]!.input;
    expect(input).not.toHaveProperty('MaxConcurrency');
    expect(input).not.toHaveProperty('MaxErrors');
  });

  test('a throttled SendCommand is retried with jittered backoff, and sent once it passes', async () => {
    const { ssmMock, clock, transport } = setup({ random: () => 0.25 });
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000));
    fake.fail('SendCommand', throttling(), throttling());
    const results = await transport.run(request(ids('i-', 1)));
    expect(fake.callsTo('SendCommand')).toHaveLength(3);
    expect(fake.commands).toHaveLength(1);
    expect(results[0]).toMatchObject({ kind: 'ran', exitCode: 0 });
    // Full jitter: random × min(cap, 500 ms × 2^retry) before each retry; then the first poll.
    expect(clock.sleeps.slice(0, 3)).toEqual([0.25 * 500, 0.25 * 1000, 1000]);
  });
});

describe('polling', () => {
  test('ListCommandInvocations is paged with NextToken threaded; no GetCommandInvocation per host', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000), { pageSize: 20 });
    const hosts = ids('i-', 50);
    const results = await transport.run(request(hosts));

    const lists = fake.callsTo('ListCommandInvocations');
    expect(lists.every((c) => c.input.Details === true && c.input.MaxResults === 50)).toBe(true);
    // One poll at t=1000 (everything already done): pages 0, 20, 40.
    expect(lists.map((c) => c.input.NextToken)).toEqual([undefined, '20', '40']);
    expect(ssmMock.commandCalls(GetCommandInvocationCommand)).toHaveLength(0);
    expect(results.filter(succeeded)).toHaveLength(50);
  });

  test('an empty list right after SendCommand means "not yet": polling goes on until the records appear', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => ({ steps: [{ at: 3000, status: 'Success', code: 0, output: 'late\n' }] }));
    const results = await transport.run(request(ids('i-', 3)));

    // Polled before the records existed (nothing was concluded from their absence), listed once they did.
    expect(fake.callsTo('ListCommands')[0]!.at).toBeLessThan(3000);
    expect(fake.callsTo('ListCommandInvocations').every((c) => c.at >= 3000)).toBe(true);
    expect(results.every((r) => succeeded(r) && r.stdout === 'late\n')).toBe(true);
  });

  test('a command ListCommands does not show yet is waited for, then asked for by ID, never given up early', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000), { listLagMs: 4000 });
    const results = await transport.run(request(ids('i-', 3)));

    const byIdLookups = fake.callsTo('ListCommands').filter((c) => c.input.CommandId !== undefined);
    expect(byIdLookups.length).toBeGreaterThan(0); // after two ticks without it (InvalidCommandId: not yet)
    expect(byIdLookups[0]!.at).toBeLessThan(4000);
    expect(results.every((r) => succeeded(r) && r.stdout === 'ok\n')).toBe(true);
  });

  test('the poll interval starts at pollMs and grows ×1.5 up to maxPollMs', async () => {
    const { ssmMock, clock, transport } = setup({ pollMs: 1000, maxPollMs: 5000 });
    new FakeRunCommand(ssmMock, clock, () => succeedsAt(20_000));
    await transport.run(request(ids('i-', 1)));
    expect(clock.sleeps.slice(0, 7)).toEqual([1000, 1500, 2250, 3375, 5000, 5000, 5000]);
  });

  test('the end of a command is looked for when its pace says, sooner than the growing interval would', async () => {
    const { ssmMock, clock, transport } = setup({ pollMs: 1000, maxPollMs: 5000 });
    const hosts = ids('i-', 4);
    const at: Record<string, number> = { [hosts[0]!]: 900, [hosts[1]!]: 950, [hosts[2]!]: 980, [hosts[3]!]: 1100 };
    new FakeRunCommand(ssmMock, clock, (id) => succeedsAt(at[id]!));
    const endedAt: number[] = [];
    await transport.run(request(hosts), { onUpdate: () => endedAt.push(clock.now()) });
    // Three of four done at the first look (1000, one second after sending): the last is expected about a third
    // of a second later, so the next look comes at the pause's floor (half a pollMs), 1500, not at 2500 (1000 + 1500).
    expect(Math.max(...endedAt)).toBe(1500);
  });

  test('every terminal state reaches the results as its kind; a host never recorded is undelivered (no-invocation)', async () => {
    const { ssmMock, clock, transport } = setup();
    const [ok, failed, cancelled, execTimeout, deliveryTimeout, undeliverable, terminated, ghost] = ids('i-', 8);
    const out = (stdout: string, stderr = ''): string => agentOutput(stdout, stderr);
    const plan: Record<string, FakeHost> = {
      [ok!]: { steps: [{ at: 1000, status: 'Success', code: 0, output: out('fine\n') }] },
      [failed!]: { steps: [{ at: 1000, status: 'Failed', details: 'Failed', code: 3, output: out('', 'sshd -t: bad\n') }] },
      [cancelled!]: { steps: [{ at: 1000, status: 'Cancelled', details: 'Cancelled', code: -1 }] },
      [execTimeout!]: {
        steps: [
          { at: 500, status: 'InProgress' },
          { at: 2000, status: 'TimedOut', details: 'ExecutionTimedOut', code: 137, output: out('half') },
        ],
      },
      [deliveryTimeout!]: {
        steps: [
          { at: 500, status: 'Pending' },
          { at: 2000, status: 'TimedOut', details: 'DeliveryTimedOut', code: -1 },
        ],
      },
      [undeliverable!]: { steps: [{ at: 1000, status: 'Failed', details: 'Undeliverable', code: -1 }] },
      [terminated!]: { steps: [{ at: 1000, status: 'Cancelled', details: 'Terminated', code: -1 }] },
      [ghost!]: { steps: [] },
    };
    new FakeRunCommand(ssmMock, clock, (id) => plan[id]!);
    const updatedAt = new Map<string, number>();
    const r = byId(await transport.run(request(Object.keys(plan)), { watchFailures: true, onUpdate: (u) => updatedAt.set(u.instanceId, clock.now()) }));

    const brief = (id: string): unknown => {
      const { instanceId: _, commandId: __, ...rest } = r.get(id)!;
      return rest;
    };
    const output = (stdout = '', stderr = ''): { stdout: string; stderr: string; truncated: boolean } => ({ stdout, stderr, truncated: false });
    expect(brief(ok!)).toEqual({ kind: 'ran', exitCode: 0, ...output('fine\n') });
    expect(brief(failed!)).toEqual({ kind: 'ran', exitCode: 3, ...output('', 'sshd -t: bad\n') });
    expect(brief(cancelled!)).toEqual({ kind: 'cancelled', by: 'request', ...output() });
    expect(brief(execTimeout!)).toEqual({ kind: 'timed-out', ...output('half') });
    expect(brief(deliveryTimeout!)).toEqual({ kind: 'undelivered', reason: 'delivery-timed-out' });
    expect(brief(undeliverable!)).toEqual({ kind: 'undelivered', reason: 'undeliverable' });
    expect(brief(terminated!)).toEqual({ kind: 'not-sent', reason: 'error-budget' });
    expect(brief(ghost!)).toEqual({ kind: 'undelivered', reason: 'no-invocation' });
    // Each host reported once.
    expect([...updatedAt.keys()].sort()).toEqual(Object.keys(plan).sort());
    // The ghost is given up only once every recorded host of the command is terminal (from t=2000 on)...
    expect(updatedAt.get(ghost!)).toBeGreaterThanOrEqual(2000);
    // ...while the failures that were final at t=1000 were reported at the first look.
    expect(updatedAt.get(failed!)).toBe(1000);
    expect(updatedAt.get(undeliverable!)).toBe(1000);
  });

  test('a host without a record is not given up while its command is still running', async () => {
    const { ssmMock, clock, transport } = setup();
    const [quick, slow, ghost] = ids('mi-', 3);
    const plan: Record<string, FakeHost> = { [quick!]: succeedsAt(1000), [slow!]: succeedsAt(9000), [ghost!]: { steps: [] } };
    new FakeRunCommand(ssmMock, clock, (id) => plan[id]!);
    let ghostAt: number | undefined;
    const r = byId(await transport.run(request(Object.keys(plan)), { onUpdate: (u) => u.instanceId === ghost && (ghostAt = clock.now()) }));
    expect(succeeded(r.get(slow!)!)).toBe(true);
    expect(r.get(ghost!)).toMatchObject({ kind: 'undelivered', reason: 'no-invocation' });
    // Not while a recorded host is still running (slow is InProgress until 9000).
    expect(ghostAt).toBeGreaterThanOrEqual(9000);
  });

  test('onUpdate fires once per host with its final result: a failure at the first look, a success when its command ends', async () => {
    const { ssmMock, clock, transport } = setup();
    const [bad, good] = ids('i-', 2);
    const plan: Record<string, FakeHost> = {
      [bad!]: { steps: [{ at: 500, status: 'InProgress' }, { at: 1000, status: 'Failed', details: 'Failed', code: 1 }] },
      [good!]: { steps: [{ at: 500, status: 'Pending' }, { at: 1500, status: 'InProgress' }, { at: 2500, status: 'Delayed' }, { at: 5000, status: 'Success', code: 0 }] },
    };
    new FakeRunCommand(ssmMock, clock, (id) => plan[id]!);
    const seen: string[] = [];
    await transport.run(request([bad!, good!]), { watchFailures: true, onUpdate: (r) => seen.push(`${r.instanceId}:${r.kind}@${clock.now()}`) });
    // The failure as soon as it is final (the first look), not again when the whole command is listed at its end;
    // a success when its command ends (successes spend no error budget).
    expect(seen.slice(0, 1)).toEqual([`${bad}:ran@1000`]);
    expect(seen.length).toBe(2);
    // The success once the command has ended (at 5000), at the first look after: the pace (half the hosts done
    // at 1000) brings looks forward, so no later than the 1 s × 1.5ⁿ cadence alone would (8125).
    const goodAt = Number(seen[1]!.split('@')[1]);
    expect(seen[1]!.startsWith(`${good}:ran@`)).toBe(true);
    expect(goodAt).toBeGreaterThanOrEqual(5000);
    expect(goodAt).toBeLessThanOrEqual(8125);
  });

  test('a throttled poll is retried, not fatal', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000));
    fake.fail('ListCommandInvocations', throttling(), throttling(), throttling());
    const r = await transport.run(request(ids('i-', 2)));
    expect(fake.callsTo('ListCommandInvocations')).toHaveLength(4);
    expect(r.every(succeeded)).toBe(true);
  });
});

describe('output', () => {
  test('agent output of every size parses back to a prefix of stdout and stderr, truncated exactly when cut', () => {
    const stdout = Array.from({ length: 400 }, (_, i) => `line ${i}\n`).join('');
    const stderr = Array.from({ length: 400 }, (_, i) => `warn ${i}\n`).join('');
    for (const [o, e] of [
      [10, 0],
      [10, 10],
      [2000, 0],
      [3000, 0],
      [100, 3000],
      [3000, 100],
      [3000, 3000],
      [0, 3000],
    ] as const) {
      const [out, err] = [stdout.slice(0, o), stderr.slice(0, e)];
      const raw = agentOutput(out, err);
      const p = parsePluginOutput(raw);
      expect(out.startsWith(p.stdout)).toBe(true);
      expect(err.startsWith(p.stderr)).toBe(true);
      expect(p.truncated).toBe(p.stdout.length < out.length || p.stderr.length < err.length);
      expect(p.stdout + p.stderr).not.toMatch(/truncated-|-ERROR-/);
    }
  });

  test('a truncated invocation is flagged in the run results, markers stripped', async () => {
    const { ssmMock, clock, transport } = setup();
    const big = 'x'.repeat(5000);
    new FakeRunCommand(ssmMock, clock, () => ({ steps: [{ at: 1000, status: 'Success', code: 0, output: agentOutput(big, 'e') }] }));
    const [r] = await transport.run(request(ids('i-', 1)));
    expect(outputOf(r!)!.truncated).toBe(true);
    expect(r).toMatchObject({ kind: 'ran', stderr: 'e' });
    const stdout = outputOf(r!)!.stdout;
    expect(big.startsWith(stdout)).toBe(true);
    expect(stdout.length).toBeGreaterThan(2000);
  });

  test('fullOutput retries InvocationDoesNotExist, strips "--output truncated--" and keeps the API limits', async () => {
    const { ssmMock, transport } = setup();
    const stdout = 'y'.repeat(24_000 - '--output truncated--'.length);
    ssmMock
      .on(GetCommandInvocationCommand, { CommandId: 'c-1', InstanceId: 'i-0123456789abcdef0' })
      .rejectsOnce(new InvocationDoesNotExist({ message: '', $metadata: {} }))
      .rejectsOnce(new InvocationDoesNotExist({ message: '', $metadata: {} }))
      .resolves({ StandardOutputContent: `${stdout}--output truncated--`, StandardErrorContent: 'warn\n', Status: 'Success' });
    const r = await transport.fullOutput('c-1', 'i-0123456789abcdef0');
    expect(r).toEqual({ stdout, stderr: 'warn\n', truncated: true });
    expect(ssmMock.commandCalls(GetCommandInvocationCommand)).toHaveLength(3);
  });

  test('fullOutput gives up on InvocationDoesNotExist after a few tries, as a FleetError', async () => {
    const { ssmMock, transport } = setup();
    ssmMock.on(GetCommandInvocationCommand).rejects(new InvocationDoesNotExist({ message: 'no such invocation', $metadata: {} }));
    await expect(transport.fullOutput('c-1', 'i-0123456789abcdef0')).rejects.toMatchObject({ kind: 'aws' });
    const n = ssmMock.commandCalls(GetCommandInvocationCommand).length;
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(10);
  });
});

describe('stopping', () => {
  test('abort cancels the commands still in flight, waits for final states and reports each host', async () => {
    const { ssmMock, clock, transport } = setup();
    const first = ids('i-', 50); // all done before the abort
    const second = ids('i-', 10, 50); // still running at the abort
    const stubborn = second[0]!; // its agent never answers the cancel
    const plan = new Map<string, FakeHost>([
      ...first.map((id) => [id, succeedsAt(1000)] as const),
      ...second.map((id) => [id, id === stubborn ? { ...runsForever, ignoresCancel: true } : runsForever] as const),
    ]);
    const fake = new FakeRunCommand(ssmMock, clock, (id) => plan.get(id)!, { cancelTakesMs: 1500 });
    const ac = new AbortController();
    clock.at(4000, () => ac.abort());
    const r = byId(await transport.run(request([...first, ...second]), { signal: ac.signal }));

    const [cmdFirst, cmdSecond] = fake.commands;
    expect(fake.callsTo('CancelCommand').map((c) => c.input.CommandId)).toEqual([cmdSecond!.id]);
    expect(first.every((id) => succeeded(r.get(id)!))).toBe(true);
    expect(second.every((id) => r.get(id)!.kind === 'cancelled')).toBe(true);
    // The stubborn host's cancel was asked for and never confirmed: cancelled on request too.
    expect(r.get(stubborn)).toMatchObject({ kind: 'cancelled', by: 'request', commandId: cmdSecond!.id });
    expect(cmdFirst!.cancelledAt).toBeUndefined();
    // The grace period (10 s by default) bounds the wait after the cancel.
    const cancelAt = fake.callsTo('CancelCommand')[0]!.at;
    expect(clock.now() - cancelAt).toBeLessThanOrEqual(10_000);
    expect(clock.now() - cancelAt).toBeGreaterThanOrEqual(1500);
  });

  test('the grace period is injectable', async () => {
    const { ssmMock, clock, transport } = setup({ cancelGraceMs: 2000 });
    const fake = new FakeRunCommand(ssmMock, clock, () => ({ ...runsForever, ignoresCancel: true }));
    const ac = new AbortController();
    clock.at(3000, () => ac.abort());
    await transport.run(request(ids('i-', 1)), { signal: ac.signal });
    expect(clock.now() - fake.callsTo('CancelCommand')[0]!.at).toBe(2000);
  });

  test('past the deadline: cancel, and what had not ended ends cancelled by the deadline, reported once', async () => {
    const { ssmMock, clock, transport } = setup({ cancelGraceMs: 1000 });
    const [done, stuck, stops] = ids('mi-', 3);
    const plan: Record<string, FakeHost> = { [done!]: succeedsAt(1000), [stuck!]: { ...runsForever, ignoresCancel: true }, [stops!]: runsForever };
    const fake = new FakeRunCommand(ssmMock, clock, (id) => plan[id]!, { cancelTakesMs: 500 });
    const updates: InvocationResult[] = [];
    const r = byId(await transport.run(request([done!, stuck!, stops!]), { deadline: 6000, onUpdate: (u) => updates.push(u) }));

    expect(fake.callsTo('CancelCommand').map((c) => c.input.CommandId)).toEqual([fake.commands[0]!.id]);
    expect(fake.callsTo('CancelCommand')[0]!.at).toBe(6000); // the last sleep is cut to the deadline
    expect(r.get(done!)).toMatchObject({ kind: 'ran', exitCode: 0 });
    expect(r.get(stuck!)).toMatchObject({ kind: 'cancelled', by: 'deadline' }); // its agent never confirmed
    expect(r.get(stops!)).toMatchObject({ kind: 'cancelled', by: 'deadline' }); // SSM: Cancelled, for the deadline
    expect(updates.map((u) => u.instanceId).sort()).toEqual([done!, stops!, stuck!].sort());
    expect(updates.at(-1)).toMatchObject({ instanceId: stuck, kind: 'cancelled', by: 'deadline' });
  });

  test('aborted before anything was sent: nothing is sent and every host is reported', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => succeedsAt(1000));
    const ac = new AbortController();
    ac.abort();
    const rs = await transport.run(request(ids('i-', 3)), { signal: ac.signal });
    expect(fake.callsTo('SendCommand')).toHaveLength(0);
    expect(rs.map((r) => [r.kind, r.commandId])).toEqual(Array(3).fill(['cancelled', '']));
  });
});
