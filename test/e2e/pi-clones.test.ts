// The Raspberry Pi acceptance scenario, end to end on the local lab: the real CLI command functions, the real AWS
// SDK clients over HTTP (sdkTransport), the real Pi host scripts (identity, sealed re-register worker detached
// with setsid) on the boards' directory trees, the amazon-ssm-agent stand-in registering through the lab.
//
// One SD card copied to four boards: a lab with two Pis plus clones=3, so the first Pi's mi- ID is held by four
// boards which take turns answering it (src/lab/fleet.ts). `reactivate --yes` (no --id) must find it from the
// polls alone, give every board its own ID and its Name from pi.names, deregister the old ID and leave no
// activation; the activation code never shows in any output, request or board file. Then the main job works on
// every node (plan 2 → apply 0 → verify 0 → plan 0), `tag` names the untouched Pi, `hosts` shows the names, and
// a second reactivate changes nothing. A second lab (pi-clones-offline.test.ts, a file of its own so vitest runs
// the two labs side by side): a clone switched off during the run is reported, its old ID kept, and the next run
// (board back on) moves it and retires the ID.
//
// Timings: see LAB_TIMING for the lab's caps; reactivate gets --polls 3 --interval 1s --wait 60s and a clock whose
// sleeps are capped at 400 ms (its waits between looks for a moved board's new ID are 10 s otherwise; the clock's
// `now` is real, so --wait is real time, an outer limit only). The boards' worker is told to wait 1 s before
// stopping the agent (workerDelaySeconds; 5 s by default), so a board moves in about 2 s.
import { DescribeActivationsCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sdkTransport } from '../../src/cli/transport.js';
import { applyCommand, hostsCommand, planCommand, reactivateCommand, tagCommand, verifyCommand } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import { startLab, type Lab } from '@stns-fleet/lab';
import { PREVIOUS_ID_TAG, REACTIVATED_TAG } from '../../src/pi/reactivate.js';
import { capture } from '../helpers/capture.js';
import { LAB_TIMING, REACTIVATE, fastClock, recordingTransport, serialOf, writeInventory, ssmOf, managedNodes, tagsOf, expectCodeNowhere, setLabEnv } from './pi-clones-fixture.js';

describe('cloned SD cards: two Pis, one of them copied to three more boards, and four EC2 hosts', () => {
  const PIS = ['lab-005', 'lab-006', 'lab-007', 'lab-008', 'lab-009'];
  const NAMES = ['pi-kitchen', 'pi-garage', 'pi-attic', 'pi-shed', 'pi-porch'];
  const CLONED = ['lab-005', 'lab-007', 'lab-008', 'lab-009'];
  let lab: Lab;
  let ssm: SSMClient;
  let inv: string;
  let cloned: string;
  const nameOf = new Map<string, string>(); // lab key → Name
  const codes: string[] = [];
  const outputs: string[] = [];
  const run = async (f: (io: Io) => Promise<number>): Promise<{ code: number; text: string }> => {
    const c = capture({ stampErr: true });
    const code = await f(c.io);
    outputs.push(c.text());
    return { code, text: c.text() };
  };

  beforeAll(async () => {
    lab = await startLab({ hosts: 6, pis: 2, faults: 'clones=3', os: ['debian-12', 'ubuntu-22.04'], seed: 'e2e-pi-clones', ...LAB_TIMING });
    setLabEnv(lab);
    ssm = ssmOf(lab);
    const names: Record<string, string> = {};
    PIS.forEach((key, i) => {
      names[serialOf(lab, key)] = NAMES[i]!;
      nameOf.set(key, NAMES[i]!);
    });
    inv = writeInventory(lab, names, true);
  });
  afterAll(() => lab?.stop());

  test('the lab: four boards hold the first Pi ID and take turns answering it', () => {
    expect(lab.hosts.map((h) => [h.key, h.kind, h.cloneOf])).toEqual([
      ['lab-001', 'ec2', undefined],
      ['lab-002', 'ec2', undefined],
      ['lab-003', 'ec2', undefined],
      ['lab-004', 'ec2', undefined],
      ['lab-005', 'managed', undefined],
      ['lab-006', 'managed', undefined],
      ['lab-007', 'managed', 'lab-005'],
      ['lab-008', 'managed', 'lab-005'],
      ['lab-009', 'managed', 'lab-005'],
    ]);
    cloned = lab.host('lab-005')!.id!;
    expect(lab.hosts.filter((h) => h.id === cloned).map((h) => h.key)).toEqual(CLONED);
    expect(new Set(PIS.map((k) => serialOf(lab, k))).size).toBe(5);
  });

  test('reactivate --yes (no --id): one online node per board, distinct IDs, Names from pi.names, the old ID deregistered, no activation left, exit 0', async () => {
    const before = lab.stats().calls;
    const activationsBefore = (await ssm.send(new DescribeActivationsCommand({}))).ActivationList ?? [];
    const other = lab.host('lab-006')!.id!;
    const started = Date.now();
    const r = await run((io) => reactivateCommand({ inventory: inv, ...REACTIVATE }, recordingTransport(codes), io, undefined, fastClock));
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(new RegExp(`${cloned}  group pi: \\d+ different boards answered its polls`));
    expect(r.text).toMatch(/Summary: 4 moved, 0 failed, 0 pending, 0 not seen; 1 old ID\(s\) deregistered, 0 kept\./);
    expect(r.text).toMatch(/Activations: 1 created \([0-9a-f-]{36}: 6 registrations\), 1 deleted\./);
    expect(r.text).not.toContain(other);
    expect(codes).toHaveLength(1);

    const ids = PIS.map((k) => lab.host(k)!.id!);
    expect(new Set(ids).size).toBe(5);
    expect(ids).not.toContain(cloned);
    expect(lab.host('lab-006')!.id).toBe(other); // the Pi that was never cloned keeps its ID
    for (const key of PIS) expect(lab.host(key)).toMatchObject({ pingStatus: 'Online', answers: true, state: 'agent-running' });
    const nodes = await managedNodes(ssm);
    expect(nodes.map((n) => n.InstanceId).sort()).toEqual([...ids].sort());
    expect(nodes.every((n) => n.PingStatus === 'Online')).toBe(true);
    for (const n of nodes) expect(n.IPAddress).toBe(lab.host(n.InstanceId!)!.ip); // one board per ID: SSM hears that board
    await expect(ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [cloned], Parameters: { commands: ['true'] } }))).rejects.toMatchObject({
      name: 'InvalidInstanceId',
    });

    for (const key of CLONED) {
      const tags = await tagsOf(ssm, lab.host(key)!.id!);
      expect(tags).toMatchObject({ Name: nameOf.get(key), Env: 'lab', Role: 'pi', [PREVIOUS_ID_TAG]: cloned });
      expect(tags[REACTIVATED_TAG]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(r.text).toMatch(new RegExp(`${cloned} +${lab.host(key)!.id} +${serialOf(lab, key)} +${nameOf.get(key)} +moved`));
      // each board got a new machine-id (no longer the image's) and new SSH host keys
      expect(readFileSync(path.join(lab.host(key)!.dir, 'etc/machine-id'), 'utf8')).not.toBe(readFileSync(path.join(lab.host('lab-006')!.dir, 'etc/machine-id'), 'utf8'));
    }
    const machineIds = CLONED.map((k) => readFileSync(path.join(lab.host(k)!.dir, 'etc/machine-id'), 'utf8'));
    expect(new Set(machineIds).size).toBe(4);
    const hostKeys = CLONED.map((k) => readFileSync(path.join(lab.host(k)!.dir, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8'));
    expect(new Set(hostKeys).size).toBe(4);

    // no activation left: the one the lab started with (expired) is all there is
    const activations = (await ssm.send(new DescribeActivationsCommand({}))).ActivationList ?? [];
    expect(activations.map((a) => a.ActivationId)).toEqual(activationsBefore.map((a) => a.ActivationId));
    const calls = lab.stats().calls;
    expect((calls['CreateActivation'] ?? 0) - (before['CreateActivation'] ?? 0)).toBe(1);
    expect((calls['DeleteActivation'] ?? 0) - (before['DeleteActivation'] ?? 0)).toBe(1);
    expect((calls['DeregisterManagedInstance'] ?? 0) - (before['DeregisterManagedInstance'] ?? 0)).toBe(1);
    expectCodeNowhere(lab, codes, outputs, PIS);
    console.log(`reactivate: 4 boards moved in ${seconds.toFixed(1)} s; ${lab.stats().calls['SendCommand']} SendCommand calls`);
  }, 240_000);

  test('then the main job on every node: plan (2) → apply --yes (0) → verify (0) → plan (0)', async () => {
    const plan = await run((io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(plan.code, plan.text).toBe(2);
    expect(plan.text).toMatch(/Plan: 9 to change, 0 unchanged, 0 skipped, 0 unreachable, 0 with errors\./);
    for (const key of PIS) expect(plan.text).toContain(lab.host(key)!.id!);
    const apply = await run((io) => applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, io));
    expect(apply.code, apply.text).toBe(0);
    expect(apply.text).toMatch(/Apply: 9 changed, 0 unchanged, 0 drifted, 0 failed/);
    const verify = await run((io) => verifyCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(verify.code, verify.text).toBe(0);
    expect(verify.text).toMatch(/Verify: 9 passed, 0 failed/);
    const again = await run((io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(again.code, again.text).toBe(0);
    expect(again.text).toMatch(/Plan: 0 to change, 9 unchanged/);
    for (const token of [lab.tokens.web, lab.tokens.pi]) {
      for (const o of outputs) expect(o).not.toContain(token);
      for (const r of lab.requests()) expect(JSON.stringify(r)).not.toContain(token);
    }
  }, 180_000);

  test('tag names the Pi that was never cloned; hosts shows every Name', async () => {
    const tag = await run((io) => tagCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(tag.code, tag.text).toBe(0);
    expect(tag.text).toMatch(/1 renamed, 0 to rename, 4 already right, 0 skipped, 0 failed\./);
    expect((await tagsOf(ssm, lab.host('lab-006')!.id!))['Name']).toBe(nameOf.get('lab-006'));
    const hosts = await run((io) => hostsCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(hosts.code).toBe(0);
    for (const key of PIS) expect(hosts.text).toMatch(new RegExp(`${lab.host(key)!.id} +${nameOf.get(key)} +pi +`));
    expect(hosts.text).toMatch(/9 ready, 0 skipped, 0 not found\./);
  });

  test('a second reactivate on the clean fleet only polls: no activation, no tag, no deregistration, exit 0', async () => {
    const before = lab.stats().calls;
    const ids = PIS.map((k) => lab.host(k)!.id!);
    const r = await run((io) => reactivateCommand({ inventory: inv, ...REACTIVATE }, recordingTransport(codes), io, undefined, fastClock));
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(/No cloned managed-node IDs: 5 online node\(s\) polled, each answered by one board of its own\. Nothing to do\./);
    const calls = lab.stats().calls;
    for (const op of ['CreateActivation', 'DeleteActivation', 'AddTagsToResource', 'RemoveTagsFromResource', 'DeregisterManagedInstance']) expect(calls[op] ?? 0, op).toBe(before[op] ?? 0);
    expect((calls['SendCommand'] ?? 0) - (before['SendCommand'] ?? 0)).toBe(3); // the three identity polls
    expect(PIS.map((k) => lab.host(k)!.id!)).toEqual(ids);
    expect(codes).toHaveLength(1);
  });
});
