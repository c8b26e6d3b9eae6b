// EC2 as the unmodified EC2Client sees the lab: DescribeInstances (tag filters, paging, InstanceIds, states)
// and CreateTags, including the client configured only through AWS_ENDPOINT_URL.
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeVpcsCommand,
  EC2Client,
  paginateDescribeInstances,
  type DescribeInstancesCommandInput,
  type Instance,
} from '@aws-sdk/client-ec2';
import { describe, expect, test } from 'vitest';
import { ids, useLab } from './helpers.js';

const t = useLab({ hosts: 23, pis: 3, faults: 'stopped=2', seed: 'ec2' });

async function all(ec2: EC2Client, input: DescribeInstancesCommandInput): Promise<{ instances: Instance[]; pages: number }> {
  const instances: Instance[] = [];
  let pages = 0;
  for await (const page of paginateDescribeInstances({ client: ec2 }, input)) {
    pages++;
    for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
  }
  return { instances, pages };
}

describe('DescribeInstances', () => {
  test('by tag, paged with MaxResults/NextToken, parsed by the SDK (reservationSet, instancesSet, tagSet)', async () => {
    const web = t.lab.hosts.filter((h) => h.kind === 'ec2' && h.role === 'web');
    const { instances, pages } = await all(t.ec2, { Filters: [{ Name: 'tag:Role', Values: ['web'] }], MaxResults: 5 });
    expect(pages).toBe(Math.ceil(web.length / 5));
    expect(instances.map((i) => i.InstanceId).sort()).toEqual(web.map((h) => h.id).sort());
    const one = instances[0]!;
    expect(one.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(one.LaunchTime).toBeInstanceOf(Date);
    expect(one.Placement?.AvailabilityZone).toBe('us-east-1a');
    expect(one.Tags).toEqual(expect.arrayContaining([{ Key: 'Role', Value: 'web' }, { Key: 'Env', Value: 'lab' }]));
    expect(one.State?.Name).toMatch(/^(running|stopped)$/);
  });

  test('never lists the Raspberry Pis; instance-state-name separates stopped hosts; wildcards work', async () => {
    const { instances } = await all(t.ec2, {});
    expect(instances).toHaveLength(20);
    const stopped = await all(t.ec2, { Filters: [{ Name: 'instance-state-name', Values: ['stopped'] }] });
    expect(stopped.instances.map((i) => i.InstanceId).sort()).toEqual(ids(t.lab, (h) => h.fault === 'stopped').sort());
    expect(stopped.instances.every((i) => i.State?.Code === 80)).toBe(true);
    const named = await all(t.ec2, { Filters: [{ Name: 'tag:Name', Values: ['lab-00?'] }, { Name: 'tag-key', Values: ['Env'] }] });
    expect(named.instances).toHaveLength(9);
  });

  test('InstanceIds: found, not found, malformed, and not together with MaxResults', async () => {
    const [a, b] = ids(t.lab, (h) => h.kind === 'ec2');
    const r = await t.ec2.send(new DescribeInstancesCommand({ InstanceIds: [a!, b!] }));
    expect(r.Reservations?.flatMap((x) => x.Instances ?? []).map((i) => i.InstanceId)).toEqual([a, b]);
    await expect(t.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance ID 'i-0123456789abcdef0' does not exist",
    });
    await expect(t.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['mi-0123456789abcdef0'] }))).rejects.toMatchObject({ name: 'InvalidInstanceID.Malformed' });
    await expect(t.ec2.send(new DescribeInstancesCommand({ InstanceIds: [a!], MaxResults: 5 }))).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(t.ec2.send(new DescribeInstancesCommand({ MaxResults: 4 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  test('an unknown filter or a foreign NextToken is an error, never ignored', async () => {
    await expect(t.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: "The filter 'vpc-id' is invalid",
    });
    const first = await t.ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    expect(first.NextToken).toBeTruthy();
    await expect(
      t.ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: first.NextToken, Filters: [{ Name: 'tag:Role', Values: ['db'] }] })),
    ).rejects.toMatchObject({ name: 'InvalidPaginationToken' });
  });
});

test('CreateTags: new tags show in DescribeInstances; unknown IDs are refused', async () => {
  const [a] = ids(t.lab, (h) => h.kind === 'ec2' && h.fault !== 'stopped');
  await t.ec2.send(new CreateTagsCommand({ Resources: [a!], Tags: [{ Key: 'Team', Value: 'infra' }, { Key: 'Role', Value: 'batch' }] }));
  const r = await t.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Team', Values: ['infra'] }] }));
  const inst = r.Reservations?.[0]?.Instances?.[0];
  expect(inst?.InstanceId).toBe(a);
  expect(inst?.Tags).toEqual(expect.arrayContaining([{ Key: 'Role', Value: 'batch' }]));
  expect(t.lab.host(a!)?.tags['Team']).toBe('infra');
  await expect(t.ec2.send(new CreateTagsCommand({ Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'x', Value: 'y' }] }))).rejects.toMatchObject({
    name: 'InvalidInstanceID.NotFound',
  });
});

test('an EC2 action the lab does not implement is UnsupportedOperation, naming it', async () => {
  await expect(t.ec2.send(new DescribeVpcsCommand({}))).rejects.toMatchObject({ name: 'UnsupportedOperation', message: expect.stringContaining('DescribeVpcs') });
});

test('a client configured only by the environment (AWS_ENDPOINT_URL and dummy keys) reaches the lab', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, t.lab.env);
  try {
    const ec2 = new EC2Client({});
    const r = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Role', Values: ['db'] }] }));
    expect(r.Reservations?.length).toBeGreaterThan(0);
  } finally {
    for (const k of Object.keys(t.lab.env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
});
