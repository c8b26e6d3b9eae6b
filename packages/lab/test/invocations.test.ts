// Reading results back: ListCommandInvocations paging and Details (CommandPlugins[0].Output in SSM's format,
// cut at 2,500 characters with the agent's markers), GetCommandInvocation (24,000 / 8,000 characters;
// InvocationDoesNotExist until the invocation exists), ListCommands.
import { GetCommandInvocationCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand, type CommandFilterKey } from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { pluginOutput } from '../src/output.js';
import { startLab } from '../src/lab.js';
import { clients, commandDone, FAST, ids, run, stdoutOf, useLab, waitFor } from './helpers.js';

const t = useLab({ hosts: 55, pis: 0, seed: 'invocations' });

describe('ListCommandInvocations', () => {
  test('pages of MaxResults with NextToken, each invocation once; MaxResults over 50 is refused', async () => {
    const r = await run(t.ssm, { targets: [{ Key: 'tag:Env', Values: ['lab'] }] }, 'true');
    expect(r.command.TargetCount).toBe(55);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const p = await t.ssm.send(new ListCommandInvocationsCommand({ CommandId: r.command.CommandId, MaxResults: 20, NextToken: token }));
      pages++;
      seen.push(...(p.CommandInvocations ?? []).map((i) => i.InstanceId!));
      expect(p.CommandInvocations?.[0]?.CommandPlugins ?? []).toEqual([]);
      token = p.NextToken;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(ids(t.lab).sort());
    await expect(t.ssm.send(new ListCommandInvocationsCommand({ CommandId: r.command.CommandId, MaxResults: 51 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(t.ssm.send(new ListCommandInvocationsCommand({ CommandId: r.command.CommandId, NextToken: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidNextToken' });
  });

  test('Status filter and InstanceId narrow the list', async () => {
    const [a, b, c] = ids(t.lab);
    const r = await run(t.ssm, { ids: [a!, b!, c!] }, `[ "$AWS_SSM_INSTANCE_ID" != ${b} ]`, { MaxErrors: '1' });
    const failed = await t.ssm.send(new ListCommandInvocationsCommand({ CommandId: r.command.CommandId, Filters: [{ key: 'Status', value: 'Failed' }] }));
    expect(failed.CommandInvocations?.map((i) => i.InstanceId)).toEqual([b]);
    const one = await t.ssm.send(new ListCommandInvocationsCommand({ CommandId: r.command.CommandId, InstanceId: c }));
    expect(one.CommandInvocations?.map((i) => i.Status)).toEqual(['Success']);
  });

  test('Details: stdout, the error title, stderr; over 2,500 characters each part is cut with its marker', async () => {
    const [a, b, c, d] = ids(t.lab);
    const script = [
      `case "$AWS_SSM_INSTANCE_ID" in`,
      `${a}) echo hello; echo oops >&2 ;;`,
      `${b}) head -c 3000 /dev/zero | tr '\\0' o ;;`,
      `${c}) head -c 3000 /dev/zero | tr '\\0' o; head -c 3000 /dev/zero | tr '\\0' e >&2 ;;`,
      `${d}) echo short; head -c 3000 /dev/zero | tr '\\0' e >&2 ;;`,
      'esac',
    ].join('\n');
    const r = await run(t.ssm, { ids: [a!, b!, c!, d!] }, script);
    const out: Record<string, string> = Object.fromEntries(r.invocations.map((i) => [i.InstanceId!, i.CommandPlugins![0]!.Output!]));
    expect(out[a!]).toBe('hello\n\n----------ERROR-------\noops\n');
    // Marker lengths: OUT and ERR are 23 characters, TITLE 24.
    expect(out[b!]).toBe(`${'o'.repeat(2500 - 23)}${OUT}`);
    expect(out[c!]).toBe(`${'o'.repeat(1215)}${OUT}${TITLE}${'e'.repeat(1215)}${ERR}`);
    expect(out[d!]).toBe(`short\n${TITLE}${'e'.repeat(2500 - 6 - 24 - 23)}${ERR}`);
    for (const o of Object.values(out)) expect(o.length).toBeLessThanOrEqual(2500);
  });
});

const OUT = '\n---Output truncated---';
const ERR = '\n---Error truncated----';
const TITLE = '\n----------ERROR-------\n';

test('the 2,500-character format follows the agent in every branch', () => {
  expect([OUT.length, ERR.length, TITLE.length]).toEqual([23, 23, 24]);
  expect(pluginOutput('', '')).toBe('');
  expect(pluginOutput('a', '')).toBe('a');
  expect(pluginOutput('', 'e')).toBe('\n----------ERROR-------\ne');
  // Exactly at capacity is already "does not fit" (the agent compares with <).
  expect(pluginOutput('x'.repeat(2500), '')).toBe(`${'x'.repeat(2477)}${OUT}`);
  expect(pluginOutput('x'.repeat(2499), '')).toBe('x'.repeat(2499));
  // Fits: 2,000 + 24 + 100 < 2,500.
  expect(pluginOutput('x'.repeat(2000), 'e'.repeat(100))).toBe(`${'x'.repeat(2000)}${TITLE}${'e'.repeat(100)}`);
  // Long stdout, short stderr: stdout is cut so that all of stderr fits.
  expect(pluginOutput('x'.repeat(2400), 'e'.repeat(100))).toBe(`${'x'.repeat(2500 - 24 - 23 - 100)}${OUT}${TITLE}${'e'.repeat(100)}`);
});

describe('GetCommandInvocation', () => {
  test('stdout up to 24,000 and stderr up to 8,000 characters, the cut text ending with "--output truncated--"', async () => {
    const [a] = ids(t.lab);
    const r = await run(t.ssm, { ids: [a!] }, `head -c 30000 /dev/zero | tr '\\0' o; head -c 9000 /dev/zero | tr '\\0' e >&2`);
    const full = await stdoutOf(t.ssm, r.command.CommandId!, a!);
    expect(full.out).toHaveLength(24_000);
    expect(full.out.endsWith('o--output truncated--')).toBe(true);
    expect(full.err).toHaveLength(8_000);
    expect(full.err.endsWith('e--output truncated--')).toBe(true);
    const g = await t.ssm.send(new GetCommandInvocationCommand({ CommandId: r.command.CommandId, InstanceId: a, PluginName: 'aws:runShellScript' }));
    expect(g).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, DocumentName: 'AWS-RunShellScript' });
    expect(g.ExecutionElapsedTime).toMatch(/^PT\d+\.\d{3}S$/);
    expect(Date.parse(g.ExecutionEndDateTime!)).toBeGreaterThanOrEqual(Date.parse(g.ExecutionStartDateTime!));
  });

  test('InvocationDoesNotExist for a host the command does not target', async () => {
    const [a, b] = ids(t.lab);
    const r = await run(t.ssm, { ids: [a!] }, 'true');
    await expect(t.ssm.send(new GetCommandInvocationCommand({ CommandId: r.command.CommandId, InstanceId: b }))).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
    await expect(t.ssm.send(new GetCommandInvocationCommand({ CommandId: r.command.CommandId, InstanceId: a, PluginName: 'aws:runPowerShellScript' }))).rejects.toMatchObject({
      name: 'InvalidPluginName',
    });
  });
});

test('eventual consistency: right after SendCommand the invocations are not there yet', async () => {
  const lab = await startLab({ ...FAST, hosts: 2, pis: 0, invocationVisibilityDelayMs: 400 });
  try {
    const { ssm } = clients(lab);
    const [a] = ids(lab);
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [a!], Parameters: { commands: ['true'] } }));
    const id = sent.Command!.CommandId!;
    await expect(ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: a }))).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
    expect((await ssm.send(new ListCommandInvocationsCommand({ CommandId: id }))).CommandInvocations).toEqual([]);
    await commandDone(ssm, id);
    const got = await waitFor(async () => {
      const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: a })).catch(() => undefined);
      return r?.Status === 'Success' ? r : undefined;
    }, 'the invocation to show');
    expect(got.StandardOutputContent).toBe('');
  } finally {
    await lab.stop();
  }
});

test('ListCommands: newest first, paged, with counts and the request echoed', async () => {
  const [a] = ids(t.lab);
  const r = await run(t.ssm, { ids: [a!] }, 'true', { Comment: 'listed', MaxConcurrency: '10%', MaxErrors: '0' });
  const first = await t.ssm.send(new ListCommandsCommand({ MaxResults: 2 }));
  expect(first.Commands?.[0]).toMatchObject({ CommandId: r.command.CommandId, Comment: 'listed', MaxConcurrency: '10%', TargetCount: 1, CompletedCount: 1, ErrorCount: 0, DeliveryTimedOutCount: 0 });
  expect(first.Commands?.[0]?.RequestedDateTime).toBeInstanceOf(Date);
  expect(first.Commands?.[0]?.ExpiresAfter).toBeInstanceOf(Date);
  expect(first.NextToken).toBeTruthy();
  const failed = await t.ssm.send(new ListCommandsCommand({ Filters: [{ key: 'Status', value: 'Failed' }] }));
  expect(failed.Commands?.every((c) => c.Status === 'Failed')).toBe(true);
  await expect(t.ssm.send(new ListCommandsCommand({ Filters: [{ key: 'Colour' as CommandFilterKey, value: 'x' }] }))).rejects.toMatchObject({ name: 'ValidationException' });
});
