import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { makeAwsClients } from '../../src/aws/clients.js';
import { SsmTransport } from '../../src/aws/transport.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('makeAwsClients', () => {
  test('the SDK makes one attempt per call (standard mode: no client-side rate limiter); 8 of ours by default; region and profile', async () => {
    vi.stubEnv('AWS_MAX_ATTEMPTS', undefined);
    const clients = makeAwsClients({ region: 'ap-northeast-1', profile: 'fleet-admin' });
    expect(clients.maxAttempts).toBe(8);
    for (const c of [clients.ssm.config, clients.ec2.config]) {
      expect(await c.region()).toBe('ap-northeast-1');
      expect(await c.maxAttempts()).toBe(1);
      expect(c.retryMode).toBe('standard');
      expect(c.profile).toBe('fleet-admin');
    }
  });

  test('AWS_MAX_ATTEMPTS sets our attempts (never the SDK\'s); an explicit maxAttempts wins; no profile means the default chain', async () => {
    vi.stubEnv('AWS_MAX_ATTEMPTS', '5'); // the SDK reads it from the environment when not told: it is told 1
    const fromEnv = makeAwsClients({ region: 'eu-west-1' }, { AWS_MAX_ATTEMPTS: '3' });
    expect(fromEnv.maxAttempts).toBe(3);
    expect(await fromEnv.ssm.config.maxAttempts()).toBe(1);
    expect(fromEnv.ssm.config.profile).toBeUndefined();
    expect(makeAwsClients({ region: 'eu-west-1' }, { AWS_MAX_ATTEMPTS: 'lots' }).maxAttempts).toBe(8);
    expect(makeAwsClients({ region: 'eu-west-1' }, { AWS_MAX_ATTEMPTS: '0' }).maxAttempts).toBe(8);
    const explicit = makeAwsClients({ region: 'eu-west-1', maxAttempts: 2 }, { AWS_MAX_ATTEMPTS: '3' });
    expect(explicit.maxAttempts).toBe(2);
    expect(await explicit.ec2.config.maxAttempts()).toBe(1);
  });
});

/** A loopback stand-in for the lab: answers DescribeInstances (EC2 query/XML) and DescribeInstanceInformation (JSON 1.1). */
async function miniLab(): Promise<{ url: string; seen: { path: string; action: string; auth: string }[]; server: Server }> {
  const seen: { path: string; action: string; auth: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      const action = typeof target === 'string' ? target : (new URLSearchParams(body).get('Action') ?? '?');
      seen.push({ path: req.url ?? '', action, auth: req.headers.authorization ?? '' });
      if (target === 'AmazonSSM.DescribeInstanceInformation') {
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        res.end(JSON.stringify({ InstanceInformationList: [{ InstanceId: 'i-0123456789abcdef0', PingStatus: 'Online', AgentVersion: '3.3.987.0' }] }));
      } else {
        res.setHeader('content-type', 'text/xml');
        res.end(
          '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet><item>' +
            '<reservationId>r-1</reservationId><instancesSet><item><instanceId>i-0123456789abcdef0</instanceId>' +
            '<instanceState><code>16</code><name>running</name></instanceState>' +
            '<tagSet><item><key>Name</key><value>lab-web</value></item></tagSet></item></instancesSet></item></reservationSet></DescribeInstancesResponse>',
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen, server };
}

describe('endpoint overrides (the local lab), through the real SDK with dummy credentials', () => {
  test.each([
    ['AWS_ENDPOINT_URL', (url: string) => ({ AWS_ENDPOINT_URL: url })],
    ['AWS_ENDPOINT_URL_SSM and AWS_ENDPOINT_URL_EC2', (url: string) => ({ AWS_ENDPOINT_URL_SSM: `${url}/ssm`, AWS_ENDPOINT_URL_EC2: `${url}/ec2` })],
  ])('%s', async (_, env) => {
    const lab = await miniLab();
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) vi.stubEnv(k, undefined);
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'lab');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'lab');
      vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/config');
      for (const [k, v] of Object.entries(env(lab.url))) vi.stubEnv(k, v);

      const d = await new SsmTransport(makeAwsClients({ region: 'eu-west-1' })).discover({ ids: ['i-0123456789abcdef0'], tagSelectors: [] });
      expect(d.hosts).toEqual([
        expect.objectContaining({ id: 'i-0123456789abcdef0', name: 'lab-web', ec2State: 'running', ssm: { pingStatus: 'Online', agentVersion: '3.3.987.0' } }),
      ]);
      expect(lab.seen.map((s) => s.action).sort()).toEqual(['AmazonSSM.DescribeInstanceInformation', 'DescribeInstances']);
      expect(lab.seen.every((s) => s.auth.includes('Credential=lab/'))).toBe(true);
      if ('AWS_ENDPOINT_URL_SSM' in env(lab.url)) {
        expect(lab.seen.find((s) => s.action === 'DescribeInstances')!.path).toMatch(/^\/ec2/);
        expect(lab.seen.find((s) => s.action !== 'DescribeInstances')!.path).toMatch(/^\/ssm/);
      }
    } finally {
      lab.server.close();
    }
  });
});
