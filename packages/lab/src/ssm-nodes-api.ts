// Managed nodes: DescribeInstanceInformation (filters, paging; stopped instances are absent), the SSM tags
// of hybrid nodes, DeregisterManagedInstance, and activations (Create/Describe/DeleteActivation).
import { MAX_EXPIRY_MS } from './activations.js';
import { ApiError, Checks, validationError } from './errors.js';
import type { NodeView } from './fleet.js';
import { epoch, optDate, optList, optNum, optStr, optStrList, type Json } from './input.js';
import { paginate } from './paging.js';
import { AGENT_VERSION, type LabState, type RequestContext } from './state.js';

const FILTER_KEYS = ['ActivationIds', 'AgentVersion', 'AssociationStatus', 'IamRole', 'InstanceIds', 'PingStatus', 'PlatformTypes', 'ResourceType', 'SourceIds', 'SourceTypes'];
const MANAGED_ID = /^mi-[0-9a-f]{17}$/;

function info(s: LabState, v: NodeView): Json {
  const h = v.host;
  const platform = h ? s.platforms.get(h.key) : undefined;
  const out: Json = {
    InstanceId: v.id,
    PingStatus: v.pingStatus,
    LastPingDateTime: epoch(new Date(v.pingStatus === 'Online' ? Date.now() : Date.now() - 3600_000)),
    AgentVersion: AGENT_VERSION,
    IsLatestVersion: false,
    PlatformType: 'Linux',
    PlatformName: platform?.name ?? '',
    PlatformVersion: platform?.version ?? '',
    ResourceType: v.resourceType,
    IPAddress: h?.ip ?? '',
    ComputerName: h?.computerName ?? '',
    SourceId: v.id,
    SourceType: v.resourceType === 'EC2Instance' ? 'AWS::EC2::Instance' : 'AWS::SSM::ManagedInstance',
  };
  if (v.node) {
    out['ActivationId'] = v.node.activationId;
    out['IamRole'] = v.node.iamRole;
    out['RegistrationDate'] = epoch(v.node.registrationDate);
    if (v.node.name) out['Name'] = v.node.name;
  }
  return out;
}

/** A field of InstanceInformation that a filter key compares against (as info() shows it; per node of a
 * 10,000-node scan, so without building the whole record). */
function field(v: NodeView, key: string): string | undefined {
  switch (key) {
    case 'ActivationIds':
      return v.node?.activationId;
    case 'AgentVersion':
      return AGENT_VERSION;
    case 'IamRole':
      return v.node?.iamRole;
    case 'InstanceIds':
    case 'SourceIds':
      return v.id;
    case 'PingStatus':
      return v.pingStatus;
    case 'PlatformTypes':
      return 'Linux';
    case 'ResourceType':
      return v.resourceType;
    case 'SourceTypes':
      return v.resourceType === 'EC2Instance' ? 'AWS::EC2::Instance' : 'AWS::SSM::ManagedInstance';
    default:
      return undefined;
  }
}

/** The matching nodes of a paging sequence, kept from its first page: later pages (NextToken) are slices of
 * it, not a new scan of every node each (10,000 nodes in pages of 50: 200 scans otherwise). A few sequences
 * at once; a first page always scans anew. */
const sequences = new WeakMap<LabState, Map<string, NodeView[]>>();
const KEPT_SEQUENCES = 64;

function matching(s: LabState, key: string, next: boolean, scan: () => NodeView[]): NodeView[] {
  let kept = sequences.get(s);
  if (!kept) sequences.set(s, (kept = new Map()));
  const had = next ? kept.get(key) : undefined;
  if (had) return had;
  const views = scan();
  kept.delete(key);
  kept.set(key, views);
  if (kept.size > KEPT_SEQUENCES) kept.delete(kept.keys().next().value!);
  return views;
}

export function describeInstanceInformation(s: LabState, input: Json): unknown {
  const max = optNum(input, 'MaxResults');
  new Checks().range(max, 'maxResults', 5, 50).done();
  const stringFilters = (optList(input, 'Filters') ?? []).map((f) => ({ key: optStr(f, 'Key') ?? '', values: optStrList(f, 'Values') ?? [] }));
  const legacy = (optList(input, 'InstanceInformationFilterList') ?? []).map((f) => ({ key: optStr(f, 'key') ?? '', values: optStrList(f, 'valueSet') ?? [] }));
  if (stringFilters.length > 0 && legacy.length > 0) throw validationError(['InstanceInformationFilterList and Filters cannot be used together']);
  const filters = [...stringFilters, ...legacy];
  const checks = new Checks();
  filters.forEach((f, n) => checks.length(f.values, `filters.${n + 1}.member.values`, 1, 100));
  checks.done();
  for (const f of filters) {
    const isTag = f.key.startsWith('tag:') || f.key === 'tag-key';
    if (isTag && legacy.length > 0) throw new ApiError('InvalidFilterKey', `The filter key ${f.key} is not valid in InstanceInformationFilterList`);
    if (!isTag && !FILTER_KEYS.includes(f.key)) throw new ApiError('InvalidFilterKey', `The filter key ${f.key} is not valid`);
  }
  const tagFilters = filters.filter((f) => f.key.startsWith('tag:') || f.key === 'tag-key');
  if (tagFilters.length > 0 && tagFilters.length < filters.length) throw validationError(['Tag filters cannot be combined with other filter types']);
  const token = optStr(input, 'NextToken');
  const views = matching(s, JSON.stringify(filters), token !== undefined && token !== '', () =>
    s.fleet.views().filter((v) =>
      filters.every((f) => {
        if (f.key === 'tag-key') return f.values.some((k) => v.tags.has(k));
        if (f.key.startsWith('tag:')) return f.values.includes(v.tags.get(f.key.slice(4)) ?? '\0');
        const have = field(v, f.key);
        return have !== undefined && f.values.includes(have);
      }),
    ),
  );
  const page = paginate(views, { maxResults: max ?? 10, token, request: filters });
  if (!page) throw new ApiError('InvalidNextToken', 'The specified token is not valid.');
  return { InstanceInformationList: page.items.map((v) => info(s, v)), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}

function managedNode(s: LabState, input: Json): { tags: Map<string, string> } {
  const type = optStr(input, 'ResourceType');
  const id = optStr(input, 'ResourceId');
  new Checks().required(type, 'resourceType').required(id, 'resourceId').done();
  if (type !== 'ManagedInstance') throw new ApiError('InvalidResourceType', `stns-fleet lab: only ManagedInstance resources carry SSM tags here (got ${type})`);
  const node = s.fleet.nodes.get(id!);
  if (!node) throw new ApiError('InvalidResourceId', `The resource ID "${id}" is not valid. Verify the ID and try again.`);
  return node;
}

export function addTagsToResource(s: LabState, input: Json): unknown {
  const node = managedNode(s, input);
  const tags = (optList(input, 'Tags') ?? []).map((t) => ({ Key: optStr(t, 'Key') ?? '', Value: optStr(t, 'Value') }));
  const checks = new Checks().length(tags, 'tags', 1, 1000);
  tags.forEach((t, n) => checks.length(t.Key, `tags.${n + 1}.member.key`, 1, 128).required(t.Value, `tags.${n + 1}.member.value`).length(t.Value, `tags.${n + 1}.member.value`, 0, 256));
  checks.done();
  const next = new Map(node.tags);
  for (const t of tags) next.set(t.Key, t.Value!);
  if (next.size > 50) throw new ApiError('TooManyTagsError', 'The Targets parameter includes too many tags. Remove one or more tags and try the command again.');
  node.tags.clear();
  for (const [k, v] of next) node.tags.set(k, v);
  return {};
}

export function removeTagsFromResource(s: LabState, input: Json): unknown {
  const node = managedNode(s, input);
  const keys = optStrList(input, 'TagKeys');
  new Checks().required(keys, 'tagKeys').done();
  for (const k of keys!) node.tags.delete(k);
  return {};
}

export function listTagsForResource(s: LabState, input: Json): unknown {
  const node = managedNode(s, input);
  return { TagList: [...node.tags].map(([Key, Value]) => ({ Key, Value })) };
}

export function deregisterManagedInstance(s: LabState, input: Json): unknown {
  const id = optStr(input, 'InstanceId');
  new Checks().required(id, 'instanceId').length(id, 'instanceId', 20, 124).done();
  if (!MANAGED_ID.test(id!) || !s.fleet.nodes.delete(id!)) throw new ApiError('InvalidInstanceId', `Instance Id ${id} is not a registered managed node.`);
  return {};
}

export function createActivation(s: LabState, input: Json, ctx: RequestContext): unknown {
  const iamRole = optStr(input, 'IamRole');
  const limit = optNum(input, 'RegistrationLimit');
  const description = optStr(input, 'Description');
  const defaultInstanceName = optStr(input, 'DefaultInstanceName');
  const expiration = optDate(input, 'ExpirationDate');
  const tags = (optList(input, 'Tags') ?? []).map((t) => ({ Key: optStr(t, 'Key') ?? '', Value: optStr(t, 'Value') ?? '' }));
  new Checks()
    .required(iamRole, 'iamRole')
    .length(iamRole, 'iamRole', 0, 64)
    .range(limit, 'registrationLimit', 1, 1000)
    .length(description, 'description', 0, 256)
    .length(defaultInstanceName, 'defaultInstanceName', 0, 256)
    .length(tags, 'tags', 0, 1000)
    .done();
  const now = Date.now();
  if (expiration && (expiration.getTime() <= now || expiration.getTime() > now + MAX_EXPIRY_MS)) {
    throw new ApiError('InvalidParameters', 'ExpirationDate must be in the future and at most 30 days from now');
  }
  const a = s.activations.create({
    iamRole: iamRole!,
    region: ctx.region,
    registrationLimit: limit ?? 1,
    expirationDate: expiration ?? new Date(now + 24 * 3600_000),
    tags,
    ...(description !== undefined ? { description } : {}),
    ...(defaultInstanceName !== undefined ? { defaultInstanceName } : {}),
  });
  return { ActivationId: a.id, ActivationCode: a.code };
}

export function deleteActivation(s: LabState, input: Json): unknown {
  const id = optStr(input, 'ActivationId');
  new Checks().required(id, 'activationId').done();
  s.activations.delete(id!);
  return {};
}

export function describeActivations(s: LabState, input: Json): unknown {
  const max = optNum(input, 'MaxResults');
  new Checks().range(max, 'maxResults', 1, 50).done();
  const filters = (optList(input, 'Filters') ?? []).map((f) => ({ key: optStr(f, 'FilterKey') ?? '', values: optStrList(f, 'FilterValues') ?? [] }));
  const checks = new Checks();
  filters.forEach((f, n) => checks.oneOf(f.key, `filters.${n + 1}.member.filterKey`, ['ActivationIds', 'DefaultInstanceName', 'IamRole']));
  checks.done();
  const list = [...s.activations.all.values()].filter((a) =>
    filters.every((f) => f.values.includes(f.key === 'ActivationIds' ? a.id : f.key === 'IamRole' ? a.iamRole : (a.defaultInstanceName ?? ''))),
  );
  const page = paginate(list, { maxResults: max ?? 50, token: optStr(input, 'NextToken'), request: filters });
  if (!page) throw new ApiError('InvalidNextToken', 'The specified token is not valid.');
  return {
    ActivationList: page.items.map((a) => ({
      ActivationId: a.id,
      Description: a.description ?? '',
      DefaultInstanceName: a.defaultInstanceName ?? '',
      IamRole: a.iamRole,
      RegistrationLimit: a.registrationLimit,
      RegistrationsCount: a.registrationsCount,
      ExpirationDate: epoch(a.expirationDate),
      Expired: s.activations.expired(a),
      CreatedDate: epoch(a.createdDate),
      Tags: a.tags,
    })),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}
