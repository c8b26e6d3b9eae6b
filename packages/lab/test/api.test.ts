// The lab as a service: Parameter Store (SecureString tokens), operations it does not implement, what it
// records (no secret reaches AWS in a request unless a client sends it), its own /_lab endpoints, the CLI's
// arguments and banner, and regions taken from the client's signature.
import {
  CreateActivationCommand,
  DeleteParameterCommand,
  DescribeDocumentCommand,
  GetParameterCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { banner, optionsFromArgs } from '../src/cli.js';
import { TOKEN_PARAMETERS } from '../src/lab.js';
import { resolveOptions } from '../src/options.js';
import { CREDS, run, useLab } from './helpers.js';

const t = useLab({ hosts: 4, pis: 1, seed: 'api', tokens: { pi: 'pi-token-from-the-test' } });

describe('Parameter Store', () => {
  test('the lab seeds both STNS tokens as SecureString: ciphertext without WithDecryption, the token with it', async () => {
    const enc = await t.ssm.send(new GetParameterCommand({ Name: TOKEN_PARAMETERS.web }));
    expect(enc.Parameter).toMatchObject({ Name: '/stns-fleet/lab/web-token', Type: 'SecureString', Version: 1, DataType: 'text' });
    expect(enc.Parameter?.Value).not.toContain(t.lab.tokens.web);
    expect(enc.Parameter?.ARN).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/stns-fleet/lab/web-token');
    expect(enc.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    const dec = await t.ssm.send(new GetParameterCommand({ Name: TOKEN_PARAMETERS.pi, WithDecryption: true }));
    expect(dec.Parameter?.Value).toBe('pi-token-from-the-test');
    const both = await t.ssm.send(new GetParametersCommand({ Names: [TOKEN_PARAMETERS.web, '/nope'], WithDecryption: true }));
    expect(both.Parameters?.map((p) => p.Value)).toEqual([t.lab.tokens.web]);
    expect(both.InvalidParameters).toEqual(['/nope']);
  });

  test('PutParameter / DeleteParameter, overwrite rules, ParameterNotFound', async () => {
    expect(await t.ssm.send(new PutParameterCommand({ Name: '/x/y', Value: 'v1', Type: 'String' }))).toMatchObject({ Version: 1, Tier: 'Standard' });
    await expect(t.ssm.send(new PutParameterCommand({ Name: '/x/y', Value: 'v2', Type: 'String' }))).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
    expect((await t.ssm.send(new PutParameterCommand({ Name: '/x/y', Value: 'v2', Overwrite: true }))).Version).toBe(2);
    expect((await t.ssm.send(new GetParameterCommand({ Name: '/x/y' }))).Parameter?.Value).toBe('v2');
    await t.ssm.send(new DeleteParameterCommand({ Name: '/x/y' }));
    await expect(t.ssm.send(new GetParameterCommand({ Name: '/x/y' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    await expect(t.ssm.send(new DeleteParameterCommand({ Name: '/x/y' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  });
});

test('an SSM operation the lab does not implement is UnsupportedOperation naming it, never a silent success', async () => {
  await expect(t.ssm.send(new DescribeDocumentCommand({ Name: 'AWS-RunShellScript' }))).rejects.toMatchObject({
    name: 'UnsupportedOperation',
    message: 'stns-fleet lab: AmazonSSM.DescribeDocument is not implemented',
    $metadata: { httpStatusCode: 400 },
  });
  const raw = await fetch(t.lab.endpoint, { method: 'POST', headers: { 'x-amz-target': 'AmazonSSM.toString', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
  expect(raw.status).toBe(400);
  expect(await raw.json()).toMatchObject({ __type: 'UnsupportedOperation' });
  const bad = await fetch(t.lab.endpoint, { method: 'POST', headers: { 'x-amz-target': 'AmazonSSM.GetParameter' }, body: '{"Name": 7}' });
  expect(await bad.json()).toMatchObject({ __type: 'SerializationException' });
});

test('requests() holds every AWS request body verbatim, so a test can prove a token never went out', async () => {
  const before = t.lab.requests().length;
  await t.ssm.send(new GetParameterCommand({ Name: TOKEN_PARAMETERS.pi, WithDecryption: true }));
  const [pi] = t.lab.hosts.filter((h) => h.kind === 'managed');
  await run(t.ssm, { ids: [pi!.id!] }, 'echo no secrets here');
  const sent = t.lab.requests().slice(before);
  expect(sent.map((r) => `${r.service}:${r.operation}`)).toEqual(expect.arrayContaining(['ssm:GetParameter', 'ssm:SendCommand', 'ssm:ListCommands']));
  expect(sent.find((r) => r.operation === 'SendCommand')?.body).toContain('echo no secrets here');
  expect(t.lab.requests().some((r) => r.body.includes('pi-token-from-the-test'))).toBe(false);
});

test('/_lab/stats and /_lab/hosts', async () => {
  const stats = (await (await fetch(`${t.lab.endpoint}/_lab/stats`)).json()) as { calls: Record<string, number>; hostCommands: number; hostSeconds: number };
  expect(stats.calls['GetParameter']).toBeGreaterThan(0);
  expect(stats.hostCommands).toBeGreaterThan(0);
  expect(stats.hostSeconds).toBeGreaterThan(0);
  const hosts = (await (await fetch(`${t.lab.endpoint}/_lab/hosts`)).json()) as { key: string; id: string; kind: string; pingStatus: string; tags: Record<string, string> }[];
  expect(hosts.map((h) => [h.key, h.kind, h.pingStatus])).toEqual([
    ['lab-001', 'ec2', 'Online'],
    ['lab-002', 'ec2', 'Online'],
    ['lab-003', 'ec2', 'Online'],
    ['lab-004', 'managed', 'Online'],
  ]);
  expect(hosts[2]!.tags).toEqual({ Env: 'lab', Role: 'db', Name: 'lab-003' });
  expect((await fetch(`${t.lab.endpoint}/_lab/nothing`)).status).toBe(404);
});

test('an activation belongs to the region the client signed for; the agent must register in that region', async () => {
  const tokyo = new SSMClient({ endpoint: t.lab.endpoint, region: 'ap-northeast-1', credentials: CREDS });
  const a = await tokyo.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  const [pi] = t.lab.hosts.filter((h) => h.kind === 'managed');
  const r = await run(tokyo, { ids: [pi!.id!] }, `echo "$AWS_SSM_REGION_NAME"; amazon-ssm-agent -register -code ${a.ActivationCode} -id ${a.ActivationId} -region ap-northeast-1 -y`);
  expect(r.invocations[0]?.CommandPlugins?.[0]?.Output).toMatch(/^ap-northeast-1\nSuccessfully registered the instance with AWS SSM using Managed instance-id: mi-[0-9a-f]{17}\n$/);
});

describe('CLI', () => {
  test('arguments become options; STNS on 4567 (the shipped inventory\'s) whatever the API port, unless --stns-port', () => {
    expect(optionsFromArgs(['--port', '4710', '--hosts', '50', '--os', 'debian-12,ubuntu-24.04', '--faults', 'offline=2', '--seed', '7', '--latency-ms', '20'])).toEqual({
      port: 4710,
      stnsPort: 4567,
      stnsPortFallback: true,
      hosts: 50,
      os: ['debian-12', 'ubuntu-24.04'],
      faults: 'offline=2',
      seed: '7',
      latencyMs: 20,
    });
    expect(optionsFromArgs(['--port', '0'])).toMatchObject({ port: 0, stnsPort: 4567, stnsPortFallback: true });
    expect(optionsFromArgs(['--port', '4710', '--stns-port', '4711'])).toEqual({ port: 4710, stnsPort: 4711 }); // as given: no fallback
    expect(optionsFromArgs(['--write-inventory', 'lab.yaml'])).toMatchObject({ writeInventory: 'lab.yaml' });
    expect(optionsFromArgs(['--clone-answers', 'last-started'])).toMatchObject({ cloneAnswers: 'last-started' });
    expect(() => resolveOptions({ pis: 1, cloneAnswers: 'random' as never })).toThrow(/cloneAnswers must be one of in-turn, last-started/);
    expect(() => optionsFromArgs(['--hosts', 'many'])).toThrow(/--hosts takes a whole number/);
    expect(() => optionsFromArgs(['--bogus'])).toThrow();
  });

  test('the banner prints the endpoint and export lines a shell can source', () => {
    const b = banner(t.lab);
    expect(b).toContain(`export AWS_ENDPOINT_URL=${t.lab.endpoint}\n`);
    expect(b).toContain('export AWS_ACCESS_KEY_ID=lab\n');
    expect(b).toContain(`export STNS_LAB_WEB_TOKEN=${t.lab.tokens.web}\n`);
    expect(b).toContain('export STNS_LAB_PI_TOKEN=pi-token-from-the-test\n');
    expect(b).toContain(`export STNS_LAB_ENDPOINT=${t.lab.stnsEndpoint}\n`);
  });
});
