// EC2 DescribeInstances and SSM DescribeInstanceInformation / ListTagsForResource behind the mocked clients,
// answering from a list of machines with AWS's filter semantics (filters AND, values OR) and paging at
// `pageSize`, so discovery is tested against what the APIs do rather than against canned answers.
import { DescribeInstancesCommand, type EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  ListTagsForResourceCommand,
  type InstanceInformation,
  type InstanceInformationStringFilter,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { AwsClientStub } from 'aws-sdk-client-mock';

export interface Machine {
  id: string;
  /** EC2 tags for i-, SSM tags for mi-. */
  tags?: Record<string, string>;
  /** The tags SSM's tag filters see, when they differ from `tags`. */
  ssmTags?: Record<string, string>;
  /** EC2 state (i- only). */
  state?: string;
  /** Absent: SSM does not know it. */
  ssm?: Partial<InstanceInformation>;
}

function page<T>(all: T[], size: number, token: string | undefined): { items: T[]; next?: string } {
  const from = token ? Number(token) : 0;
  const next = from + size < all.length ? { next: String(from + size) } : {};
  return { items: all.slice(from, from + size), ...next };
}

function ec2Matches(m: Machine, f: Filter): boolean {
  const values = f.Values ?? [];
  if (f.Name === 'instance-id') return values.includes(m.id);
  if (f.Name === 'instance-state-name') return values.includes(m.state ?? 'running');
  if (f.Name?.startsWith('tag:')) {
    const v = m.tags?.[f.Name.slice(4)];
    return v !== undefined && values.includes(v);
  }
  throw new Error(`fake EC2: unsupported filter ${f.Name}`);
}

function ssmMatches(m: Machine, f: InstanceInformationStringFilter): boolean {
  const [key, values] = [f.Key ?? '', f.Values ?? []];
  if (key === 'InstanceIds') return values.includes(m.id);
  if (key.startsWith('tag:')) {
    const v = (m.ssmTags ?? m.tags)?.[key.slice(4)];
    return v !== undefined && values.includes(v);
  }
  throw new Error(`fake SSM: unsupported filter ${f.Key}`);
}

export function fakeInventory(
  machines: Machine[],
  mocks: { ec2: AwsClientStub<EC2Client>; ssm: AwsClientStub<SSMClient> },
  o: { ec2PageSize?: number; ssmPageSize?: number } = {},
): void {
  const ec2Machines = machines.filter((m) => m.id.startsWith('i-'));
  mocks.ec2.on(DescribeInstancesCommand).callsFake((input: { Filters?: Filter[]; InstanceIds?: string[]; NextToken?: string; MaxResults?: number }) => {
    if (input.InstanceIds) throw new Error('fake EC2: use the instance-id filter (InstanceIds fails the call on one unknown ID)');
    const hits = ec2Machines.filter((m) => (input.Filters ?? []).every((f) => ec2Matches(m, f)));
    const p = page(hits, Math.min(input.MaxResults ?? 1000, o.ec2PageSize ?? 1000), input.NextToken);
    const Instances: Instance[] = p.items.map((m) => ({
      InstanceId: m.id,
      State: { Name: (m.state ?? 'running') as 'running' },
      Tags: Object.entries(m.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    }));
    return { Reservations: Instances.length ? [{ Instances }] : [], ...(p.next ? { NextToken: p.next } : {}) };
  });

  mocks.ssm.on(DescribeInstanceInformationCommand).callsFake((input: { Filters?: InstanceInformationStringFilter[]; NextToken?: string; MaxResults?: number }) => {
    const filters = input.Filters ?? [];
    const isTag = (f: InstanceInformationStringFilter): boolean => (f.Key ?? '').startsWith('tag:');
    if (filters.some(isTag) && !filters.every(isTag)) {
      throw Object.assign(new Error('tag filters cannot be combined with other filter types'), { name: 'InvalidFilterKey' });
    }
    if (filters.some((f) => (f.Values ?? []).length > 100)) throw Object.assign(new Error('too many filter values'), { name: 'ValidationException' });
    if ((input.MaxResults ?? 10) > 50) throw Object.assign(new Error('MaxResults 5..50'), { name: 'ValidationException' });
    const known = machines.filter((m) => m.ssm && m.state !== 'stopped' && m.state !== 'terminated');
    const hits = known.filter((m) => filters.every((f) => ssmMatches(m, f)));
    const p = page(hits, Math.min(input.MaxResults ?? 10, o.ssmPageSize ?? 50), input.NextToken);
    return {
      InstanceInformationList: p.items.map((m) => ({
        InstanceId: m.id,
        PingStatus: 'Online',
        ResourceType: m.id.startsWith('i-') ? 'EC2Instance' : 'ManagedInstance',
        ...m.ssm,
      })),
      ...(p.next ? { NextToken: p.next } : {}),
    };
  });

  mocks.ssm.on(ListTagsForResourceCommand).callsFake((input: { ResourceType: string; ResourceId: string }) => {
    const m = machines.find((x) => x.id === input.ResourceId && x.id.startsWith('mi-'));
    if (input.ResourceType !== 'ManagedInstance' || !m) throw Object.assign(new Error('bad resource'), { name: 'InvalidResourceId' });
    return { TagList: Object.entries(m.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
  });
}
