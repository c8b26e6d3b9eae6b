// Each fault as a client sees it: offline (ConnectionLost, DeliveryTimedOut), undeliverable (Failed at once),
// slow (late start), timeout (killed at executionTimeout: TimedOut/ExecutionTimedOut 137), fail (sshd -t
// refuses), stopped (absent; InvalidInstanceId), throttle (ThrottlingException / RequestLimitExceeded),
// latency; the SPEC parser; and the same seed giving the same lab.
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseFaults } from '../src/faults.js';
import { startLab } from '../src/lab.js';
import { resolveOptions } from '../src/options.js';
import { clients, ids, run, useLab } from './helpers.js';

const t = useLab({
  hosts: 10,
  pis: 2,
  faults: 'offline=1,undeliverable=1,slow=1,timeout=1,fail=1,stopped=1',
  seed: 'faults',
  slowDelayMs: [800, 800],
  deliveryTimeoutMs: 2000,
  executionTimeoutMs: 1500,
});
const faulty = (f: string): string => t.lab.hosts.find((h) => h.fault === f)!.id!;

describe('host faults in one command', () => {
  test('each fault ends as SSM reports it', async () => {
    const healthy = ids(t.lab, (h) => !h.fault)[0]!;
    const targets = ['offline', 'undeliverable', 'slow', 'timeout', 'fail'].map(faulty);
    const started = Date.now();
    const r = await run(t.ssm, { ids: [healthy, ...targets] }, 'echo ran; sshd -t; echo "sshd=$?"', { TimeoutSeconds: 30, MaxErrors: '5' });
    const by = (id: string) => r.invocations.find((i) => i.InstanceId === id)!;
    const plugin = (id: string) => by(id).CommandPlugins![0]!;
    expect(by(healthy)).toMatchObject({ Status: 'Success', StatusDetails: 'Success' });
    expect(plugin(healthy).Output).toBe('ran\nsshd=0\n');
    // offline: sent but never picked up; at TimeoutSeconds + executionTimeout (2 s + 1.5 s here) it is DeliveryTimedOut.
    expect(by(faulty('offline'))).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' });
    expect(plugin(faulty('offline')).ResponseCode).toBe(-1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3400);
    expect(by(faulty('undeliverable'))).toMatchObject({ Status: 'Failed', StatusDetails: 'Undeliverable' });
    expect(plugin(faulty('undeliverable')).ResponseCode).toBe(-1);
    expect(by(faulty('slow'))).toMatchObject({ Status: 'Success' });
    expect(plugin(faulty('slow')).ResponseStartDateTime!.getTime() - by(faulty('slow')).RequestedDateTime!.getTime()).toBeGreaterThanOrEqual(750);
    // timeout: the script's output is there, then its last step hangs until the agent kills it.
    expect(by(faulty('timeout'))).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut' });
    expect(plugin(faulty('timeout'))).toMatchObject({ ResponseCode: 137, Output: 'ran\nsshd=0\n' });
    const ran = plugin(faulty('timeout'));
    expect(ran.ResponseFinishDateTime!.getTime() - ran.ResponseStartDateTime!.getTime()).toBeGreaterThanOrEqual(1400);
    // fail: sshd -t refuses every configuration (exit 255).
    expect(plugin(faulty('fail')).Output).toMatch(/^ran\nsshd=255\n\n----------ERROR-------\n.*"fail" fault.*\n.*terminating, 1 bad configuration options\n$/);
    expect(r.command).toMatchObject({ ErrorCount: 1, DeliveryTimedOutCount: 1, CompletedCount: 6, Status: 'Success', StatusDetails: 'Incomplete' });
  });

  test('stopped: not in DescribeInstanceInformation, stopped in EC2, refused by SendCommand', async () => {
    const id = faulty('stopped');
    const dii = await t.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }));
    expect(dii.InstanceInformationList).toEqual([]);
    const d = await t.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(d.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('stopped');
    await expect(t.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [id], Parameters: { commands: ['true'] } }))).rejects.toMatchObject({
      name: 'InvalidInstanceId',
    });
  });

  test('offline hosts are ConnectionLost in DescribeInstanceInformation', async () => {
    const dii = await t.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [faulty('offline'), faulty('slow')] }] }));
    expect(Object.fromEntries(dii.InstanceInformationList!.map((i) => [i.InstanceId, i.PingStatus]))).toEqual({ [faulty('offline')]: 'ConnectionLost', [faulty('slow')]: 'Online' });
  });
});

test('hosts still waiting for a slot when TimeoutSeconds passes never run: DeliveryTimedOut', async () => {
  // queueTimeoutMs scales TimeoutSeconds down for the queue only; without it hosts wait as long as SSM lets them.
  const lab = await startLab({ hosts: 3, pis: 0, queueTimeoutMs: 300, executionTimeoutMs: 1000 });
  try {
    const { ssm } = clients(lab);
    const r = await run(ssm, { ids: ids(lab) }, 'sleep 0.6', { MaxConcurrency: '1' });
    expect(r.invocations.map((i) => i.StatusDetails).sort()).toEqual(['DeliveryTimedOut', 'DeliveryTimedOut', 'Success']);
    expect(r.command).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut', DeliveryTimedOutCount: 2, ErrorCount: 0 });
  } finally {
    await lab.stop();
  }
});

describe('a queued host is not undelivered while TimeoutSeconds lasts', () => {
  // Each case is decided by sleeps and delays against the caps (lower bounds a loaded machine only lengthens),
  // never by how fast the machine is: the queue waits are ≥ 2× the delivery cap whatever the load.
  test('a slow host dispatched after the others (MaxConcurrency 1) still starts: the cap counts from its hand-over', async () => {
    const lab = await startLab({ hosts: 4, pis: 0, os: ['debian-12'], faults: 'slow=1', slowDelayMs: [300, 300], deliveryTimeoutMs: 500, executionTimeoutMs: 3000 });
    try {
      const { ssm } = clients(lab);
      const slow = ids(lab, (h) => h.fault === 'slow');
      const r = await run(ssm, { ids: [...ids(lab, (h) => !h.fault), ...slow] }, 'sleep 0.4', { MaxConcurrency: '1' });
      // Handed over ≥ 1.2 s after SendCommand, far past the 0.5 s cap: it was waiting for its turn, not lost.
      expect(r.invocations.map((i) => `${i.InstanceId === slow[0] ? 'slow' : 'ok'} ${i.StatusDetails}`).sort()).toEqual(['ok Success', 'ok Success', 'ok Success', 'slow Success']);
    } finally {
      await lab.stop();
    }
  });

  test('a slow pick-up not shorter than the delivery cap never starts, wherever it is in the queue', async () => {
    const lab = await startLab({ hosts: 2, pis: 0, os: ['debian-12'], faults: 'slow=1', slowDelayMs: [600, 600], deliveryTimeoutMs: 500, executionTimeoutMs: 1000 });
    try {
      const { ssm } = clients(lab);
      const slow = lab.hosts.find((h) => h.fault === 'slow')!;
      for (const order of [[slow.id!, ...ids(lab, (h) => !h.fault)], [...ids(lab, (h) => !h.fault), slow.id!]]) {
        const r = await run(ssm, { ids: order }, 'touch "$STNS_FLEET_ROOT/ran"', { MaxConcurrency: '1' });
        expect(r.invocations.find((i) => i.InstanceId === slow.id)).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' });
      }
      expect(existsSync(path.join(slow.dir, 'ran'))).toBe(false);
    } finally {
      await lab.stop();
    }
  });

  test('hosts waiting for a host process (maxHostProcesses 1) run, however long the wait past the caps', async () => {
    const lab = await startLab({ hosts: 4, pis: 0, os: ['debian-12'], maxHostProcesses: 1, deliveryTimeoutMs: 200, executionTimeoutMs: 200 });
    try {
      const { ssm } = clients(lab);
      // The last one waits ≥ 1.5 s for the one process slot: 7× the delivery cap, 7× the (hung-script) execution cap.
      const r = await run(ssm, { ids: ids(lab) }, 'sleep 0.5', { MaxConcurrency: '4' });
      expect(r.invocations.map((i) => i.StatusDetails)).toEqual(['Success', 'Success', 'Success', 'Success']);
    } finally {
      await lab.stop();
    }
  });
});

describe('throttle and latency', () => {
  test('throttle=100%: SSM answers ThrottlingException "Rate exceeded" (HTTP 400), EC2 RequestLimitExceeded (HTTP 503)', async () => {
    const lab = await startLab({ hosts: 1, faults: 'throttle=100%' });
    try {
      const { ssm, ec2 } = clients(lab, { maxAttempts: 1 });
      const e = await ssm.send(new DescribeInstanceInformationCommand({})).catch((x: unknown) => x);
      expect(e).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
      const e2 = await ec2.send(new DescribeInstancesCommand({})).catch((x: unknown) => x);
      expect(e2).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
      expect(lab.stats().throttled).toBe(2);
    } finally {
      await lab.stop();
    }
  });

  test('throttle=30% refuses about that share of calls, the same ones for the same seed; the SDK retries through it', async () => {
    const count = async (): Promise<number> => {
      const lab = await startLab({ hosts: 1, faults: 'throttle=30%', seed: 9 });
      try {
        const { ssm } = clients(lab, { maxAttempts: 1 });
        let n = 0;
        for (let i = 0; i < 100; i++) await ssm.send(new DescribeInstanceInformationCommand({})).catch(() => n++);
        const retrying = clients(lab, { maxAttempts: 10 }).ssm;
        await retrying.send(new DescribeInstanceInformationCommand({}));
        return n;
      } finally {
        await lab.stop();
      }
    };
    const n = await count();
    expect(n).toBeGreaterThan(15);
    expect(n).toBeLessThan(45);
    expect(await count()).toBe(n);
  });

  test('latency-ms delays every API call', async () => {
    const lab = await startLab({ hosts: 1, latencyMs: 150 });
    try {
      const { ssm } = clients(lab);
      const t0 = Date.now();
      await ssm.send(new DescribeInstanceInformationCommand({}));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    } finally {
      await lab.stop();
    }
  });
});

describe('SPEC and seed', () => {
  test('counts and percentages; unknown names and bad items are errors naming the item', () => {
    expect(parseFaults('offline=2,fail=5%,throttle=20%,clones=3')).toEqual({
      hosts: [{ fault: 'offline', count: 2 }, { fault: 'fail', percent: 5 }],
      throttlePercent: 20,
      clones: 3,
    });
    expect(() => parseFaults('offline=2,flaky=1')).toThrow(/unknown fault "flaky=1"/);
    expect(() => parseFaults('offline')).toThrow(/bad fault "offline"/);
    expect(() => parseFaults('throttle=3')).toThrow(/throttle=3/);
    expect(() => parseFaults('offline=1,offline=2')).toThrow(/given twice/);
    expect(() => resolveOptions({ hosts: 3, faults: 'offline=4' })).toThrow(/offline wants 4 host/);
    expect(() => resolveOptions({ hosts: 10, pis: 0, faults: 'clones=1' })).toThrow(/no Pi hosts/);
  });

  test('the same seed gives the same IDs, tokens, keys and faulty hosts; another seed does not', async () => {
    const layout = async (seed: number) => {
      const lab = await startLab({ hosts: 12, faults: 'offline=2,fail=25%', seed });
      try {
        return { hosts: lab.hosts.map((h) => `${h.key} ${h.id} ${h.os} ${h.fault ?? '-'}`), tokens: lab.tokens, keys: lab.stnsUsers.map((u) => u.keys) };
      } finally {
        await lab.stop();
      }
    };
    const a = await layout(42);
    expect(await layout(42)).toEqual(a);
    expect((await layout(43)).hosts).not.toEqual(a.hosts);
    expect(a.hosts.filter((h) => h.endsWith(' fail'))).toHaveLength(3);
  });
});
