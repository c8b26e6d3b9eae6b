// SendCommand from SSMClient: 60 hosts through InstanceIds (≤ 50 per call) and through Targets, the request
// constraints (50 IDs, Comment ≤ 100, payload cap, document, duplicates, unknown nodes), the agent's
// environment, rate control (MaxConcurrency ramp, MaxErrors → Terminated) and CancelCommand.
import { CancelCommandCommand, ListCommandsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { existsSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { commandDone, ids, invocations, run, stdoutOf, useLab, waitFor } from './helpers.js';

const t = useLab({ hosts: 66, pis: 6, seed: 'send', payloadCapBytes: 4096 });
const ec2 = (): string[] => ids(t.lab, (h) => h.kind === 'ec2');
const send = (input: Partial<ConstructorParameters<typeof SendCommandCommand>[0]>) =>
  t.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', TimeoutSeconds: 60, Parameters: { commands: ['true'] }, ...input }));

describe('60 hosts', () => {
  test('InstanceIds in calls of ≤ 50: every host runs the script with the agent environment, under its own tree', async () => {
    const all = ec2();
    expect(all).toHaveLength(60);
    const script = 'echo "$AWS_SSM_INSTANCE_ID $AWS_SSM_REGION_NAME $SSM_COMMAND_ID"; cat "$STNS_FLEET_ROOT/etc/hostname"; test -f /etc/os-release && test -f "$STNS_FLEET_ROOT/etc/os-release"';
    const results = await Promise.all([run(t.ssm, { ids: all.slice(0, 50) }, script), run(t.ssm, { ids: all.slice(50) }, script)]);
    const invs = results.flatMap((r) => r.invocations);
    expect(invs).toHaveLength(60);
    for (const r of results) expect(r.command).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ErrorCount: 0 });
    for (const i of invs) {
      const h = t.lab.host(i.InstanceId!)!;
      expect(i).toMatchObject({ Status: 'Success', StatusDetails: 'Success' });
      expect(i.CommandPlugins?.[0]).toMatchObject({ Name: 'aws:runShellScript', ResponseCode: 0, Output: `${i.InstanceId} us-east-1 ${i.CommandId}\n${h.computerName}\n` });
    }
    expect(t.lab.stats().hostCommands).toBeGreaterThanOrEqual(60);
  });

  test('51 InstanceIds is a ValidationException', async () => {
    const many = [...ec2(), ...ids(t.lab, (h) => h.kind === 'managed')].slice(0, 51);
    await expect(send({ InstanceIds: many })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/^1 validation error detected: Value '.*' at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50$/),
    });
  });

  test('Targets tag:Env=lab reaches every node in one command, EC2 and Pis alike; keys are ANDed', async () => {
    const r = await run(t.ssm, { targets: [{ Key: 'tag:Env', Values: ['lab'] }] }, 'echo ok');
    expect(r.command).toMatchObject({ TargetCount: 66, CompletedCount: 66, Status: 'Success' });
    expect(r.invocations.filter((i) => i.InstanceId!.startsWith('mi-'))).toHaveLength(6);
    const and = await run(t.ssm, { targets: [{ Key: 'tag:Env', Values: ['lab'] }, { Key: 'tag:Role', Values: ['db', 'pi'] }] }, 'true');
    expect(and.command.TargetCount).toBe(20 + 6);
    const none = await run(t.ssm, { targets: [{ Key: 'tag:Role', Values: ['nothing'] }] }, 'true');
    expect(none.command).toMatchObject({ TargetCount: 0, Status: 'Success', StatusDetails: 'NoInstancesInTag' });
  });
});

describe('request constraints', () => {
  test('Comment over 100 characters', async () => {
    await expect(send({ InstanceIds: ec2().slice(0, 1), Comment: 'x'.repeat(101) })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'comment' failed to satisfy constraint: Member must have length less than or equal to 100"),
    });
    const ok = await send({ InstanceIds: ec2().slice(0, 1), Comment: 'x'.repeat(100) });
    expect(ok.Command?.Comment).toHaveLength(100);
  });

  test('a payload over the cap is refused with its size; commands are joined with newlines', async () => {
    await expect(send({ InstanceIds: ec2().slice(0, 1), Parameters: { commands: ['a'.repeat(4000), 'b'.repeat(100)] } })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Parameters are 4101 bytes; the stns-fleet lab accepts at most 4096 bytes'),
    });
    const r = await run(t.ssm, { ids: ec2().slice(0, 1) }, '', { Parameters: { commands: ['printf one', 'printf " two"'] } });
    expect(r.invocations[0]?.CommandPlugins?.[0]?.Output).toBe('one two');
  });

  test('document, parameters, duplicates, unknown and stopped nodes, InstanceIds with Targets', async () => {
    const [a] = ec2();
    await expect(send({ InstanceIds: [a!], DocumentName: 'AWS-RunPowerShellScript' })).rejects.toMatchObject({ name: 'InvalidDocument' });
    await expect(send({ InstanceIds: [a!], Parameters: { command: ['true'] } })).rejects.toMatchObject({ name: 'InvalidParameters' });
    await expect(send({ InstanceIds: [a!], Parameters: { commands: ['true'], executionTimeout: ['0'] } })).rejects.toMatchObject({ name: 'InvalidParameters' });
    await expect(send({ InstanceIds: [a!, a!] })).rejects.toMatchObject({ name: 'DuplicateInstanceId' });
    await expect(send({ InstanceIds: ['i-0123456789abcdef0'] })).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    await expect(send({ InstanceIds: ['host-1'] })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(send({ InstanceIds: [a!], Targets: [{ Key: 'tag:Role', Values: ['web'] }] })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(send({ Targets: [{ Key: 'resource-groups:Name', Values: ['g'] }] })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(send({ InstanceIds: [a!], TimeoutSeconds: 10 })).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining("'timeoutSeconds'") });
    await expect(send({ InstanceIds: [a!], OutputS3BucketName: 'bucket' })).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('exit codes and output', () => {
  test('non-zero is Failed with its ResponseCode; 137 from the script itself reads as TimedOut', async () => {
    const [a, b] = ec2();
    const r = await run(t.ssm, { ids: [a!, b!] }, `if [ "$AWS_SSM_INSTANCE_ID" = ${a} ]; then echo out; echo bad >&2; exit 3; fi; exit 137`, { MaxErrors: '2' });
    const by = Object.fromEntries(r.invocations.map((i) => [i.InstanceId, i]));
    expect(by[a!]).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed' });
    expect(by[a!]!.CommandPlugins?.[0]).toMatchObject({ ResponseCode: 3, Output: 'out\n\n----------ERROR-------\nbad\n' });
    expect(by[b!]).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut' });
    expect(by[b!]!.CommandPlugins?.[0]?.ResponseCode).toBe(137);
    expect(r.command).toMatchObject({ Status: 'Success', StatusDetails: 'Incomplete', ErrorCount: 2 });
    expect(await stdoutOf(t.ssm, r.command.CommandId!, a!)).toEqual({ out: 'out\n', err: 'bad\n', code: 3 });
  });

  test('workingDirectory is inside the host tree', async () => {
    const [a] = ec2();
    const r = await run(t.ssm, { ids: [a!] }, 'pwd', { Parameters: { commands: ['pwd'], workingDirectory: ['/etc'] } });
    expect(r.invocations[0]?.CommandPlugins?.[0]?.Output).toBe(`${t.lab.host(a!)!.dir}/etc\n`);
  });
});

describe('rate control', () => {
  test('MaxConcurrency 1: one host at a time', async () => {
    const r = await run(t.ssm, { ids: ec2().slice(0, 4) }, 'sleep 0.2', { MaxConcurrency: '1' });
    const spans = r.invocations.map((i) => [i.CommandPlugins![0]!.ResponseStartDateTime!.getTime(), i.CommandPlugins![0]!.ResponseFinishDateTime!.getTime()] as const).sort((x, y) => x[0] - y[0]);
    for (let k = 1; k < spans.length; k++) expect(spans[k]![0]).toBeGreaterThanOrEqual(spans[k - 1]![1]);
  });

  test('MaxConcurrency starts with one host, then grows', async () => {
    // Each host marks itself in a shared directory. The first runs alone and leaves; every later one waits (60 s
    // at most) until a third mark exists: it gets one only if two hosts run at once after the first, whatever
    // the machine's speed. One host at a time would leave the second waiting, and failing.
    const marks = mkdtempSync(path.join(t.lab.workDir, 'marks-'));
    const script = [
      `M=${marks}`,
      'touch "$M/$AWS_SSM_INSTANCE_ID"',
      'n() { ls "$M" | wc -l; }',
      'if [ "$(n)" -eq 1 ]; then sleep 0.3; exit 0; fi',
      'i=0; while [ "$(n)" -lt 3 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done',
      '[ "$(n)" -ge 3 ]',
    ].join('\n');
    const r = await run(t.ssm, { ids: ec2().slice(0, 8) }, script, { MaxConcurrency: '8' });
    expect(r.invocations.map((i) => i.StatusDetails)).toEqual(Array(8).fill('Success'));
    const spans = r.invocations.map((i) => [i.CommandPlugins![0]!.ResponseStartDateTime!.getTime(), i.CommandPlugins![0]!.ResponseFinishDateTime!.getTime()] as const).sort((x, y) => x[0] - y[0]);
    // The first host runs alone: nobody else starts before it has finished.
    expect(spans[1]![0]).toBeGreaterThanOrEqual(spans[0]![1]);
  });

  test('MaxErrors 1: the second error stops dispatch; the rest are Terminated; the command Failed', async () => {
    const r = await run(t.ssm, { ids: ec2().slice(0, 6) }, 'exit 1', { MaxConcurrency: '1', MaxErrors: '1' });
    const details = r.invocations.map((i) => i.StatusDetails);
    expect(details.filter((d) => d === 'Failed')).toHaveLength(2);
    expect(details.filter((d) => d === 'Terminated')).toHaveLength(4);
    expect(r.invocations.filter((i) => i.StatusDetails === 'Terminated').every((i) => i.Status === 'Cancelled' && i.CommandPlugins?.[0]?.ResponseCode === -1)).toBe(true);
    expect(r.command).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ErrorCount: 2, CompletedCount: 6 });
  });
});

test('CancelCommand kills running scripts (Cancelled, 137) and stops the ones not started (Cancelled, -1)', async () => {
  const hosts = ec2().slice(0, 3);
  // The mark comes after the echo: once it exists, "started" is in the output (no guess at how long that takes).
  const script = 'echo started; touch "$STNS_FLEET_ROOT/tmp/cancel-started"; sleep 30';
  const sent = await send({ InstanceIds: hosts, MaxConcurrency: '1', Parameters: { commands: [script] } });
  const id = sent.Command!.CommandId!;
  const marks = hosts.map((h) => path.join(t.lab.host(h)!.dir, 'tmp/cancel-started'));
  await waitFor(async () => (marks.some((m) => existsSync(m)) ? true : undefined), 'a host to start');
  await t.ssm.send(new CancelCommandCommand({ CommandId: id }));
  const c = await commandDone(t.ssm, id);
  expect(c).toMatchObject({ Status: 'Cancelled', StatusDetails: 'Cancelled' });
  const invs = await invocations(t.ssm, id);
  const ran = invs.filter((i) => i.CommandPlugins?.[0]?.ResponseCode === 137);
  expect(ran).toHaveLength(1);
  expect(ran[0]!.CommandPlugins?.[0]?.Output).toBe('started\n');
  expect(invs.filter((i) => i.CommandPlugins?.[0]?.ResponseCode === -1)).toHaveLength(2);
  expect(invs.every((i) => i.Status === 'Cancelled')).toBe(true);
  await expect(t.ssm.send(new CancelCommandCommand({ CommandId: '00000000-0000-4000-8000-000000000000' }))).rejects.toMatchObject({ name: 'InvalidCommandId' });
  const listed = await t.ssm.send(new ListCommandsCommand({ CommandId: id }));
  expect(listed.Commands?.[0]?.Parameters?.['commands']).toEqual([script]);
});
