// The promise: the STNS auth token (the one in force, and the one before a rotation) and secret
// `stns.http_headers` values never appear in anything AWS keeps: SendCommand's Parameters and Comment, and the
// output of every command (facts, read-back, apply, verify, the Pi identity poll) as ListCommands,
// ListCommandInvocations (Details) and GetCommandInvocation return it, nor in what SSM keeps of an invocation
// nobody read back; nor in what stns-fleet prints. For every state a host can be in: before its first apply,
// after it, after a token rotation (the old token still on the host), after a failed apply (rolled back).
//
// On the local lab: the real CLI command functions, the real SDK clients over HTTP, the real host scripts on
// directory hosts. The lab records every request and response (recordResponses) and keeps SSM's command
// history (commandHistory()); findSecret (test/helpers/secret-search.ts) looks for each secret plainly, in
// base64 at any alignment and across line breaks, and inside gzip+base64 / base64 blobs.
//
// Not searchable, and not a leak: hashes of files that carry the token (the plan's sha256), and sealed payloads.
// Parameter Store's own GetParameter answers carry the token by design (that is where it lives): they are the
// one place the search leaves out, and a test checks that is all they are.
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sdkTransport } from '../../src/cli/transport.js';
import { applyCommand } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import { planCommand } from '../../src/cli/run.js';
import { reactivateCommand } from '../../src/cli/run.js';
import { verifyCommand } from '../../src/cli/run.js';
import { type Lab, labInventoryYaml, type RecordedRequest, startLab, TOKEN_PARAMETERS } from '@stns-fleet/lab';
import { findSecret, findSecrets } from '../helpers/secret-search.js';
import { capture } from '../helpers/capture.js';

const HEADER_SECRET = `hdr-${randomBytes(18).toString('base64url')}`;
// Lab caps well above what the scripts need on a loaded machine (nothing here is meant to time out).
const LAB = { deliveryTimeoutMs: 20_000, executionTimeoutMs: 30_000 };
const STEP_TIMEOUT = 240_000;
const fastClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 300))) };

interface Operation {
  name: string;
  code?: number;
  output: string;
  /** This operation's API requests: lab.requests().slice(from, to) (operations run one at a time). */
  requests: [number, number];
  /** Its commands: lab.commandHistory().slice(from, to). */
  commands: [number, number];
  /** Files it wrote (a saved plan). */
  files: string[];
}

type Kind = 'parameters' | 'responses' | 'history' | 'output' | 'other';

/** One text to search: `group` names the kind of place (for the report), `where` the exact one. */
interface Haystack {
  group: string;
  where: string;
  text: string;
}

interface Finding {
  operation: string;
  group: string;
  where: string;
  secret: string;
  how: string;
}

/** The operations that return command output (SendCommand's answer carries the command, Parameters included). */
const READING = ['ListCommands', 'ListCommandInvocations', 'GetCommandInvocation', 'SendCommand'];


/** Every string value of a JSON document, with its path (`CommandInvocations[0].CommandPlugins[0].Output`). */
function strings(v: unknown, at = '', out: [string, string][] = []): [string, string][] {
  if (typeof v === 'string') out.push([at, v]);
  else if (Array.isArray(v)) v.forEach((x, i) => strings(x, `${at}[${i}]`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) strings(x, at ? `${at}.${k}` : k, out);
  return out;
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body === '' ? '{}' : body);
  } catch {
    return undefined;
  }
}

/** The texts to search in one JSON body: the body as sent, and each string in it decoded. */
function jsonHaystacks(label: string, body: string): [string, string][] {
  const doc = parse(body);
  return [[label, body], ...(doc === undefined ? [] : strings(doc).map(([p, s]): [string, string] => [`${label} ${p}`, s]))];
}

const isParameterRead = (r: RecordedRequest): boolean => r.service === 'ssm' && (r.operation === 'GetParameter' || r.operation === 'GetParameters');

describe('no STNS secret in anything SSM keeps: a fleet through plan, apply, rotation and a failed apply', () => {
  let lab: Lab;
  let inv: string;
  const ops: Operation[] = [];
  const secrets: Record<string, string> = {};
  let failing: Lab['hosts'][number];
  let flipped: Lab['hosts'][number];
  let unauthorizedBeforeRotation = 0;

  const run = async (name: string, f: (io: Io) => Promise<number>, files: string[] = []): Promise<number> => {
    const c = capture();
    const op: Operation = { name, output: '', requests: [lab.requests().length, -1], commands: [lab.commandHistory().length, -1], files };
    ops.push(op);
    try {
      op.code = await f(c.io);
      return op.code;
    } finally {
      op.output = c.text();
      op.requests[1] = lab.requests().length;
      op.commands[1] = lab.commandHistory().length;
    }
  };

  /** The last operation's output matches `re` (the output's end is the failure message). */
  const expectOutput = (re: RegExp): void => {
    const o = ops.at(-1)!.output;
    expect(o, `${ops.at(-1)!.name}: …${o.slice(-2500)}`).toMatch(re);
  };

  /** Every place of one kind where `op` could have left a secret. */
  function haystacks(op: Operation, kind: Kind): Haystack[] {
    const out: Haystack[] = [];
    const reqs = lab.requests().slice(...op.requests);
    const commands = lab.commandHistory().slice(...op.commands);
    const json = (group: string, label: string, body: string): void => void out.push(...jsonHaystacks(label, body).map(([where, text]) => ({ group, where, text })));
    const commentOf = (body: string): string => {
      type C = { Comment?: string };
      const d = parse(body) as (C & { Command?: C; Commands?: C[]; CommandInvocations?: C[] }) | undefined;
      return d?.Comment ?? d?.Command?.Comment ?? d?.Commands?.[0]?.Comment ?? d?.CommandInvocations?.[0]?.Comment ?? '';
    };
    if (kind === 'parameters') {
      for (const r of reqs.filter((x) => x.service === 'ssm' && x.operation === 'SendCommand')) json(`SendCommand request "${commentOf(r.body)}"`, 'SendCommand request', r.body);
      for (const c of commands) {
        const group = `SSM history: Parameters/Comment of "${c.comment}"`;
        out.push({ group, where: `command ${c.commandId}: Comment`, text: c.comment });
        for (const [k, vs] of Object.entries(c.parameters)) vs.forEach((v, i) => out.push({ group, where: `command ${c.commandId}: Parameters.${k}[${i}]`, text: v }));
      }
    }
    if (kind === 'responses') {
      const joined = new Map<string, { comment: string; text: string }>(); // instance → its GetCommandInvocation stdout, in order
      for (const r of reqs) {
        if (r.service !== 'ssm' || !READING.includes(r.operation) || !r.response) continue;
        const comment = commentOf(r.response.body) || commentOf(r.body);
        json(`${r.operation} response${comment ? ` "${comment}"` : ''}`, `${r.operation} response`, r.response.body);
        if (r.operation === 'GetCommandInvocation') {
          const d = parse(r.response.body) as { InstanceId?: string; StandardOutputContent?: string } | undefined;
          if (d?.InstanceId) {
            const j = joined.get(d.InstanceId) ?? { comment, text: '' };
            j.text += d.StandardOutputContent ?? '';
            joined.set(d.InstanceId, j);
          }
        }
      }
      // Read-back chunks cut a blob anywhere: rejoined, it is whole again.
      for (const [id, j] of joined) out.push({ group: 'GetCommandInvocation stdout, every call for a host joined', where: `on ${id}`, text: j.text });
    }
    if (kind === 'history') {
      for (const c of commands) {
        for (const i of c.invocations) {
          const group = `SSM history: output of "${c.comment}"`;
          const at = `command ${c.commandId} on ${i.instanceId} (${i.status})`;
          out.push({ group, where: `${at}: StandardOutputContent`, text: i.stdout }, { group, where: `${at}: StandardErrorContent`, text: i.stderr }, { group, where: `${at}: plugin Output`, text: i.pluginOutput });
        }
      }
    }
    if (kind === 'output') {
      out.push({ group: 'stdout/stderr', where: 'stdout/stderr', text: op.output });
      for (const f of op.files) out.push({ group: `file ${path.basename(f)}`, where: f, text: readFileSync(f, 'utf8') });
    }
    if (kind === 'other') {
      for (const r of reqs) {
        if (r.service === 'ssm' && r.operation !== 'SendCommand') json(`${r.operation} request`, `${r.operation} request`, r.body);
        if (r.service === 'ec2') out.push({ group: `ec2:${r.operation} request`, where: 'body', text: r.body });
        if (!r.response || isParameterRead(r) || (r.service === 'ssm' && READING.includes(r.operation))) continue;
        if (r.service === 'ssm') json(`${r.operation} response`, `${r.operation} response`, r.response.body);
        else out.push({ group: `ec2:${r.operation} response`, where: 'body', text: r.response.body });
      }
    }
    return out;
  }

  // Every secret in one pass over each text, and each distinct text searched once: the polls return the same
  // outputs again and again, and the search is CPU-bound (144 s for the responses alone, done one secret and one
  // copy at a time, which a machine running two suites at once stretched past vitest's timeout).
  function findings(kind: Kind): Finding[] {
    const found: Finding[] = [];
    const names = Object.keys(secrets);
    const values = names.map((n) => secrets[n]!);
    const seen = new Map<string, ReturnType<typeof findSecrets>>();
    for (const op of ops) {
      for (const h of haystacks(op, kind)) {
        let hits = seen.get(h.text);
        if (!hits) seen.set(h.text, (hits = findSecrets(h.text, values)));
        hits.forEach((hit, i) => {
          if (hit) found.push({ operation: op.name, group: h.group, where: h.where, secret: names[i]!, how: hit.description.slice(0, 240) });
        });
      }
    }
    return found;
  }

  /** One line per operation, secret and kind of place: how many places, the first one, and how it was found. */
  function report(found: Finding[]): string[] {
    const first = new Map<string, { f: Finding; n: number }>();
    for (const f of found) {
      const key = `${f.operation}\0${f.secret}\0${f.group}`;
      const e = first.get(key);
      if (e) e.n++;
      else first.set(key, { f, n: 1 });
    }
    return [...first.values()].map(({ f, n }) => `${f.operation}: ${f.secret} in ${f.group} (${n} place${n > 1 ? 's' : ''}; first ${f.where}): ${f.how}`);
  }

  beforeAll(async () => {
    lab = await startLab({ hosts: 6, pis: 2, os: ['debian-12', 'ubuntu-24.04', 'amazon-linux-2'], faults: 'fail=1', seed: 'e2e-secrets', recordResponses: true, ...LAB });
    Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '300' });
    inv = path.join(lab.workDir, 'inventory.yaml');
    writeFileSync(
      inv,
      labInventoryYaml({ stnsEndpoint: lab.stnsEndpoint, region: lab.region, rollout: { canary: 0, max_concurrency: '50%', max_errors: 5 } }).replace(
        '  auth_token: { ssm_parameter: /stns-fleet/lab/web-token }\n',
        `  auth_token: { ssm_parameter: /stns-fleet/lab/web-token }\n  http_headers: { X-Api-Key: ${JSON.stringify(HEADER_SECRET)} }\n`,
      ),
    );
    expect(readFileSync(inv, 'utf8')).toContain(HEADER_SECRET);
    secrets['the web token'] = lab.tokens.web;
    secrets['the pi token'] = lab.tokens.pi;
    secrets['the X-Api-Key header value'] = HEADER_SECRET;
    failing = lab.hosts.find((h) => h.fault === 'fail')!;
  });
  afterAll(() => lab?.stop());

  test('the scenario: every host state (before the first apply, after it, after a token rotation, after a failed apply) is planned, applied, verified and polled', async () => {
    const ec2 = lab.hosts.filter((h) => h.kind === 'ec2');
    expect(new Set(ec2.map((h) => h.os))).toEqual(new Set(['debian-12', 'ubuntu-24.04', 'amazon-linux-2']));
    expect(lab.hosts.filter((h) => h.kind === 'managed')).toHaveLength(2);
    expect(failing).toBeDefined();
    const apply = { inventory: inv, yes: true, quiet: true, canary: '0', maxErrors: '5' };

    // One host's facts longer than SSM returns (24,000 characters), so that they are read back in chunks: a big
    // sshd_config (incompressible comments), whose content comes before stns.conf's in the facts output.
    const big = ec2.find((h) => h.os === 'debian-12' && h.fault === undefined)!;
    appendFileSync(path.join(big.dir, 'etc/ssh/sshd_config'), Array.from({ length: 700 }, () => `# ${randomBytes(32).toString('hex')}\n`).join(''));

    // Before the first apply.
    expect(await run('plan (before the first apply)', (io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io))).toBe(2);
    expect(await run('apply --yes (first)', (io) => applyCommand(apply, sdkTransport, io))).toBe(1);
    expectOutput(new RegExp(`failed +${failing.id} .*sshd -t refused`));
    expectOutput(/Apply: 5 changed, 0 unchanged, 0 drifted, 1 failed/);
    // After it: five hosts converged, the failed one rolled back.
    expect(await run('plan (after the first apply)', (io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io))).toBe(2);
    expectOutput(/Plan: 1 to change, 5 unchanged/);
    expect(await run('verify (after the first apply)', (io) => verifyCommand({ inventory: inv, quiet: true }, sdkTransport, io))).toBe(1);
    expectOutput(/Verify: 5 passed, 1 failed/);
    // The Pi identity poll (no clones here: nothing to do).
    expect(await run('reactivate --dry-run (Pi identity polls)', (io) => reactivateCommand({ inventory: inv, quiet: true, dryRun: true, polls: '2', interval: '1s' }, sdkTransport, io, undefined, fastClock))).toBe(0);
    expectOutput(/No cloned managed-node IDs: 2 online node\(s\) polled/);

    // A token rotation: the hosts still hold the old tokens, which STNS now refuses.
    unauthorizedBeforeRotation = lab.stats().stns.unauthorized;
    secrets['the web token before the rotation'] = lab.tokens.web;
    secrets['the pi token before the rotation'] = lab.tokens.pi;
    secrets['the web token'] = lab.rotateToken('web');
    secrets['the pi token'] = lab.rotateToken('pi');
    expect(lab.tokens.web).toBe(secrets['the web token']);
    expect(secrets['the web token']).not.toBe(secrets['the web token before the rotation']);
    const planFile = path.join(lab.workDir, 'rotated-plan.json');
    expect(await run('plan --out (after the rotation)', (io) => planCommand({ inventory: inv, quiet: true, out: planFile }, sdkTransport, io), [planFile])).toBe(2);
    expectOutput(/Plan: 6 to change, 0 unchanged/);
    expect(await run('verify (after the rotation, before re-applying)', (io) => verifyCommand({ inventory: inv, quiet: true }, sdkTransport, io))).toBe(1);
    expect(lab.stats().stns.unauthorized).toBeGreaterThan(unauthorizedBeforeRotation);

    // A failed apply on a host that holds the old token: the new stns.conf is written, sshd -t refuses, and the
    // host is rolled back to the old token. The lab's fail fault (sshd -t refuses everything), switched on for a
    // converged host; its sshd drop-in edited by hand so that the apply has an sshd change to validate.
    flipped = ec2.find((h) => h.os === 'ubuntu-24.04' && h.fault === undefined)!;
    const env = path.join(flipped.dir, 'var/lib/stns-fleet-lab/host.env');
    writeFileSync(env, readFileSync(env, 'utf8').replace(/^LAB_FAULT=.*$/m, "LAB_FAULT='fail'"));
    appendFileSync(path.join(flipped.dir, 'etc/ssh/sshd_config.d/00-stns-fleet.conf'), '# edited by hand\n');
    const rolledBack = readFileSync(path.join(flipped.dir, 'etc/stns/client/stns.conf'), 'utf8');
    expect(rolledBack).toContain(secrets['the web token before the rotation']);
    expect(await run('apply --yes (after the rotation)', (io) => applyCommand(apply, sdkTransport, io))).toBe(1);
    expectOutput(/Apply: 4 changed, 0 unchanged, 0 drifted, 2 failed/);
    // Alone (`failed host: why`), or with the other host that failed for the same reason (`failed N host(s) …: why`
    // over the line naming them).
    expectOutput(new RegExp(`^ {2}failed +(${flipped.id} .*sshd -t refused|\\d+ host\\(s\\) .*sshd -t refused.*\\n {12}.*\\b${flipped.id}\\b)`, 'm'));
    expect(readFileSync(path.join(flipped.dir, 'etc/stns/client/stns.conf'), 'utf8')).toBe(rolledBack);
    // After the rotation applied, and after the failed apply (two hosts rolled back).
    expect(await run('plan (after the rotation applied; two failed applies rolled back)', (io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io))).toBe(2);
    expectOutput(/Plan: 2 to change, 4 unchanged/);
    expect(await run('verify (after the rotation applied)', (io) => verifyCommand({ inventory: inv, quiet: true }, sdkTransport, io))).toBe(1);
    expectOutput(/Verify: 4 passed, 2 failed/);
    // Every kind of command ran: facts, their read-back, apply, verify, the Pi identity poll.
    const kind = (comment: string): string => /^stns-fleet (apply|facts \(read back\)|facts \(read-only\)|verify|pi identity)/.exec(comment)?.[1] ?? comment;
    const kinds = new Set(lab.commandHistory().map((c) => kind(c.comment)));
    expect([...kinds].sort()).toEqual(['apply', 'facts (read back)', 'facts (read-only)', 'pi identity', 'verify']);
  }, STEP_TIMEOUT);

  test('no secret in any SendCommand Parameters or Comment', () => {
    expect(ops.length).toBeGreaterThan(0);
    expect(report(findings('parameters'))).toEqual([]);
  });

  test('no secret in any command output SSM returns (ListCommands, ListCommandInvocations with Details, GetCommandInvocation)', () => {
    expect(lab.responses().filter((r) => r.operation === 'GetCommandInvocation').length).toBeGreaterThan(0);
    expect(report(findings('responses'))).toEqual([]);
  });

  test('no secret in what SSM keeps of any invocation, read back or not', () => {
    expect(lab.commandHistory().flatMap((c) => c.invocations).length).toBeGreaterThan(0);
    expect(report(findings('history'))).toEqual([]);
  });

  test('no secret in any other AWS request or response; Parameter Store reads are the only answers that carry the token', () => {
    expect(ops.length).toBeGreaterThan(0);
    expect(report(findings('other'))).toEqual([]);
    const reads = lab.responses().filter(isParameterRead);
    expect(reads.length).toBeGreaterThan(0);
    const names = new Set(reads.flatMap((r) => strings(parse(r.body)).filter(([p]) => p === 'Name' || p.startsWith('Names')).map(([, v]) => v)));
    expect([...names].sort()).toEqual([...Object.values(TOKEN_PARAMETERS)].sort());
    for (const r of reads) expect(findSecret(r.response.body, HEADER_SECRET)).toBeUndefined();
  });

  test('no secret in what stns-fleet prints or saves (stdout, stderr, the saved plan)', () => {
    expect(ops.filter((o) => o.output.length > 0).length).toBeGreaterThan(0);
    expect(report(findings('output'))).toEqual([]);
  });
});

describe('the lab: token rotation, response recording, SSM command history', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ hosts: 1, pis: 0, os: ['debian-12'], seed: 'e2e-secrets-lab', recordResponses: true });
  });
  afterAll(() => lab?.stop());

  const stns = async (token: string): Promise<number> => (await fetch(`${lab.stnsEndpoint}/users?name=alice`, { headers: { authorization: `token ${token}` } })).status;

  test('rotateToken: a new value in the parameter, STNS takes it and refuses the old one, lab.tokens follows', async () => {
    const ssm = new SSMClient({ endpoint: lab.endpoint, region: lab.region, credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' } });
    const read = async (): Promise<string | undefined> => (await ssm.send(new GetParameterCommand({ Name: TOKEN_PARAMETERS.web, WithDecryption: true }))).Parameter?.Value;
    const old = lab.tokens.web;
    expect(await read()).toBe(old);
    expect(await stns(old)).toBe(200);
    const next = lab.rotateToken('web');
    expect(next).not.toBe(old);
    expect(next).toMatch(/^lab-web-[A-Za-z0-9]{24}$/);
    expect(lab.tokens.web).toBe(next);
    expect(await read()).toBe(next);
    expect(await stns(next)).toBe(200);
    expect(await stns(old)).toBe(401);
    expect(await stns(lab.tokens.pi)).toBe(200); // the other token is untouched
    expect(lab.rotateToken('web', 'lab-web-chosen-by-the-test-0001')).toBe('lab-web-chosen-by-the-test-0001');
    expect(await stns(next)).toBe(401);
    expect(() => lab.rotateToken('web', lab.tokens.web)).toThrow(/differ/);
    // The answers were recorded, the decrypted value among them (Parameter Store is where the token lives).
    const answers = lab.responses().filter((r) => r.operation === 'GetParameter');
    expect(answers).toHaveLength(2);
    expect(answers.map((r) => r.response.status)).toEqual([200, 200]);
    expect(answers[1]!.response.body).toContain(next);
  });

  test('responses() refuses to answer for a lab that does not record them; commandHistory() keeps what SSM keeps', async () => {
    const quiet = await startLab({ hosts: 1, pis: 0, os: ['debian-12'], seed: 'e2e-secrets-lab-2' });
    try {
      expect(() => quiet.responses()).toThrow(/recordResponses/);
      expect(quiet.commandHistory()).toEqual([]);
    } finally {
      await quiet.stop();
    }
  });
});
