// The EC2 operations the lab answers (query protocol in, XML in the EC2 namespace out): DescribeInstances
// (InstanceIds, filters instance-id / instance-state-name / tag:<key> / tag-key with * and ? wildcards,
// MaxResults/NextToken paging) and CreateTags. Unknown filters and actions are errors, never ignored.
import type { QueryParams } from './ec2-query.js';
import { ApiError } from './errors.js';
import type { LabHost } from './hosts.js';
import { paginate } from './paging.js';
import { ACCOUNT_ID, type LabState } from './state.js';
import { document, el, type Element } from './xml.js';

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

type Handler = (s: LabState, q: QueryParams) => Element[];

function response(action: string, requestId: string, body: Element[]): string {
  const root = el(`${action}Response`, el('requestId', requestId), ...body);
  root.attrs = { xmlns: EC2_NAMESPACE };
  return document(root);
}

export function ec2Error(code: string, message: string, requestId: string): string {
  return document(el('Response', el('Errors', el('Error', el('Code', code), el('Message', message))), el('RequestID', requestId)));
}

function dryRun(q: QueryParams): void {
  if (q.get('DryRun') === 'true') throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
}

const patterns = new Map<string, RegExp>();

/** A filter value as a regular expression, compiled once (a 10,000-host DescribeInstances tests each per host). */
function wildcard(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = compile(pattern)));
  return re;
}

function compile(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

function filterMatches(h: LabHost, name: string, values: string[]): boolean {
  const e = h.ec2!;
  const any = (v: string | undefined): boolean => v !== undefined && values.some((p) => wildcard(p).test(v));
  if (name === 'instance-id') return any(e.instanceId);
  if (name === 'instance-state-name') return any(e.state);
  if (name === 'tag-key') return [...e.tags.keys()].some((k) => any(k));
  return any(e.tags.get(name.slice('tag:'.length)));
}

function instanceXml(h: LabHost): Element {
  const e = h.ec2!;
  return el(
    'item',
    el('instanceId', e.instanceId),
    el('imageId', e.imageId),
    el('instanceState', el('code', e.state === 'running' ? 16 : 80), el('name', e.state)),
    el('privateDnsName', e.privateDnsName),
    el('dnsName', ''),
    el('instanceType', e.instanceType),
    el('launchTime', e.launchTime.toISOString()),
    el('placement', el('availabilityZone', e.availabilityZone), el('tenancy', 'default')),
    el('monitoring', el('state', 'disabled')),
    el('privateIpAddress', e.privateIp),
    el('architecture', h.arch === 'arm64' ? 'arm64' : 'x86_64'),
    el('rootDeviceType', 'ebs'),
    el('rootDeviceName', '/dev/xvda'),
    el('virtualizationType', 'hvm'),
    el('hypervisor', 'xen'),
    el('platformDetails', 'Linux/UNIX'),
    el('tagSet', ...[...e.tags].map(([k, v]) => el('item', el('key', k), el('value', v)))),
  );
}

const describeInstances: Handler = (s, q) => {
  dryRun(q);
  const ids = q.list('InstanceId');
  const maxRaw = q.get('MaxResults');
  const filters = q.filters();
  if (maxRaw !== undefined && ids.length > 0) {
    throw new ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const max = maxRaw === undefined ? undefined : Number(maxRaw);
  if (max !== undefined && !(Number.isInteger(max) && max >= 5 && max <= 1000)) {
    throw new ApiError('InvalidParameterValue', `Value ( ${maxRaw} ) for parameter maxResults is invalid. Expecting a value greater than 5.`);
  }
  const malformed = ids.find((id) => !INSTANCE_ID.test(id));
  if (malformed) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`);
  const missing = ids.filter((id) => !s.fleet.ec2(id));
  if (missing.length === 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
  for (const f of filters) {
    if (!['instance-id', 'instance-state-name', 'tag-key'].includes(f.name) && !/^tag:.+/.test(f.name)) {
      throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    }
  }
  const hosts = s.fleet.hosts.filter((h) => h.ec2 && (ids.length === 0 || ids.includes(h.ec2.instanceId)) && filters.every((f) => filterMatches(h, f.name, f.values)));
  const page = paginate(hosts, { maxResults: max ?? (hosts.length || 1), token: q.get('NextToken'), request: { filters, max } });
  if (!page) throw new ApiError('InvalidPaginationToken', `Invalid pagination token: ${q.get('NextToken')}`);
  const reservations = page.items.map((h) =>
    el('item', el('reservationId', h.ec2!.reservationId), el('ownerId', ACCOUNT_ID), el('groupSet'), el('instancesSet', instanceXml(h))),
  );
  return [el('reservationSet', ...reservations), ...(page.nextToken ? [el('nextToken', page.nextToken)] : [])];
};

const createTags: Handler = (s, q) => {
  dryRun(q);
  const resources = q.list('ResourceId');
  const tags = q.tags();
  if (resources.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  if (tags.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter tagSet');
  for (const t of tags) {
    if (t.key === '') throw new ApiError('InvalidParameterValue', 'Tag key must not be empty');
    if (t.key.startsWith('aws:')) throw new ApiError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
  }
  const hosts = resources.map((id) => {
    if (!INSTANCE_ID.test(id)) throw new ApiError('InvalidID', `The ID '${id}' is not valid`);
    const h = s.fleet.ec2(id);
    if (!h) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return h;
  });
  for (const h of hosts) {
    const next = new Map(h.ec2!.tags);
    for (const t of tags) next.set(t.key, t.value ?? '');
    if (next.size > 50) throw new ApiError('TagLimitExceeded', `The maximum number of tags for ${h.ec2!.instanceId} (50) has been exceeded`);
  }
  for (const h of hosts) for (const t of tags) h.ec2!.tags.set(t.key, t.value ?? '');
  return [el('return', true)];
};

const ACTIONS: Record<string, Handler> = { DescribeInstances: describeInstances, CreateTags: createTags };

/** Runs `action`, returning the XML response; throws ApiError for the error response. */
export function ec2Call(s: LabState, action: string, q: QueryParams, requestId: string): string {
  const h = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (!h) throw new ApiError('UnsupportedOperation', `stns-fleet lab: EC2 ${action || '(no Action)'} is not implemented`);
  return response(action, requestId, h(s, q));
}
