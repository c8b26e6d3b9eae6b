import { createServer } from 'node:net';
import { DescribeInstancesCommand, EC2ServiceException } from '@aws-sdk/client-ec2';
import {
  AccessDeniedException,
  DescribeInstanceInformationCommand,
  InvalidInstanceId,
  SSMClient,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { makeAwsClients } from '../../src/aws/clients.js';
import { SsmTransport } from '../../src/aws/transport.js';
import { FleetError } from '../../src/errors.js';
import type { RunRequest } from '../../src/transport/types.js';
import { FakeRunCommand } from './fake-run-command.js';
import { caught, ids, setup } from './helpers.js';

const req = (instanceIds: string[]): RunRequest => ({
  script: 'true',
  instanceIds,
  comment: 'stns-fleet test',
  deliveryTimeoutSeconds: 60,
  executionTimeoutSeconds: 60,
});

/** The error as the CLI prints it: a FleetError with one line, no stack frame. */
function expectSentence(e: unknown): FleetError {
  expect(e).toBeInstanceOf(FleetError);
  const f = e as FleetError;
  expect(f.kind).toBe('aws');
  expect(f.message).not.toContain('\n');
  expect(f.message).not.toMatch(/\bat .*:\d+:\d+/);
  return f;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The SDK's own credential/region/endpoint resolution, isolated from this machine's AWS setup. */
function isolateAwsEnv(vars: Record<string, string>): void {
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) vi.stubEnv(k, undefined);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/credentials');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/config');
  for (const [k, v] of Object.entries(vars)) vi.stubEnv(k, v);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('AWS errors become one FleetError sentence', () => {
  test('AccessDeniedException on SendCommand names the API and the missing IAM permission', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => ({ steps: [] }));
    fake.fail(
      'SendCommand',
      new AccessDeniedException({
        message: 'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: ssm:SendCommand on resource: arn:aws:ssm:eu-west-1::document/AWS-RunShellScript',
        Message: '',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const f = expectSentence(await caught(transport.run(req(ids('i-', 3)))));
    expect(f.message).toContain('ssm:SendCommand');
    expect(f.message).toMatch(/IAM permission "ssm:SendCommand"/);
    expect(f.hint).toContain('ssm:SendCommand');
    expect(fake.callsTo('SendCommand')).toHaveLength(1); // not retried
  });

  test('the permission AWS names wins (GetParameter of a SecureString needs kms:Decrypt)', async () => {
    const { ssmMock, transport } = setup();
    ssmMock.rejects(
      new AccessDeniedException({
        message: 'User: arn:aws:sts::1:assumed-role/ops/x is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:1:key/k',
        Message: '',
        $metadata: {},
      }),
    );
    const f = expectSentence(await caught(transport.getParameter('/stns/token')));
    expect(f.message).toContain('ssm:GetParameter');
    expect(f.message).toContain('"kms:Decrypt"');
  });

  test('EC2 UnauthorizedOperation names ec2:DescribeInstances', async () => {
    const { ec2Mock, ssmMock, transport } = setup();
    ssmMock.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });
    ec2Mock
      .on(DescribeInstancesCommand)
      .rejects(new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', message: 'You are not authorized to perform this operation.', $metadata: {} }));
    const f = expectSentence(await caught(transport.discover({ ids: ids('i-', 1), tagSelectors: [] })));
    expect(f.message).toMatch(/AWS denied ec2:DescribeInstances: .*IAM permission "ec2:DescribeInstances"/);
  });

  test('a failed SendCommand cancels the commands already sent before the error is reported', async () => {
    const { ssmMock, clock, transport } = setup({ concurrency: 1 });
    const fake = new FakeRunCommand(ssmMock, clock, () => ({ steps: [] }));
    fake.fail('SendCommand', undefined, new InvalidInstanceId({ message: 'Instances [[i-00000000000000032]] not in a valid state', $metadata: {} }));
    const f = expectSentence(await caught(transport.run(req(ids('i-', 120)))));
    expect(f.message).toMatch(/SSM refused an instance ID in ssm:SendCommand/);
    expect(fake.callsTo('SendCommand')).toHaveLength(2); // the third chunk is not sent
    expect(fake.callsTo('CancelCommand').map((c) => c.input.CommandId)).toEqual([fake.commands[0]!.id]);
  });

  test('ThrottlingException after every retry says so, once all attempts are spent', async () => {
    const { ssmMock, transport } = setup({ retryAttempts: 3 });
    ssmMock.on(DescribeInstanceInformationCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: {} }));
    const f = expectSentence(await caught(transport.discover({ ids: ids('mi-', 1), tagSelectors: [] })));
    expect(f.message).toMatch(/kept throttling ssm:DescribeInstanceInformation .*Rate exceeded/);
    expect(ssmMock.commandCalls(DescribeInstanceInformationCommand)).toHaveLength(3);
  });

  test('ValidationException quotes AWS\'s message', async () => {
    const { ssmMock, clock, transport } = setup();
    const fake = new FakeRunCommand(ssmMock, clock, () => ({ steps: [] }));
    const said = "1 validation error detected: Value 'x' at 'timeoutSeconds' failed to satisfy constraint";
    fake.fail('SendCommand', new ValidationException({ message: said, $metadata: {} }));
    const f = expectSentence(await caught(transport.run(req(ids('i-', 1)))));
    expect(f.message).toBe(`AWS rejected the ssm:SendCommand request: "${said}"`);
  });
});

describe('through the real SDK (no mock)', () => {
  test('ECONNREFUSED names the endpoint from AWS_ENDPOINT_URL and asks whether the lab is running', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    isolateAwsEnv({ AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'lab', AWS_SECRET_ACCESS_KEY: 'lab' });
    const transport = new SsmTransport(makeAwsClients({ region: 'eu-west-1', maxAttempts: 1 }), { retryAttempts: 1 });
    const f = expectSentence(await caught(transport.run(req(ids('i-', 1)))));
    expect(f.message).toBe(`cannot reach ${url} for ssm:SendCommand (connection refused)`);
    expect(f.hint).toMatch(/AWS_ENDPOINT_URL .*lab/);
  });

  test('without an override, the address Node tried is named', async () => {
    const port = await closedPort();
    isolateAwsEnv({ AWS_ACCESS_KEY_ID: 'lab', AWS_SECRET_ACCESS_KEY: 'lab' });
    const ssm = new SSMClient({ region: 'eu-west-1', endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    const { ec2 } = makeAwsClients({ region: 'eu-west-1' });
    const f = expectSentence(await caught(new SsmTransport({ ssm, ec2 }).getParameter('/x')));
    expect(f.message).toBe(`cannot reach 127.0.0.1:${port} for ssm:GetParameter (connection refused)`);
  });

  test('no credentials anywhere → says how to provide them', async () => {
    isolateAwsEnv({ AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}` });
    const transport = new SsmTransport(makeAwsClients({ region: 'eu-west-1', maxAttempts: 1 }), { retryAttempts: 1 });
    const f = expectSentence(await caught(transport.discover({ ids: ids('mi-', 1), tagSelectors: [] })));
    expect(f.message).toMatch(/^no AWS credentials for ssm:DescribeInstanceInformation: set AWS_PROFILE or --profile/);
  });

  test('no region → says where to set it', async () => {
    isolateAwsEnv({ AWS_ACCESS_KEY_ID: 'lab', AWS_SECRET_ACCESS_KEY: 'lab' });
    const ssm = new SSMClient({ maxAttempts: 1 });
    const { ec2 } = makeAwsClients({ region: 'eu-west-1' });
    const f = expectSentence(await caught(new SsmTransport({ ssm, ec2 }).getParameter('/x')));
    expect(f.message).toMatch(/^no AWS region for ssm:GetParameter: set aws\.region in the inventory, pass --region/);
  });
});
