// The front of plan/apply/verify waits on the API once, not once per step: the groups' token parameters are
// read together, and while they are read the hosts are already being discovered (issue #15: at 25 ms a call
// the parameters one after another, then discovery, cost the 50-host plan ~70 ms of its 1.8 s). A parameter
// that cannot be read still fails the command, with its own message, and no facts are gathered without it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { planCommand } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import type { HostSelection, Discovery } from '../../src/transport/types.js';
import { FakeTransport } from '../helpers/fake-transport.js';

let dir: string;
let file: string;
const savedEnv = { ...process.env };
beforeEach(() => {
  // Hermetic: an AWS_ENDPOINT_URL on loopback (a lab running beside the tests) would be asked for /_lab/info.
  delete process.env['AWS_ENDPOINT_URL'];
  delete process.env['AWS_ENDPOINT_URL_SSM'];
  dir = mkdtempSync(path.join(tmpdir(), 'sf-overlap-'));
  file = path.join(dir, 'inv.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'aws: { region: eu-west-1 }',
      'stns:',
      '  api_endpoint: https://stns.example.com/v1',
      'groups:',
      '  web:',
      '    targets: [i-0000000000000000a]',
      '    stns: { auth_token: { ssm_parameter: /t/web } }',
      '  batch:',
      '    targets: [i-0000000000000000b]',
      '    stns: { auth_token: { ssm_parameter: /t/batch } }',
      '',
    ].join('\n'),
  );
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

/** Parameters answer only when the test says so; what was asked, and when discovery began, is recorded. */
class GatedTransport extends FakeTransport {
  readonly events: string[] = [];
  private readonly gates: (() => void)[] = [];
  constructor(private readonly fail?: string) {
    super();
  }
  override getParameter(name: string): Promise<string> {
    this.events.push(`get ${name}`);
    return new Promise((resolve, reject) => this.gates.push(() => (name === this.fail ? reject(new Error(`ParameterNotFound: ${name}`)) : resolve(`token-of-${name}`))));
  }
  override discover(sel: HostSelection): Promise<Discovery> {
    this.events.push('discover');
    return super.discover(sel);
  }
  /** Lets every parameter asked so far answer. */
  open(): void {
    this.events.push('open');
    for (const g of this.gates.splice(0)) g();
  }
}

const silent: Io = { out: () => undefined, err: () => undefined };
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Until the first parameter is asked (the inventory read from disk first), then a few more turns of the loop:
 * what is started without waiting on the API has started by then (no I/O lies between). */
async function settled(tr: GatedTransport): Promise<void> {
  while (!tr.events.includes('get /t/web')) await turn();
  for (let i = 0; i < 50; i++) await turn();
}

test('both groups\' parameters are asked before either answers, and discovery starts meanwhile', async () => {
  const tr = new GatedTransport();
  const done = planCommand({ inventory: file, quiet: true }, () => tr, silent);
  await settled(tr);
  // Nothing has answered yet: everything the front can do without the tokens has begun.
  expect(tr.events).toEqual(expect.arrayContaining(['get /t/web', 'get /t/batch', 'discover']));
  expect(tr.requests).toHaveLength(0); // no facts before the tokens are known
  tr.open();
  await done;
  expect(tr.requests).toHaveLength(1); // the facts, once the tokens were known
  expect(tr.events.indexOf('open')).toBeGreaterThan(tr.events.lastIndexOf('discover'));
});

test('a parameter that cannot be read still fails the command before any facts are gathered', async () => {
  const tr = new GatedTransport('/t/batch');
  const done = planCommand({ inventory: file, quiet: true }, () => tr, silent);
  const outcome = done.then(() => 'finished', (e: Error) => e.message); // heard from the start: it fails while the loop turns
  await settled(tr);
  tr.open();
  for (let i = 0; i < 50; i++) tr.open(), await turn(); // the second group's, on today's code, comes after the first's
  expect(await outcome).toMatch(/ParameterNotFound: \/t\/batch/);
  expect(tr.requests).toHaveLength(0);
});

// Against the lab, the check that the inventory names the lab's STNS server (GET /_lab/info) is one more round
// trip: it goes with the discovery, not before it (both only read), and a mismatch still stops the command
// before any facts are sent, with its own message.
describe('the lab endpoint check', () => {
  let server: Server;
  let answer: (() => void)[] = [];
  beforeEach(async () => {
    answer = [];
    server = createServer((req, res) => {
      if (req.url !== '/_lab/info') return void res.writeHead(404).end();
      answer.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stnsUrl: 'http://127.0.0.1:4567/v1' })));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    process.env['AWS_ENDPOINT_URL'] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => void server.close());

  test('discovery starts while the lab is asked; the mismatch it answers still fails the command before any facts', async () => {
    const tr = new GatedTransport();
    const done = planCommand({ inventory: file, quiet: true }, () => tr, silent);
    const outcome = done.then(() => 'finished', (e: Error) => e.message);
    while (answer.length === 0) await turn(); // the lab has been asked, and not answered
    await settled(tr);
    expect(tr.events).toContain('discover');
    tr.open();
    for (let i = 0; i < 50; i++) await turn();
    expect(tr.requests).toHaveLength(0); // discovery and the tokens are done: the check still holds the facts back
    for (const a of answer) a();
    expect(await outcome).toMatch(/^the inventory's api_endpoint is not the lab's STNS server at http:\/\/127\.0\.0\.1:4567\/v1/);
    expect(tr.requests).toHaveLength(0);
  });
});
