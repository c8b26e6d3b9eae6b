// Hybrid activation end to end: CreateActivation, the amazon-ssm-agent stand-in registering a board through
// Run Command (new mi- ID, registration files, activation tags, every attempt a restart of the agent), clone
// routing (an ID shared by cloned SD cards: the boards take turns, a restarted agent answers next, the last
// ping's address follows; or, with cloneAnswers 'last-started', always the newest board), expiry and
// registration limits, -register -clear, DeregisterManagedInstance, SSM tags of managed nodes (DescribeInstance-
// Information tag: filters), DescribeActivations / DeleteActivation, a detached worker outliving its command.
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  DeleteActivationCommand,
  DeregisterManagedInstanceCommand,
  DescribeActivationsCommand,
  DescribeInstanceInformationCommand,
  ListTagsForResourceCommand,
  RemoveTagsFromResourceCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type Lab } from '../src/lab.js';
import { clients, FAST, run, sleep, useLab, waitFor } from './helpers.js';

const t = useLab({ hosts: 6, pis: 2, faults: 'clones=2', seed: 'activation' });
const WHO = '. "$STNS_FLEET_ROOT/var/lib/stns-fleet-lab/host.env"; echo "$LAB_HOST $AWS_SSM_INSTANCE_ID"';

async function on(id: string, script: string, ssm = t.ssm): Promise<{ out: string; status: string; code: number }> {
  const r = await run(ssm, { ids: [id] }, script);
  const i = r.invocations[0]!;
  return { out: i.CommandPlugins![0]!.Output!, status: i.StatusDetails!, code: i.CommandPlugins![0]!.ResponseCode! };
}

/** The lab key of the board that answered a command to `id`. */
async function who(id: string, ssm = t.ssm): Promise<string> {
  const r = await on(id, WHO, ssm);
  expect(r.out.endsWith(` ${id}\n`)).toBe(true);
  return r.out.split(' ')[0]!;
}

async function info(id: string, ssm = t.ssm) {
  const r = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }));
  return r.InstanceInformationList?.[0];
}

const ipOf = (key: string): string => t.lab.host(key)!.ip;
const agentFile = (key: string): string => readFileSync(path.join(t.lab.host(key)!.dir, 'var/lib/stns-fleet-lab/agent'), 'utf8');
const holders = (id: string): string[] => t.lab.hosts.filter((h) => h.id === id).map((h) => h.key);

describe('registration and clones', () => {
  let first: string;
  let activation: { ActivationId?: string; ActivationCode?: string };
  let fresh: string;
  let moved: string;

  test('clones share the first Pi ID; they take turns answering it, starting with the most recently started; the last ping address follows', async () => {
    const pis = t.lab.hosts.filter((h) => h.kind === 'managed');
    expect(pis.map((h) => [h.key, h.cloneOf])).toEqual([['lab-005', undefined], ['lab-006', undefined], ['lab-007', 'lab-005'], ['lab-008', 'lab-005']]);
    first = pis[0]!.id!;
    expect(holders(first)).toEqual(['lab-005', 'lab-007', 'lab-008']);
    // Before any command: the newest board is the one SSM heard last and the one that answers next.
    expect(t.lab.host(first)!.key).toBe('lab-008');
    expect(await info(first)).toMatchObject({ PingStatus: 'Online', ResourceType: 'ManagedInstance', ComputerName: 'lab-005', IPAddress: ipOf('lab-008') });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(await who(first));
      expect((await info(first))!.IPAddress).toBe(ipOf(seen.at(-1)!));
    }
    expect(seen).toEqual(['lab-008', 'lab-005', 'lab-007', 'lab-008']);
    expect(t.lab.host(first)!.key).toBe('lab-005');
    // An ID held by one board is always that board.
    const own = t.lab.host('lab-006')!.id!;
    expect([await who(own), await who(own)]).toEqual(['lab-006', 'lab-006']);
  });

  test('a stopped agent drops out of the turns; a started one answers the next command, then the turns go on', async () => {
    t.lab.setAgent('lab-005', 'stopped');
    expect(t.lab.hosts.find((h) => h.key === 'lab-005')).toMatchObject({ state: 'agent-stopped', answers: false, pingStatus: 'Online' });
    expect([await who(first), await who(first), await who(first)]).toEqual(['lab-007', 'lab-008', 'lab-007']);
    t.lab.setAgent('lab-005', 'running');
    expect([await who(first), await who(first), await who(first)]).toEqual(['lab-005', 'lab-007', 'lab-008']);
    // Restarted through the service stand-in on the board itself (`service … restart`): the same.
    expect((await on(first, 'service amazon-ssm-agent restart')).code).toBe(0); // lab-005's turn
    expect(await who(first)).toBe('lab-005');
    expect(await who(first)).toBe('lab-007');
  });

  test('CreateActivation, then -register -y through Run Command: a new ID with the activation tags; the clones left behind answer the old one', async () => {
    const expires = new Date(Date.now() + 3 * 24 * 3600_000);
    activation = await t.ssm.send(
      new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 2, ExpirationDate: expires, DefaultInstanceName: 'pi-reactivated', Tags: [{ Key: 'Fleet', Value: 'edge' }] }),
    );
    expect(activation.ActivationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(activation.ActivationCode).toMatch(/^[A-Za-z0-9]{20}$/);
    moved = t.lab.host(first)!.key;
    expect(moved).toBe('lab-008');
    const before = Date.now();
    const r = await on(first, `amazon-ssm-agent -register -code ${activation.ActivationCode} -id ${activation.ActivationId} -region us-east-1 -y`);
    expect(r.code).toBe(0);
    fresh = /Managed instance-id: (mi-[0-9a-f]{17})/.exec(r.out)![1]!;
    const board = t.lab.hosts.find((h) => h.key === moved)!;
    expect(board.id).toBe(fresh);
    expect(JSON.parse(readFileSync(path.join(board.dir, 'var/lib/amazon/ssm/registration'), 'utf8'))).toEqual({ ManagedInstanceID: fresh, Region: 'us-east-1' });
    // The registration counts as an agent restart.
    expect(Number(/^running (\d+)\n$/.exec(agentFile(moved))![1])).toBeGreaterThanOrEqual(before);
    expect(await who(fresh)).toBe(moved);
    expect(holders(first)).toEqual(['lab-005', 'lab-007']);
    expect([await who(first), await who(first)]).toEqual(['lab-005', 'lab-007']);
    expect(await info(fresh)).toMatchObject({ PingStatus: 'Online', Name: 'pi-reactivated', ActivationId: activation.ActivationId, IPAddress: ipOf(moved) });
    expect((await t.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: fresh }))).TagList).toEqual([{ Key: 'Fleet', Value: 'edge' }]);
    // The activation's tags are the node's SSM tags: DescribeInstanceInformation's tag: filter finds it, alone.
    const tagged = await t.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:Fleet', Values: ['edge'] }] }));
    expect(tagged.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([fresh]);
    const d = await t.ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [activation.ActivationId!] }] }));
    expect(d.ActivationList?.[0]).toMatchObject({ RegistrationLimit: 2, RegistrationsCount: 1, Expired: false, DefaultInstanceName: 'pi-reactivated' });
    expect(d.ActivationList?.[0]?.ExpirationDate?.getTime()).toBe(expires.getTime());
  });

  test('without -y an existing registration is kept; a wrong code or another region fail, and a failed attempt is a restart too; a used-up activation fails', async () => {
    const args = `-code ${activation.ActivationCode} -id ${activation.ActivationId} -region us-east-1`;
    expect(t.lab.host(first)!.key).toBe('lab-005');
    const kept = await on(first, `amazon-ssm-agent -register ${args}`); // lab-005: declined at the prompt
    expect(kept).toMatchObject({ code: 1, status: 'Failed' });
    expect(kept.out).toContain('Instance already registered');
    expect(holders(first)).toEqual(['lab-005', 'lab-007']);
    const wrong = await on(first, `amazon-ssm-agent -register -code WRONGCODE1234567890x -id ${activation.ActivationId} -region us-east-1 -y`); // lab-007
    expect(wrong.out).toContain('InvalidActivation');
    // lab-007's agent restarted after the failed attempt: it answers again, out of turn.
    expect(agentFile('lab-007')).toMatch(/^running \d+\n$/);
    expect(await who(first)).toBe('lab-007');
    const region = await on(first, `amazon-ssm-agent -register ${args.replace('us-east-1', 'eu-west-1')} -y`); // lab-005
    expect(region.out).toContain('InvalidActivation');
    expect(await who(first)).toBe('lab-005');
    expect(holders(first)).toEqual(['lab-005', 'lab-007']);
    expect((await on(first, `amazon-ssm-agent -register ${args} -y`)).code).toBe(0); // lab-007 moves
    expect(holders(first)).toEqual(['lab-005']);
    const full = await on(t.lab.host('lab-006')!.id!, `amazon-ssm-agent -register ${args} -y`);
    expect(full).toMatchObject({ code: 1 });
    expect(full.out).toContain('ActivationLimitExceeded');
    expect(holders(first)).toEqual(['lab-005']);
  });

  test('-register -clear empties the vault: the board no longer answers for its ID (the informational registration file stays)', async () => {
    expect(t.lab.host(first)!.key).toBe('lab-005');
    const r = await on(first, 'amazon-ssm-agent -register -clear; ls "$STNS_FLEET_ROOT/var/lib/amazon/ssm/Vault/Store"; cat "$STNS_FLEET_ROOT/var/lib/amazon/ssm/registration"');
    expect(r.out).toBe(`Registration information has been removed from the instance.\n{"ManagedInstanceID":"${first}","Region":"us-east-1"}`);
    expect(t.lab.host('lab-005')!.id).toBeUndefined();
    expect(await info(first)).toMatchObject({ PingStatus: 'ConnectionLost' });
  });

  test('DeregisterManagedInstance: the ID is gone from SSM; commands to it are refused', async () => {
    await t.ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: first }));
    expect(await info(first)).toBeUndefined();
    await expect(t.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [first], Parameters: { commands: ['true'] } }))).rejects.toMatchObject({
      name: 'InvalidInstanceId',
    });
    await expect(t.ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: first }))).rejects.toMatchObject({ name: 'InvalidInstanceId' });
  });

  test('DeleteActivation stops further registrations (nodes stay registered)', async () => {
    await t.ssm.send(new DeleteActivationCommand({ ActivationId: activation.ActivationId }));
    expect((await t.ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [activation.ActivationId!] }] }))).ActivationList).toEqual([]);
    expect(await info(fresh)).toMatchObject({ PingStatus: 'Online' });
    const pi = t.lab.hosts.find((h) => h.key === 'lab-006')!;
    const r = await on(pi.id!, `amazon-ssm-agent -register -code ${activation.ActivationCode} -id ${activation.ActivationId} -region us-east-1 -y`);
    expect(r.out).toContain('InvalidActivationId');
    await expect(t.ssm.send(new DeleteActivationCommand({ ActivationId: activation.ActivationId }))).rejects.toMatchObject({ name: 'InvalidActivationId' });
  });
});

test('an expired activation registers nothing (ActivationExpired); the board keeps its ID', async () => {
  const pi = t.lab.hosts.find((h) => h.key === 'lab-006')!;
  const a = await t.ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 5, ExpirationDate: new Date(Date.now() + 1500) }));
  await sleep(1600);
  const d = await t.ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [a.ActivationId!] }] }));
  expect(d.ActivationList?.[0]).toMatchObject({ Expired: true, RegistrationsCount: 0 });
  const r = await on(pi.id!, `amazon-ssm-agent -register -code ${a.ActivationCode} -id ${a.ActivationId} -region us-east-1 -y`);
  expect(r).toMatchObject({ code: 1, status: 'Failed' });
  expect(r.out).toContain('ActivationExpired');
  expect(t.lab.host('lab-006')!.id).toBe(pi.id);
});

test('a worker detached with setsid nohup outlives the command that started it (the command ends at once)', async () => {
  const pi = t.lab.hosts.find((h) => h.key === 'lab-006')!;
  const marker = path.join(pi.dir, 'tmp/detached-worker');
  const r = await on(pi.id!, `(setsid nohup sh -c 'sleep 4; echo "$PPID done" >"$STNS_FLEET_ROOT/tmp/detached-worker"' </dev/null >/dev/null 2>&1 &)\necho launched`);
  expect(r).toMatchObject({ code: 0, status: 'Success', out: 'launched\n' });
  expect(existsSync(marker)).toBe(false);
  await waitFor(async () => (existsSync(marker) ? true : undefined), 'the detached worker');
  expect(readFileSync(marker, 'utf8')).toMatch(/done\n$/);
});

describe("cloneAnswers 'last-started': the newest board keeps the ID (last booted wins)", () => {
  let lab: Lab;
  let ssm: ReturnType<typeof clients>['ssm'];
  beforeAll(async () => {
    lab = await startLab({ ...FAST, hosts: 3, pis: 1, faults: 'clones=2', seed: 'activation-last', cloneAnswers: 'last-started' });
    ssm = clients(lab).ssm;
  });
  afterAll(() => lab?.stop());

  test('every command reaches the most recently started board until another starts; SSM reports that board', async () => {
    const id = lab.hosts.find((h) => h.key === 'lab-003')!.id!;
    expect(lab.hosts.filter((h) => h.id === id).map((h) => h.key)).toEqual(['lab-003', 'lab-004', 'lab-005']);
    expect([await who(id, ssm), await who(id, ssm), await who(id, ssm)]).toEqual(['lab-005', 'lab-005', 'lab-005']);
    expect((await info(id, ssm))!.IPAddress).toBe(lab.host('lab-005')!.ip);
    lab.setAgent('lab-004', 'running');
    expect([await who(id, ssm), await who(id, ssm)]).toEqual(['lab-004', 'lab-004']);
    lab.setAgent('lab-004', 'stopped');
    expect(await who(id, ssm)).toBe('lab-005');
  });
});

test('the lab starts with the expired activation the Pis were registered with', async () => {
  const d = await t.ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'DefaultInstanceName', FilterValues: ['lab-pi'] }] }));
  expect(d.ActivationList?.[0]).toMatchObject({ Expired: true, RegistrationLimit: 2, RegistrationsCount: 2, IamRole: 'SSMServiceRole' });
});

test('CreateActivation validates the limit and the expiry', async () => {
  await expect(t.ssm.send(new CreateActivationCommand({ IamRole: 'r', RegistrationLimit: 0 }))).rejects.toMatchObject({ name: 'ValidationException' });
  await expect(t.ssm.send(new CreateActivationCommand({ IamRole: 'r', ExpirationDate: new Date(Date.now() + 31 * 24 * 3600_000) }))).rejects.toMatchObject({
    name: 'InvalidParameters',
  });
  const a = await t.ssm.send(new CreateActivationCommand({ IamRole: 'r' }));
  const d = await t.ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [a.ActivationId!] }] }));
  const hours = (d.ActivationList![0]!.ExpirationDate!.getTime() - Date.now()) / 3600_000;
  expect(hours).toBeGreaterThan(23.9);
  expect(hours).toBeLessThanOrEqual(24);
  expect(d.ActivationList![0]!.RegistrationLimit).toBe(1);
});

test('SSM tags of a managed node: add, list, target, remove; EC2 IDs and wrong types are refused', async () => {
  const pi = t.lab.hosts.find((h) => h.key === 'lab-006')!;
  await t.ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: pi.id, Tags: [{ Key: 'Site', Value: 'osaka' }] }));
  const tags = (await t.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: pi.id }))).TagList;
  expect(tags).toEqual(expect.arrayContaining([{ Key: 'Site', Value: 'osaka' }, { Key: 'Role', Value: 'pi' }]));
  const r = await run(t.ssm, { targets: [{ Key: 'tag:Site', Values: ['osaka'] }] }, WHO);
  expect(r.invocations.map((i) => i.InstanceId)).toEqual([pi.id]);
  await t.ssm.send(new RemoveTagsFromResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: pi.id, TagKeys: ['Site'] }));
  expect((await t.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: pi.id }))).TagList).not.toContainEqual({ Key: 'Site', Value: 'osaka' });
  const ec2 = t.lab.hosts.find((h) => h.kind === 'ec2')!;
  await expect(t.ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: ec2.id, Tags: [{ Key: 'a', Value: 'b' }] }))).rejects.toMatchObject({
    name: 'InvalidResourceId',
  });
  await expect(t.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Document', ResourceId: 'x' }))).rejects.toMatchObject({ name: 'InvalidResourceType' });
});

test('an agent stopped with service/systemctl makes its node ConnectionLost', async () => {
  const pi = t.lab.hosts.find((h) => h.key === 'lab-006')!;
  expect((await on(pi.id!, 'service amazon-ssm-agent stop')).code).toBe(0);
  expect(await info(pi.id!)).toMatchObject({ PingStatus: 'ConnectionLost' });
});

test('a board whose machine-id changes after it registered hibernates (MachineFingerprintDoesNotMatch); its own machine-id back, it answers again', async () => {
  t.lab.setAgent('lab-006', 'running');
  const pi = t.lab.hosts.find((h) => h.key === 'lab-006')!;
  expect(await who(pi.id!)).toBe('lab-006');
  const file = path.join(pi.dir, 'etc/machine-id');
  const mine = readFileSync(file, 'utf8');
  const r = await on(pi.id!, 'chmod u+w "$STNS_FLEET_ROOT/etc/machine-id"; echo 0123456789abcdef0123456789abcdef >"$STNS_FLEET_ROOT/etc/machine-id"');
  expect(r.code).toBe(0);
  expect(t.lab.host('lab-006')).toMatchObject({ state: 'agent-hibernating', answers: false, pingStatus: 'ConnectionLost' });
  const lost = await run(t.ssm, { ids: [pi.id!] }, WHO);
  expect(lost.invocations[0]).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' });
  writeFileSync(file, mine);
  expect(t.lab.host('lab-006')).toMatchObject({ state: 'agent-running', answers: true, pingStatus: 'Online' });
  expect(await who(pi.id!)).toBe('lab-006');
});
