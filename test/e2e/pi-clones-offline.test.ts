// A cloned board switched off during the run (the second half of the cloned-SD-card scenario, pi-clones.test.ts,
// in a file of its own so vitest runs its lab beside the first one): a clone switched off during the run is
// reported, its old ID kept, and the next run (board back on) moves it and retires the ID. Timings as there.
import { DescribeActivationsCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { reactivateCommand } from '../../src/cli/run.js';
import { startLab, type Lab } from '@stns-fleet/lab';
import { CLONED_TAG } from '../../src/pi/clones.js';
import { PREVIOUS_ID_TAG } from '../../src/pi/reactivate.js';
import { capture } from '../helpers/capture.js';
import { LAB_TIMING, REACTIVATE, fastClock, recordingTransport, serialOf, writeInventory, ssmOf, managedNodes, tagsOf, expectCodeNowhere, setLabEnv } from './pi-clones-fixture.js';

describe('a cloned board switched off during the run', () => {
  const BOARDS = ['lab-001', 'lab-002', 'lab-003'];
  const NAMES = ['pi-north', 'pi-south', 'pi-east'];
  let lab: Lab;
  let ssm: SSMClient;
  let inv: string;
  let cloned: string;
  const codes: string[] = [];
  const outputs: string[] = [];

  beforeAll(async () => {
    lab = await startLab({ hosts: 1, pis: 1, faults: 'clones=2', seed: 'e2e-pi-offline', ...LAB_TIMING });
    setLabEnv(lab);
    ssm = ssmOf(lab);
    inv = writeInventory(lab, Object.fromEntries(BOARDS.map((k, i) => [serialOf(lab, k), NAMES[i]!])), false);
    cloned = lab.host('lab-001')!.id!;
    expect(lab.hosts.filter((h) => h.id === cloned).map((h) => h.key)).toEqual(BOARDS);
  });
  afterAll(() => lab?.stop());

  test('is reported (not seen), its old ID kept and tagged; the run exits 2', async () => {
    lab.setAgent('lab-002', 'stopped');
    const c = capture({ stampErr: true });
    const code = await reactivateCommand({ inventory: inv, ...REACTIVATE }, recordingTransport(codes), c.io, undefined, fastClock);
    outputs.push(c.text());
    expect(code, c.text()).toBe(2);
    expect(c.text()).toMatch(/Summary: 2 moved, 0 failed, 0 pending, 1 not seen; 0 old ID\(s\) deregistered, 1 kept\./);
    expect(c.text()).toMatch(new RegExp(`${cloned} +- +${serialOf(lab, 'lab-002')} +pi-south +offline +listed in the inventory but not seen`));
    expect(c.text()).toMatch(/1 listed board\(s\) not seen \(switched off\?\): pi-south/);
    for (const key of ['lab-001', 'lab-003']) {
      const id = lab.host(key)!.id!;
      expect(id).not.toBe(cloned);
      expect((await tagsOf(ssm, id))['Name']).toBe(NAMES[BOARDS.indexOf(key)]);
    }
    expect(lab.host('lab-002')!.id).toBe(cloned);
    expect(await tagsOf(ssm, cloned)).toHaveProperty(CLONED_TAG);
    const old = (await managedNodes(ssm)).find((n) => n.InstanceId === cloned);
    expect(old).toMatchObject({ PingStatus: 'ConnectionLost' });
    expect(lab.stats().calls['DeleteActivation']).toBe(1);
  }, 180_000);

  test('switched back on, the next run finds it by the tag, moves it and deregisters the old ID; exit 0', async () => {
    lab.setAgent('lab-002', 'running');
    const c = capture({ stampErr: true });
    const code = await reactivateCommand({ inventory: inv, ...REACTIVATE }, recordingTransport(codes), c.io, undefined, fastClock);
    outputs.push(c.text());
    expect(code, c.text()).toBe(0);
    expect(c.text()).toMatch(new RegExp(`${cloned}  group pi: tagged ${CLONED_TAG}=`));
    expect(c.text()).toMatch(/Summary: 1 moved, 0 failed, 0 pending, 0 not seen; 1 old ID\(s\) deregistered, 0 kept\./);
    const ids = BOARDS.map((k) => lab.host(k)!.id!);
    expect(new Set(ids).size).toBe(3);
    expect(ids).not.toContain(cloned);
    expect((await tagsOf(ssm, lab.host('lab-002')!.id!))).toMatchObject({ Name: 'pi-south', [PREVIOUS_ID_TAG]: cloned });
    const nodes = await managedNodes(ssm);
    expect(nodes.map((n) => n.InstanceId).sort()).toEqual([...ids].sort());
    expect(nodes.every((n) => n.PingStatus === 'Online')).toBe(true);
    expect(lab.stats().calls['CreateActivation']).toBe(2);
    expect(lab.stats().calls['DeleteActivation']).toBe(2);
    expect(((await ssm.send(new DescribeActivationsCommand({}))).ActivationList ?? []).map((a) => a.Expired)).toEqual([true]); // only the lab's original one
    expectCodeNowhere(lab, codes, outputs, BOARDS);
  }, 180_000);
});
