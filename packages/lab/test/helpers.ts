// Shared by the lab tests: start a lab per file, real SDK clients pointed at it, waiting for commands, and
// stns-fleet's host script for a stock host (through the CLI's public exports, as every lab module).
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  type Command,
  type CommandInvocation,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  desiredState,
  generateHostScript,
  identityOf,
  loadTemplates,
  planHost,
  profileById,
  stockSnapshot,
  watchFor,
  type HostSettings,
  type Io,
  type OsProfileId,
  type Templates,
} from 'stns-fleet';
import { afterAll, beforeAll } from 'vitest';
import { startLab, type Lab } from '../src/lab.js';
import type { LabOptions } from '../src/options.js';

export const CREDS = { accessKeyId: 'lab', secretAccessKey: 'lab' };

export function clients(lab: Lab, o: { maxAttempts?: number } = {}): { ssm: SSMClient; ec2: EC2Client } {
  const c = { endpoint: lab.endpoint, region: lab.region, credentials: CREDS, ...o };
  return { ssm: new SSMClient(c), ec2: new EC2Client(c) };
}

/** Fast lab timings for tests (delivery 1.5 s, execution 3 s) unless the test says otherwise. */
export const FAST: LabOptions = { deliveryTimeoutMs: 1500, executionTimeoutMs: 3000 };

/** A lab for the whole test file: `const t = useLab({...})`, then `t.lab`, `t.ssm`, `t.ec2` inside tests. */
export function useLab(o: LabOptions): { lab: Lab; ssm: SSMClient; ec2: EC2Client } {
  const t = {} as { lab: Lab; ssm: SSMClient; ec2: EC2Client };
  beforeAll(async () => {
    t.lab = await startLab({ ...FAST, ...o });
    Object.assign(t, clients(t.lab));
  });
  afterAll(async () => {
    await t.lab?.stop();
  });
  return t;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(f: () => Promise<T | undefined>, what: string, timeoutMs = 300_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const DONE = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

/** Polls ListCommands until the command ends; returns it. */
export async function commandDone(ssm: SSMClient, commandId: string, timeoutMs?: number): Promise<Command> {
  return waitFor(async () => {
    const c = (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands?.[0];
    return c && DONE.has(c.Status ?? '') ? c : undefined;
  }, `command ${commandId}`, timeoutMs);
}

/** Every invocation of a command (all pages), with Details. */
export async function invocations(ssm: SSMClient, commandId: string): Promise<CommandInvocation[]> {
  const out: CommandInvocation[] = [];
  let token: string | undefined;
  do {
    const r = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, NextToken: token }));
    out.push(...(r.CommandInvocations ?? []));
    token = r.NextToken;
  } while (token);
  return out;
}

/** Sends a shell script and waits for the command to end. */
export async function run(
  ssm: SSMClient,
  target: { ids: string[] } | { targets: SendCommandCommandInput['Targets'] },
  script: string,
  extra: Partial<SendCommandCommandInput> = {},
): Promise<{ command: Command; invocations: CommandInvocation[] }> {
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      ...('ids' in target ? { InstanceIds: target.ids } : { Targets: target.targets }),
      TimeoutSeconds: 60,
      Parameters: { commands: [script] },
      ...extra,
    }),
  );
  const command = await commandDone(ssm, sent.Command!.CommandId!);
  return { command, invocations: await invocations(ssm, command.CommandId!) };
}

/** stdout of one finished invocation (GetCommandInvocation). */
export async function stdoutOf(ssm: SSMClient, commandId: string, instanceId: string): Promise<{ out: string; err: string; code: number }> {
  const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  return { out: r.StandardOutputContent ?? '', err: r.StandardErrorContent ?? '', code: r.ResponseCode ?? -1 };
}

/** Runs one of the lab's stand-ins directly, as a command on `hostDir` would (async: the lab's servers run in
 * this process and must keep answering). */
/** Runs a stand-in as a host command would; `served`: with the lab's URL, as the lab's runner sets it, so the
 * stand-ins the lab serves are answered by it (served-standins.ts). `bin`: another stand-in directory. */
export function standin(lab: Lab, hostDir: string, argv: string[], o: { served?: boolean; bin?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const bin = o.bin ?? path.join(lab.workDir, 'bin');
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(bin, argv[0]!), argv.slice(1), {
      env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, STNS_FLEET_ROOT: hostDir, ...(o.served ? { STNS_FLEET_LAB_URL: lab.endpoint } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

export function ids(lab: Lab, f: (h: Lab['hosts'][number]) => boolean = () => true): string[] {
  return lab.hosts.filter(f).map((h) => h.id!);
}

let templates: Promise<Templates> | undefined;

/** stns-fleet's host script for a stock `os` host (its default architecture), pointed at the lab's STNS server
 * (`stnsEndpoint`) with `token`, cache-stnsd off so that lookups reach the server: what `stns-fleet render
 * --script` writes for such an inventory. */
export async function hostScript(os: OsProfileId, stnsEndpoint: string, token: string): Promise<string> {
  templates ??= loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh']);
  const t = await templates;
  const profile = profileById(os);
  const snapshot = await stockSnapshot(profile, profile.defaultArch, watchFor(profile));
  const settings: HostSettings = {
    stns: {
      apiEndpoint: stnsEndpoint,
      authToken: { kind: 'env', name: 'STNS_AUTH_TOKEN' },
      options: { request_timeout: 3, request_retry: 1 },
      cached: { enable: false },
      packageRepository: 'https://repo.stns.jp',
    },
    mkhomedir: { enable: true, umask: '0022' },
    sshd: { keysCommandUser: 'root' },
  };
  const desired = desiredState({ profile, identity: identityOf(snapshot, profile.defaultArch), snapshot, settings, templates: t });
  const secrets = { auth_token: token };
  return generateHostScript(planHost(desired, snapshot, secrets), t, secrets);
}

/** An Io that keeps what a command printed (stdout and stderr interleaved, as a person sees them). */
export function capture(): { io: Io; text: () => string } {
  const parts: string[] = [];
  return { io: { out: (t) => void parts.push(t), err: (t) => void parts.push(t) }, text: () => parts.join('') };
}
