// Against the lab, an inventory whose STNS endpoint is not the lab's STNS server is refused with one message
// before anything is sent (it used to fail every user on every host, one line each); the lab's own inventory
// passes; a loopback endpoint that is not the lab is not checked.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Lab, labInventoryYaml, startLab } from '@stns-fleet/lab';
import { planCommand } from '../../src/cli/run.js';
import { sdkTransport } from '../../src/cli/transport.js';
import { checkLabEndpoint } from '../../src/commands/lab-endpoint-check.js';
import { parseInventory } from '../../src/inventory/load.js';
import { capture } from '../helpers/capture.js';

describe('against the lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ hosts: 1, pis: 0, os: ['debian-12'], seed: 'lab-endpoint' });
    Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '50', STNS_FLEET_MAX_POLL_MS: '200' });
  });
  afterAll(() => lab?.stop());

  const inventory = (stnsEndpoint: string): string => {
    const file = path.join(lab.workDir, `inventory-${stnsEndpoint.replace(/\W/g, '')}.yaml`);
    writeFileSync(file, labInventoryYaml({ stnsEndpoint, region: lab.region }));
    return file;
  };

  test('the wrong STNS port: refused with the lab\'s STNS URL, before any command is sent', async () => {
    const wrong = lab.stnsEndpoint.replace(/:(\d+)/, (_m, p: string) => `:${Number(p) + 1}`);
    const before = lab.stats().commands;
    await expect(planCommand({ inventory: inventory(wrong), quiet: true }, sdkTransport, capture().io)).rejects.toMatchObject({
      kind: 'user',
      message: expect.stringMatching(new RegExp(`^the inventory's api_endpoint is not the lab's STNS server at ${lab.info().stnsUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: it names ${wrong.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
    });
    expect(lab.stats().commands).toBe(before);
  });

  test("the lab's own endpoint plans", async () => {
    const c = capture();
    expect(await planCommand({ inventory: inventory(lab.stnsEndpoint), quiet: true }, sdkTransport, c.io)).toBe(2);
  });
});

test('a loopback endpoint that is not the lab (404, refused) is not checked; a remote endpoint is never asked', async () => {
  const { inventory } = parseInventory('version: 1\naws: { region: ap-northeast-1 }\nstns:\n  api_endpoint: https://stns.example.com/v1\ngroups:\n  web:\n    os: debian-12\n    targets: [i-0123456789abcdef0]\n', 'inv.yaml');
  const server = createServer((_q, r) => r.writeHead(404).end());
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const port = (server.address() as AddressInfo).port;
    await expect(checkLabEndpoint(inventory!, ['web'], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` })).resolves.toBeUndefined();
    await expect(checkLabEndpoint(inventory!, ['web'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' })).resolves.toBeUndefined();
    let asked = false;
    const get = (): Promise<unknown> => ((asked = true), Promise.reject(new Error('no')));
    await checkLabEndpoint(inventory!, ['web'], { AWS_ENDPOINT_URL: 'https://ssm.example.com' }, get);
    await checkLabEndpoint(inventory!, ['web'], {}, get);
    expect(asked).toBe(false);
  } finally {
    server.close();
  }
});
