// DescribeInstanceInformation as SSMClient sees it: default page size 10, MaxResults 5..50, NextToken,
// filters (InstanceIds, PingStatus, ResourceType, tag:K, tag-key), stopped instances absent.
import { DescribeInstanceInformationCommand, paginateDescribeInstanceInformation, type InstanceInformation, type InstanceInformationStringFilter } from '@aws-sdk/client-ssm';
import { expect, test } from 'vitest';
import { ids, useLab } from './helpers.js';

const t = useLab({ hosts: 24, pis: 4, faults: 'offline=3,stopped=2', seed: 'dii' });

async function all(filters?: InstanceInformationStringFilter[], pageSize?: number): Promise<{ list: InstanceInformation[]; pages: number }> {
  const list: InstanceInformation[] = [];
  let pages = 0;
  for await (const p of paginateDescribeInstanceInformation({ client: t.ssm, ...(pageSize ? { pageSize } : {}) }, { ...(filters ? { Filters: filters } : {}) })) {
    pages++;
    list.push(...(p.InstanceInformationList ?? []));
  }
  return { list, pages };
}

test('pages of 10 by default; stopped instances are absent; Pis are ManagedInstance', async () => {
  const first = await t.ssm.send(new DescribeInstanceInformationCommand({}));
  expect(first.InstanceInformationList).toHaveLength(10);
  expect(first.NextToken).toBeTruthy();
  const { list, pages } = await all();
  expect(pages).toBe(3);
  expect(list).toHaveLength(22);
  const stopped = ids(t.lab, (h) => h.fault === 'stopped');
  expect(list.some((i) => stopped.includes(i.InstanceId!))).toBe(false);
  const pis = list.filter((i) => i.ResourceType === 'ManagedInstance');
  expect(pis.map((i) => i.InstanceId).sort()).toEqual(ids(t.lab, (h) => h.kind === 'managed').sort());
  expect(pis[0]).toMatchObject({ PlatformType: 'Linux', PlatformName: 'Debian GNU/Linux', PlatformVersion: '12', Name: 'lab-pi' });
  expect(pis[0]!.RegistrationDate).toBeInstanceOf(Date);
  expect(pis[0]!.ActivationId).toMatch(/^[0-9a-f-]{36}$/);
  const ec2 = list.find((i) => i.ResourceType === 'EC2Instance')!;
  expect(ec2.LastPingDateTime).toBeInstanceOf(Date);
  expect(ec2.ComputerName).toMatch(/^ip-10-0-\d+-\d+\.ec2\.internal$/);
});

test('PingStatus: offline hosts are ConnectionLost', async () => {
  const lost = await all([{ Key: 'PingStatus', Values: ['ConnectionLost'] }]);
  expect(lost.list.map((i) => i.InstanceId).sort()).toEqual(ids(t.lab, (h) => h.fault === 'offline').sort());
  const online = await all([{ Key: 'PingStatus', Values: ['Online'] }], 50);
  expect(online.list).toHaveLength(19);
});

test('filters by InstanceIds, ResourceType, tag:K and tag-key', async () => {
  const some = ids(t.lab, (h) => h.fault === undefined).slice(0, 3);
  expect((await all([{ Key: 'InstanceIds', Values: some }])).list.map((i) => i.InstanceId)).toEqual(some);
  expect((await all([{ Key: 'ResourceType', Values: ['ManagedInstance'] }])).list).toHaveLength(4);
  const pis = await all([{ Key: 'tag:Role', Values: ['pi'] }]);
  expect(pis.list.every((i) => i.InstanceId!.startsWith('mi-'))).toBe(true);
  expect(pis.list).toHaveLength(4);
  const db = await all([{ Key: 'tag:Role', Values: ['db'] }, { Key: 'tag-key', Values: ['Name'] }]);
  expect(db.list.map((i) => i.InstanceId).sort()).toEqual(ids(t.lab, (h) => h.role === 'db' && h.fault !== 'stopped').sort());
});

test('MaxResults outside 5..50, an unknown filter key, a foreign token, tag filters mixed with others: errors', async () => {
  await expect(t.ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 4 }))).rejects.toMatchObject({
    name: 'ValidationException',
    message: "1 validation error detected: Value '4' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 5",
  });
  await expect(t.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'Color', Values: ['red'] }] }))).rejects.toMatchObject({ name: 'InvalidFilterKey' });
  const p = await t.ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5 }));
  await expect(
    t.ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5, NextToken: p.NextToken, Filters: [{ Key: 'PingStatus', Values: ['Online'] }] })),
  ).rejects.toMatchObject({ name: 'InvalidNextToken' });
  await expect(
    t.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:Role', Values: ['pi'] }, { Key: 'PingStatus', Values: ['Online'] }] })),
  ).rejects.toMatchObject({ name: 'ValidationException' });
});
