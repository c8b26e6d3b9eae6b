// Targets → hosts, from two sources joined by ID: EC2 (DescribeInstances: state, Name tag) and SSM
// (DescribeInstanceInformation: agent, ping, platform). EC2 instances are looked up in both; hybrid managed
// nodes (mi-) exist only in SSM. An ID that neither knows is reported, never dropped.
//
// A host's name is decided here, once, for every command (hostName): its Name tag, else SSM's ComputerName,
// else none (reports then show the ID). An EC2 instance's tags come with DescribeInstances; a managed node's
// only from ListTagsForResource, one call per node, so discovery makes that call for every managed node it
// finds (they are few: Raspberry Pis) and none for EC2. SSM's own "Name" of a managed node is never used: it
// is the activation's DefaultInstanceName, the same for every board registered with one activation.
import { DescribeInstancesCommand, type Filter, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  ListTagsForResourceCommand,
  type InstanceInformation,
  type InstanceInformationStringFilter,
} from '@aws-sdk/client-ssm';
import { chunk } from '../model/chunk.js';
import type { DiscoveredHost, Discovery, HostSelection, PingStatus } from '../transport/types.js';
import { mapLimit } from './backoff.js';
import type { AwsContext } from './clients.js';

const EC2_FILTER_VALUES = 200; // values per DescribeInstances filter
const SSM_IDS_PER_CALL = 50; // DescribeInstanceInformation MaxResults is 50: one page per chunk, usually
// Tag selectors pick live instances only; an ID asked for by name is shown even when stopped or terminated.
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

const isEc2Id = (id: string): boolean => id.startsWith('i-');
const isNodeId = (id: string): boolean => id.startsWith('mi-');
const flat = <T>(xs: T[][]): T[] => xs.flat();

async function describeInstances(ctx: AwsContext, filters: Filter[]): Promise<Instance[]> {
  const out: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.call('ec2:DescribeInstances', () =>
      ctx.ec2.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: 1000, NextToken })),
    );
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

// The instance-id filter, unlike InstanceIds, does not fail the whole call on one unknown ID.
const instancesById = async (ctx: AwsContext, ids: string[]): Promise<Instance[]> =>
  flat(await mapLimit(chunk(ids, EC2_FILTER_VALUES), ctx.concurrency, (c) => describeInstances(ctx, [{ Name: 'instance-id', Values: c }])));

const instancesByTags = (ctx: AwsContext, sel: Record<string, string[]>): Promise<Instance[]> =>
  describeInstances(ctx, [
    ...Object.entries(sel).map(([k, v]) => ({ Name: `tag:${k}`, Values: v })),
    { Name: 'instance-state-name', Values: LIVE_STATES },
  ]);

async function describeInstanceInformation(ctx: AwsContext, filters: InstanceInformationStringFilter[]): Promise<InstanceInformation[]> {
  const out: InstanceInformation[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.call('ssm:DescribeInstanceInformation', () =>
      ctx.ssm.send(new DescribeInstanceInformationCommand({ Filters: filters, MaxResults: 50, NextToken })),
    );
    out.push(...(page.InstanceInformationList ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

const infoById = async (ctx: AwsContext, ids: string[]): Promise<InstanceInformation[]> =>
  flat(await mapLimit(chunk(ids, SSM_IDS_PER_CALL), ctx.concurrency, (c) => describeInstanceInformation(ctx, [{ Key: 'InstanceIds', Values: c }])));

// Tag filters cannot be combined with other filter keys, so a selector is tag filters only (keys AND, values OR).
const infoByTags = (ctx: AwsContext, sel: Record<string, string[]>): Promise<InstanceInformation[]> =>
  describeInstanceInformation(ctx, Object.entries(sel).map(([k, v]) => ({ Key: `tag:${k}`, Values: v })));

async function nodeTags(ctx: AwsContext, id: string): Promise<Record<string, string>> {
  const r = await ctx.call('ssm:ListTagsForResource', () =>
    ctx.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: id })),
  );
  return Object.fromEntries((r.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

function byId<T>(items: T[], idOf: (t: T) => string | undefined): Map<string, T> {
  const m = new Map<string, T>();
  for (const it of items) {
    const id = idOf(it);
    if (id) m.set(id, it);
  }
  return m;
}

function ssmInfo(i: InstanceInformation): NonNullable<DiscoveredHost['ssm']> {
  const fields = {
    pingStatus: (i.PingStatus ?? 'Inactive') as PingStatus,
    agentVersion: i.AgentVersion,
    platformName: i.PlatformName,
    platformVersion: i.PlatformVersion,
    computerName: i.ComputerName,
    ipAddress: i.IPAddress,
    activationId: i.ActivationId,
    lastPing: i.LastPingDateTime,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as NonNullable<DiscoveredHost['ssm']>;
}

/** The one naming rule: the Name tag, else SSM's ComputerName, else none (the host is shown by its ID). */
export function hostName(tags: Record<string, string>, computerName: string | undefined): string | undefined {
  return tags['Name']?.trim() || computerName?.trim() || undefined;
}

function toHost(id: string, inst: Instance | undefined, info: InstanceInformation | undefined, nodeTagMap?: Record<string, string>): DiscoveredHost {
  const tags = inst ? Object.fromEntries((inst.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) : (nodeTagMap ?? {});
  const name = hostName(tags, info?.ComputerName);
  const state = inst?.State?.Name;
  return {
    id,
    kind: isEc2Id(id) ? 'ec2' : 'managed',
    ...(name ? { name } : {}),
    tags,
    ...(state ? { ec2State: state } : {}),
    ...(info ? { ssm: ssmInfo(info) } : {}),
  };
}

export async function discover(ctx: AwsContext, targets: HostSelection): Promise<Discovery> {
  const ids = [...new Set(targets.ids)];
  // An empty selector would match every instance in the account: never.
  const selectors = targets.tagSelectors.filter((s) => Object.keys(s).length > 0);

  const [ec2ById, ec2ByTags, ssmById, ssmByTags] = await Promise.all([
    instancesById(ctx, ids.filter(isEc2Id)),
    Promise.all(selectors.map((s) => instancesByTags(ctx, s))).then(flat),
    infoById(ctx, ids.filter(isNodeId)),
    Promise.all(selectors.map((s) => infoByTags(ctx, s))).then(flat),
  ]);
  const instances = byId([...ec2ById, ...ec2ByTags], (i) => i.InstanceId);
  const infos = byId([...ssmById, ...ssmByTags], (i) => i.InstanceId);

  // Join: SSM's view of every EC2 instance found, and EC2's view of EC2 instances that only SSM's tags found.
  const [moreInfos, moreInstances] = await Promise.all([
    infoById(ctx, [...instances.keys()].filter((id) => !infos.has(id))),
    instancesById(ctx, [...infos.keys()].filter((id) => isEc2Id(id) && !instances.has(id))),
  ]);
  for (const [id, i] of byId(moreInfos, (i) => i.InstanceId)) infos.set(id, i);
  for (const [id, i] of byId(moreInstances, (i) => i.InstanceId)) instances.set(id, i);

  const found = [...new Set([...instances.keys(), ...infos.keys()])].sort();
  // Managed nodes' tags (their Name among them) in every command; EC2's came with DescribeInstances.
  const managed = found.filter((id) => !isEc2Id(id));
  const tagsOf = new Map<string, Record<string, string>>();
  const all = await mapLimit(managed, ctx.concurrency, (id) => nodeTags(ctx, id));
  managed.forEach((id, i) => tagsOf.set(id, all[i]!));

  const hosts = found.map((id) => toHost(id, instances.get(id), infos.get(id), tagsOf.get(id)));
  const notFound = ids.filter((id) => !instances.has(id) && !infos.has(id)).sort();
  return { hosts, notFound };
}
