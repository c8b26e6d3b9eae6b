// The one retry policy, seen on the wire: a real SDK client (as makeAwsClients builds it) against a loopback
// SSM (ssm-server.ts) that counts what it receives. That is the only honest way to see the SDK's own
// retries, which aws-sdk-client-mock bypasses. Our waits go through the fake clock; the SDK has none left.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { makeAwsClients } from '../../src/aws/clients.js';
import { SsmTransport, type SsmTransportOptions } from '../../src/aws/transport.js';
import { FleetError } from '../../src/errors.js';
import { outputOf, succeeded } from '../../src/transport/result.js';
import { caught, fakeClock, ids, request } from './helpers.js';
import { startFakeSsm, type FakeSsm } from './ssm-server.js';

const servers: FakeSsm[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A loopback SSM, and a transport whose clients are makeAwsClients' pointed at it through AWS_ENDPOINT_URL. */
async function wire(env: Record<string, string> = {}, o: SsmTransportOptions = {}) {
  const ssm = await startFakeSsm();
  servers.push(ssm);
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) vi.stubEnv(k, undefined);
  const all = { AWS_ENDPOINT_URL: ssm.url, AWS_ACCESS_KEY_ID: 'lab', AWS_SECRET_ACCESS_KEY: 'lab', AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', ...env };
  for (const [k, v] of Object.entries(all)) vi.stubEnv(k, v);
  const clock = fakeClock();
  const transport = new SsmTransport(makeAwsClients({ region: 'eu-west-1' }), { sleep: clock.sleep, now: clock.now, random: () => 0.5, ...o });
  return { ssm, clock, transport };
}

/** The SDK made one attempt of its own for every request received. */
const singleSdkAttempts = (ssm: FakeSsm, op: string): boolean => ssm.to(op).every((r) => r.headers['amz-sdk-request'] === 'attempt=1; max=1');

/** ListCommands calls that search by time and document (the mark lookup and the poller's ticks alike). */
const listings = (ssm: FakeSsm): number => ssm.to('ListCommands').filter((r) => r.body.CommandId === undefined).length;

describe('one retry policy: attempts counted on the wire', () => {
  test('AWS_MAX_ATTEMPTS=3: a read answered 500 every time reaches SSM 3 times in all, each one SDK attempt', async () => {
    const { ssm, clock, transport } = await wire({ AWS_MAX_ATTEMPTS: '3' });
    ssm.always = 'error500';
    const e = await caught(transport.getParameter('/stns/token'));
    expect(e).toBeInstanceOf(FleetError);
    expect((e as FleetError).message).toMatch(/server error \(InternalServerError, HTTP 500\) through every retry/);
    expect(ssm.to('GetParameter')).toHaveLength(3);
    expect(singleSdkAttempts(ssm, 'GetParameter')).toBe(true);
    expect(clock.sleeps).toEqual([250, 500]); // our full-jitter backoff, the only one
  });

  test('by default a read whose connection is reset every time reaches SSM 8 times in all (not 8 × 6)', async () => {
    const { ssm, transport } = await wire();
    ssm.always = 'reset';
    expect(await caught(transport.getParameter('/stns/token'))).toMatchObject({ message: expect.stringMatching(/connection reset/) });
    expect(ssm.received).toHaveLength(8);
    expect(singleSdkAttempts(ssm, 'GetParameter')).toBe(true);
  });
});

describe('SendCommand is never sent twice', () => {
  test('created, then the connection reset: the command is found by its mark (listed late) and adopted', async () => {
    const { ssm, clock, transport } = await wire();
    ssm.fault('SendCommand', 'created+reset');
    ssm.listLag = 2; // missing from the first two listings after its creation
    const hosts = ids('i-', 3);
    const results = await transport.run(request(hosts));

    expect(ssm.to('SendCommand')).toHaveLength(1);
    expect(ssm.commands).toHaveLength(1);
    const [cmd] = ssm.commands;
    expect(results.map((r) => [r.instanceId, r.commandId, r.kind, outputOf(r)?.stdout])).toEqual(hosts.map((id) => [id, cmd!.CommandId, 'ran', 'ok\n']));
    // Looked for three times (1 s, then 2 s later) before it showed; the poller went on from there.
    expect(clock.sleeps.slice(0, 2)).toEqual([1000, 2000]);
    expect(listings(ssm)).toBeGreaterThanOrEqual(3);
    expect(cmd!.Comment).toMatch(/^stns-fleet apply sf:[0-9a-f]{12}$/);
  });

  test('created, then a 500: one command, and the run proceeds with it (its RequestedDateTime too)', async () => {
    const { ssm, transport } = await wire();
    ssm.fault('SendCommand', 'created+500');
    const results = await transport.run(request(ids('mi-', 2)));
    expect(ssm.to('SendCommand')).toHaveLength(1);
    expect(ssm.commands).toHaveLength(1);
    expect(results.every((r) => r.commandId === ssm.commands[0]!.CommandId && succeeded(r))).toBe(true);
    // The poller's InvokedAfter is the adopted command's own time (to the second), not our fake clock's 1970.
    const tick = ssm.to('ListCommands').at(-1)!.body.Filters as { key: string; value: string }[];
    expect(Date.parse(tick.find((f) => f.key === 'InvokedAfter')!.value)).toBe(Math.floor(ssm.commands[0]!.RequestedDateTime.getTime() / 1000) * 1000);
  });

  test('throttled: sent again by our policy (one SDK attempt each, same mark, no lookup), one command', async () => {
    const { ssm, clock, transport } = await wire();
    ssm.fault('SendCommand', 'throttle');
    const results = await transport.run(request(ids('i-', 1)));
    const sends = ssm.to('SendCommand');
    expect(sends).toHaveLength(2);
    expect(singleSdkAttempts(ssm, 'SendCommand')).toBe(true);
    expect(sends[1]!.body.Comment).toBe(sends[0]!.body.Comment);
    expect(ssm.commands).toHaveLength(1);
    expect(results[0]).toMatchObject({ kind: 'ran', exitCode: 0, commandId: ssm.commands[0]!.CommandId });
    // A throttle is unambiguous (nothing was created): no search between the sends, just our backoff.
    const second = ssm.received.indexOf(sends[1]!);
    expect(ssm.received.slice(0, second).map((r) => r.op)).toEqual(['SendCommand']);
    expect(clock.sleeps[0]).toBe(250);
  });

  test('a 500 before anything was created: looked for over 7 s, not found, sent once more: one command in all', async () => {
    const { ssm, clock, transport } = await wire();
    ssm.fault('SendCommand', 'error500');
    const results = await transport.run(request(ids('i-', 2)));
    const sends = ssm.to('SendCommand');
    expect(sends).toHaveLength(2);
    expect(ssm.commands).toHaveLength(1);
    expect(results.every((r) => succeeded(r) && r.commandId === ssm.commands[0]!.CommandId)).toBe(true);
    const between = ssm.received.slice(1, ssm.received.indexOf(sends[1]!));
    expect(between.map((r) => r.op)).toEqual(Array(4).fill('ListCommands'));
    expect(between.every((r) => JSON.stringify(r.body.Filters).includes('"DocumentName"'))).toBe(true);
    expect(clock.sleeps.slice(0, 4)).toEqual([1000, 2000, 4000, 250]); // the looks, then the backoff
  });

  test('two attempts both created a command (the first listed too late): the oldest is adopted, the other cancelled', async () => {
    const { ssm, transport } = await wire();
    ssm.fault('SendCommand', 'created+500', 'created+500');
    ssm.listLags = [4, 0]; // the first is missing from all four looks after the first failure
    const results = await transport.run(request(ids('i-', 1)));
    const [first, second] = ssm.commands;
    expect(ssm.commands).toHaveLength(2);
    expect(results[0]).toMatchObject({ commandId: first!.CommandId, kind: 'ran', exitCode: 0 });
    expect(ssm.to('CancelCommand').map((r) => r.body.CommandId)).toEqual([second!.CommandId]);
  });

  test('the lookup itself fails: the error is reported, nothing is sent again', async () => {
    const { ssm, transport } = await wire();
    ssm.fault('SendCommand', 'error500');
    ssm.fault('ListCommands', 'denied');
    const e = await caught(transport.run(request(ids('i-', 1))));
    expect(e).toBeInstanceOf(FleetError);
    const f = e as FleetError;
    expect(f.message).toMatch(/^ssm:SendCommand got no clear answer, and looking for the command it may have created failed: it was not sent again/);
    expect(f.details.join('\n')).toMatch(/AWS denied ssm:ListCommands/);
    expect(f.hint).toMatch(/sf:[0-9a-f]{12}/);
    expect(ssm.to('SendCommand')).toHaveLength(1);
    expect(ssm.to('ListCommands')).toHaveLength(1);
  });

  test('SSM failing every time: at most AWS_MAX_ATTEMPTS sends, each after a search that found nothing', async () => {
    const { ssm, transport } = await wire({ AWS_MAX_ATTEMPTS: '2' });
    ssm.fault('SendCommand', 'error500', 'error500', 'error500');
    expect(await caught(transport.run(request(ids('i-', 1))))).toMatchObject({ message: expect.stringMatching(/ssm:SendCommand with a server error/) });
    expect(ssm.to('SendCommand')).toHaveLength(2);
    expect(ssm.to('ListCommands')).toHaveLength(8);
    expect(ssm.commands).toHaveLength(0);
  });
});

describe('CreateActivation', () => {
  test('retried when throttled; never after an ambiguous failure, and the error says one may exist', async () => {
    const { ssm, transport } = await wire();
    const o = { iamRole: 'SSMServiceRole', registrationLimit: 2, expiresAt: new Date('2030-01-01T00:00:00Z') };
    ssm.fault('CreateActivation', 'throttle');
    expect(await transport.createActivation(o)).toMatchObject({ activationId: ssm.activations[0] });
    expect(ssm.to('CreateActivation')).toHaveLength(2);

    ssm.fault('CreateActivation', 'created+500');
    const e = (await caught(transport.createActivation(o))) as FleetError;
    expect(e.message).toBe('AWS failed on ssm:CreateActivation with a server error (InternalServerError, HTTP 500)');
    expect(e.details.join('\n')).toMatch(/may have been created .* not requested again .* expires at 2030-01-01T00:00:00.000Z/);
    expect(ssm.to('CreateActivation')).toHaveLength(3);
  });
});
