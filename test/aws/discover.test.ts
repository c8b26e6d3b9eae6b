import { DescribeInstancesCommand, type Filter } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, ListTagsForResourceCommand, type InstanceInformationStringFilter } from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { hostName } from '../../src/aws/discover.js';
import { fakeInventory, type Machine } from './fake-inventory.js';
import { ids, setup } from './helpers.js';

type Ec2Input = { Filters?: Filter[]; NextToken?: string; InstanceIds?: string[] };
type SsmInput = { Filters?: InstanceInformationStringFilter[]; NextToken?: string; MaxResults?: number };

function world(machines: Machine[], pages: { ec2PageSize?: number; ssmPageSize?: number } = {}) {
  const s = setup();
  fakeInventory(machines, { ec2: s.ec2Mock, ssm: s.ssmMock }, pages);
  const ec2Calls = (): Ec2Input[] => s.ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input as Ec2Input);
  const ssmCalls = (): SsmInput[] => s.ssmMock.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input as SsmInput);
  return { ...s, ec2Calls, ssmCalls };
}

const values = (filters: { Name?: string; Key?: string; Values?: string[] }[] | undefined, key: string): string[] =>
  filters?.find((f) => (f.Name ?? f.Key) === key)?.Values ?? [];

describe('by ID', () => {
  test('EC2 IDs: instance-id filter in chunks of ≤ 200, every page followed; unknown IDs are notFound', async () => {
    const wanted = ids('i-', 450);
    const unknown = new Set(wanted.filter((_, k) => k % 20 === 7)); // spread over every chunk
    const { transport, ec2Calls, ssmCalls } = world(
      wanted.filter((id) => !unknown.has(id)).map((id) => ({ id, tags: { Name: `web-${id.slice(-3)}` } })),
      { ec2PageSize: 150 },
    );
    const d = await transport.discover({ ids: [...wanted].reverse(), tagSelectors: [] });

    const calls = ec2Calls();
    expect(calls.every((c) => c.InstanceIds === undefined && c.Filters?.length === 1 && c.Filters[0]!.Name === 'instance-id')).toBe(true);
    const firstPages = calls.filter((c) => !c.NextToken);
    expect(firstPages.every((c) => values(c.Filters, 'instance-id').length <= 200)).toBe(true);
    expect(firstPages.flatMap((c) => values(c.Filters, 'instance-id')).sort()).toEqual([...wanted].sort());
    // Chunks with more than 150 hits have a second page, asked for with the token and the same filter.
    const followUps = calls.filter((c) => c.NextToken);
    expect(followUps.length).toBeGreaterThan(0);
    for (const f of followUps) {
      expect(f.NextToken).toBe('150');
      expect(firstPages.some((c) => JSON.stringify(c.Filters) === JSON.stringify(f.Filters))).toBe(true);
    }
    expect(d.hosts.map((h) => h.id)).toEqual(wanted.filter((id) => !unknown.has(id)).sort());
    expect(d.notFound).toEqual([...unknown].sort());
    expect(d.hosts.every((h) => h.kind === 'ec2' && h.ec2State === 'running' && h.name === `web-${h.id.slice(-3)}`)).toBe(true);
    // SSM knows none of them: every host says so, after SSM was asked about each (≤ 50 per call).
    expect(d.hosts.every((h) => h.ssm === undefined)).toBe(true);
    expect(ssmCalls().every((c) => values(c.Filters, 'InstanceIds').length <= 50)).toBe(true);
    expect(ssmCalls().flatMap((c) => values(c.Filters, 'InstanceIds')).sort()).toEqual(d.hosts.map((h) => h.id));
  });

  test('managed node IDs: InstanceIds filter, ≤ 50 per call, MaxResults 50, paged with NextToken threaded', async () => {
    const nodes = ids('mi-', 120);
    const { transport, ssmCalls, ec2Calls } = world(
      nodes.map((id, k) => ({ id, ssm: k % 2 ? { Name: `pi-${k}`, ComputerName: `raspberrypi-${k}` } : { ComputerName: `raspberrypi-${k}` } })),
      { ssmPageSize: 20 },
    );
    const d = await transport.discover({ ids: nodes, tagSelectors: [] });

    const calls = ssmCalls();
    expect(calls.every((c) => c.MaxResults === 50 && c.Filters?.length === 1 && values(c.Filters, 'InstanceIds').length <= 50)).toBe(true);
    const chunks = new Map<string, (string | undefined)[]>();
    for (const c of calls) chunks.set(JSON.stringify(c.Filters), [...(chunks.get(JSON.stringify(c.Filters)) ?? []), c.NextToken]);
    expect([...chunks.values()].map((tokens) => tokens.length)).toEqual([3, 3, 1]); // 50, 50, 20 at 20 a page
    expect([...chunks.values()][0]).toEqual([undefined, '20', '40']);
    expect(ec2Calls()).toHaveLength(0); // no EC2 call for mi- IDs
    expect(d.hosts).toHaveLength(120);
    expect(d.notFound).toEqual([]);
    const byId = new Map(d.hosts.map((h) => [h.id, h]));
    // No Name tag: SSM's ComputerName, never SSM's Name (the activation's default instance name).
    expect(byId.get(nodes[1]!)).toMatchObject({ kind: 'managed', name: 'raspberrypi-1', tags: {}, ssm: { pingStatus: 'Online', computerName: 'raspberrypi-1' } });
    expect(byId.get(nodes[2]!)!.name).toBe('raspberrypi-2');
    expect(byId.get(nodes[2]!)!.ec2State).toBeUndefined();
  });

  test('IDs nobody knows (and malformed ones) are notFound, sorted; duplicates count once', async () => {
    const [a, b] = ids('i-', 2);
    const [m, n] = ids('mi-', 2);
    const { transport } = world([{ id: a!, ssm: { AgentVersion: '3.3.0.0' } }, { id: m!, ssm: {} }]);
    const d = await transport.discover({ ids: [n!, b!, a!, m!, a!, 'bogus'], tagSelectors: [] });
    expect(d.hosts.map((h) => h.id)).toEqual([a, m].sort());
    expect(d.notFound).toEqual(['bogus', b, n].sort());
    expect(d.hosts.find((h) => h.id === a)!.ssm).toMatchObject({ pingStatus: 'Online', agentVersion: '3.3.0.0' });
  });
});

describe('by tags', () => {
  const sel = { Role: ['web', 'api'], Env: ['prod'] };
  const [webProd, apiStopped, webDev, webGone, noAgent, ssmOnly] = ids('i-', 6);
  const [piProd, piDb] = ids('mi-', 2);
  const machines: Machine[] = [
    { id: webProd!, tags: { Role: 'web', Env: 'prod', Name: 'web-1' }, ssm: { PlatformName: 'Ubuntu', PlatformVersion: '24.04' } },
    { id: apiStopped!, tags: { Role: 'api', Env: 'prod' }, state: 'stopped' },
    { id: webDev!, tags: { Role: 'web', Env: 'dev' }, ssm: {} },
    { id: webGone!, tags: { Role: 'web', Env: 'prod' }, state: 'terminated' },
    { id: noAgent!, tags: { Role: 'web', Env: 'prod', Name: 'no-agent' } },
    // SSM's tag search finds it, EC2's does not: EC2 is then asked about it by ID.
    { id: ssmOnly!, tags: { Name: 'late-tagged' }, ssmTags: { Role: 'api', Env: 'prod' }, ssm: {} },
    { id: piProd!, tags: { Role: 'web', Env: 'prod', Name: 'pi-kitchen' }, ssm: { Name: 'default-name', ComputerName: 'raspberrypi' } },
    { id: piDb!, tags: { Role: 'db', Env: 'prod' }, ssm: {} },
  ];

  test('a selector becomes tag filters: keys AND, values OR; EC2 also excludes terminated/shutting-down', async () => {
    const { transport, ec2Calls, ssmCalls } = world(machines);
    await transport.discover({ ids: [], tagSelectors: [sel] });
    const byTag = ec2Calls().filter((c) => c.Filters?.some((f) => f.Name?.startsWith('tag:')));
    expect(byTag).toHaveLength(1);
    expect(values(byTag[0]!.Filters, 'tag:Role')).toEqual(['web', 'api']);
    expect(values(byTag[0]!.Filters, 'tag:Env')).toEqual(['prod']);
    const states = values(byTag[0]!.Filters, 'instance-state-name');
    expect(states).toContain('running');
    expect(states).toContain('stopped');
    expect(states).not.toContain('terminated');
    expect(states).not.toContain('shutting-down');
    // SSM: tag filters only (they cannot be mixed with other keys).
    const ssmByTag = ssmCalls().filter((c) => c.Filters?.some((f) => f.Key?.startsWith('tag:')));
    expect(ssmByTag.map((c) => c.Filters)).toEqual([
      [
        { Key: 'tag:Role', Values: ['web', 'api'] },
        { Key: 'tag:Env', Values: ['prod'] },
      ],
    ]);
  });

  test('EC2 and SSM results are merged by ID and joined: each EC2 instance gets its SSM view or none', async () => {
    const { transport, ec2Calls } = world(machines);
    const d = await transport.discover({ ids: [], tagSelectors: [sel] });
    expect(d.hosts.map((h) => h.id)).toEqual([webProd, apiStopped, noAgent, ssmOnly, piProd].sort());
    const h = new Map(d.hosts.map((x) => [x.id, x]));
    expect(h.get(webProd!)).toMatchObject({ kind: 'ec2', name: 'web-1', ec2State: 'running', ssm: { platformName: 'Ubuntu', platformVersion: '24.04' } });
    expect(h.get(apiStopped!)).toMatchObject({ ec2State: 'stopped' });
    expect(h.get(apiStopped!)!.ssm).toBeUndefined();
    expect(h.get(noAgent!)!.ssm).toBeUndefined();
    expect(h.get(ssmOnly!)).toMatchObject({ kind: 'ec2', name: 'late-tagged', ec2State: 'running', ssm: { pingStatus: 'Online' } });
    expect(ec2Calls().some((c) => values(c.Filters, 'instance-id').includes(ssmOnly!))).toBe(true);
    // A managed node's tags are read in every discovery: its Name tag wins over SSM's default name.
    expect(h.get(piProd!)).toMatchObject({ kind: 'managed', name: 'pi-kitchen', tags: { Role: 'web', Env: 'prod', Name: 'pi-kitchen' } });
    expect(d.notFound).toEqual([]);
  });

  test('the SSM view of an EC2 instance is asked for only when SSM has not given it already', async () => {
    const { transport, ssmCalls } = world(machines);
    await transport.discover({ ids: [], tagSelectors: [sel] });
    const asked = ssmCalls().flatMap((c) => values(c.Filters, 'InstanceIds'));
    expect(asked.sort()).toEqual([apiStopped, noAgent].sort()); // webProd came with SSM's tag search
  });

  test('every discovery reads each managed node\'s SSM tags (one call per node), and no EC2 instance\'s', async () => {
    const { transport, ssmMock } = world(machines);
    const d = await transport.discover({ ids: [piDb!], tagSelectors: [sel] });
    const listed = ssmMock.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input);
    expect(listed.map((i) => i.ResourceId).sort()).toEqual([piDb, piProd].sort());
    expect(listed.every((i) => i.ResourceType === 'ManagedInstance')).toBe(true);
    expect(d.hosts.find((x) => x.id === piProd)).toMatchObject({ name: 'pi-kitchen', tags: { Role: 'web', Env: 'prod', Name: 'pi-kitchen' } });
    expect(d.hosts.find((x) => x.id === piDb)).toMatchObject({ tags: { Role: 'db', Env: 'prod' } });
  });

  test('several selectors are OR-ed; a host matched twice is listed once; an empty selector selects nothing', async () => {
    const { transport, ec2Calls } = world(machines);
    const d = await transport.discover({ ids: [webProd!], tagSelectors: [{ Role: ['db'] }, { Name: ['web-1'] }, {}] });
    expect(d.hosts.map((x) => x.id)).toEqual([webProd, piDb].sort());
    // The empty selector made no call (it would have listed every instance in the account).
    expect(ec2Calls().every((c) => c.Filters?.some((f) => f.Name === 'instance-id' || f.Name?.startsWith('tag:')))).toBe(true);
  });
});

describe('one name per host, for every command (hostName)', () => {
  // Two boards registered with one activation: SSM names both after its DefaultInstanceName ("lab-pi").
  const [pi19, pi20, piBare, piNothing] = ids('mi-', 4, 0x19);
  const [web, webBare] = ids('i-', 2, 0x50);
  const boards: Machine[] = [
    { id: pi19!, tags: { Name: 'lab-019' }, ssm: { Name: 'lab-pi', ComputerName: 'raspberrypi' } },
    { id: pi20!, tags: { Name: 'lab-020' }, ssm: { Name: 'lab-pi', ComputerName: 'raspberrypi' } },
    { id: piBare!, ssm: { Name: 'lab-pi', ComputerName: 'kitchen-pi' } },
    { id: piNothing!, ssm: { Name: 'lab-pi' } },
    { id: web!, tags: { Name: 'web-1' }, ssm: { ComputerName: 'ip-10-0-0-1.ec2.internal' } },
    { id: webBare!, ssm: { ComputerName: 'ip-10-0-0-2.ec2.internal' } },
  ];

  test('the Name tag, else ComputerName, else none (the ID is shown); never the activation\'s default name', async () => {
    const { transport } = world(boards);
    const d = await transport.discover({ ids: boards.map((m) => m.id), tagSelectors: [] });
    const names = Object.fromEntries(d.hosts.map((h) => [h.id, h.name]));
    expect(names).toEqual({ [pi19!]: 'lab-019', [pi20!]: 'lab-020', [piBare!]: 'kitchen-pi', [piNothing!]: undefined, [web!]: 'web-1', [webBare!]: 'ip-10-0-0-2.ec2.internal' });
    expect(d.hosts.some((h) => h.name === 'lab-pi')).toBe(false);
  });

  test('without any option (as plan, apply and verify discover): managed nodes\' tags are read, EC2 costs no extra call', async () => {
    const { transport, ssmMock, ec2Calls } = world(boards);
    await transport.discover({ ids: boards.map((m) => m.id), tagSelectors: [] });
    const listed = ssmMock.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input.ResourceId);
    expect(listed.sort()).toEqual([pi19, pi20, piBare, piNothing].sort());
    // EC2: one DescribeInstances for the IDs (the Name tag comes with it), nothing per instance.
    expect(ec2Calls()).toHaveLength(1);
  });

  test('hostName: blank tags and names count as none', () => {
    expect(hostName({ Name: 'a' }, 'b')).toBe('a');
    expect(hostName({ Name: '  ' }, 'b')).toBe('b');
    expect(hostName({}, '')).toBeUndefined();
    expect(hostName({ Role: 'web' }, undefined)).toBeUndefined();
  });
});
