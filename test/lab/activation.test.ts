// Hybrid activation end to end: CreateActivation, the amazon-ssm-agent stand-in registering a board through
// Run Command (new mi- ID, registration files, activation tags), clone routing (an ID shared by cloned SD
// cards reaches the most recently started board), -register -clear, DeregisterManagedInstance, SSM tags of
// managed nodes, DescribeActivations / DeleteActivation.
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
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { run, useLab } from './helpers.js';

const t = useLab({ hosts: 6, pis: 2, faults: 'clones=2', seed: 'activation' });
const WHO = '. "$STNS_FLEET_ROOT/var/lib/stns-fleet-lab/host.env"; echo "$LAB_HOST $AWS_SSM_INSTANCE_ID"';

async function on(id: string, script: string): Promise<{ out: string; status: string; code: number }> {
  const r = await run(t.ssm, { ids: [id] }, script);
  const i = r.invocations[0]!;
  return { out: i.CommandPlugins![0]!.Output!, status: i.StatusDetails!, code: i.CommandPlugins![0]!.ResponseCode! };
}

async function info(id: string) {
  const r = await t.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }));
  return r.InstanceInformationList?.[0];
}

describe('registration and clones', () => {
  let first: string;
  let activation: { ActivationId?: string; ActivationCode?: string };
  let fresh: string;

  test('clones share the first Pi ID; a command to it reaches the most recently started board', async () => {
    const pis = t.lab.hosts.filter((h) => h.kind === 'managed');
    expect(pis.map((h) => [h.key, h.cloneOf])).toEqual([['lab-005', undefined], ['lab-006', undefined], ['lab-007', 'lab-005'], ['lab-008', 'lab-005']]);
    first = pis[0]!.id!;
    expect(pis.filter((h) => h.id === first)).toHaveLength(3);
    expect(await on(first, WHO)).toMatchObject({ out: `lab-008 ${first}\n`, status: 'Success' });
    expect(t.lab.host(first)!.key).toBe('lab-008');
    expect(await info(first)).toMatchObject({ PingStatus: 'Online', ResourceType: 'ManagedInstance', ComputerName: 'lab-005' });
  });

  test('CreateActivation, then -register -y through Run Command: a new ID with the activation tags; the clone left behind answers the old one', async () => {
    const expires = new Date(Date.now() + 3 * 24 * 3600_000);
    activation = await t.ssm.send(
      new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 2, ExpirationDate: expires, DefaultInstanceName: 'pi-reactivated', Tags: [{ Key: 'Fleet', Value: 'edge' }] }),
    );
    expect(activation.ActivationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(activation.ActivationCode).toMatch(/^[A-Za-z0-9]{20}$/);
    const r = await on(first, `amazon-ssm-agent -register -code ${activation.ActivationCode} -id ${activation.ActivationId} -region us-east-1 -y`);
    expect(r.code).toBe(0);
    fresh = /Managed instance-id: (mi-[0-9a-f]{17})/.exec(r.out)![1]!;
    const board = t.lab.hosts.find((h) => h.key === 'lab-008')!;
    expect(board.id).toBe(fresh);
    expect(JSON.parse(readFileSync(path.join(board.dir, 'var/lib/amazon/ssm/registration'), 'utf8'))).toEqual({ ManagedInstanceID: fresh, Region: 'us-east-1' });
    expect(await on(fresh, WHO)).toMatchObject({ out: `lab-008 ${fresh}\n` });
    expect(await on(first, WHO)).toMatchObject({ out: `lab-007 ${first}\n` });
    expect(await info(fresh)).toMatchObject({ PingStatus: 'Online', Name: 'pi-reactivated', ActivationId: activation.ActivationId });
    expect((await t.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: fresh }))).TagList).toEqual([{ Key: 'Fleet', Value: 'edge' }]);
    const d = await t.ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [activation.ActivationId!] }] }));
    expect(d.ActivationList?.[0]).toMatchObject({ RegistrationLimit: 2, RegistrationsCount: 1, Expired: false, DefaultInstanceName: 'pi-reactivated' });
    expect(d.ActivationList?.[0]?.ExpirationDate?.getTime()).toBe(expires.getTime());
  });

  test('without -y an existing registration is kept; a wrong code, another region or a used-up activation fail', async () => {
    const args = `-code ${activation.ActivationCode} -id ${activation.ActivationId} -region us-east-1`;
    const kept = await on(first, `amazon-ssm-agent -register ${args}`);
    expect(kept).toMatchObject({ code: 1, status: 'Failed' });
    expect(kept.out).toContain('Instance already registered');
    expect(await on(first, WHO)).toMatchObject({ out: `lab-007 ${first}\n` });
    const wrong = await on(first, `amazon-ssm-agent -register -code WRONGCODE1234567890x -id ${activation.ActivationId} -region us-east-1 -y`);
    expect(wrong.out).toContain('InvalidActivation');
    const region = await on(first, `amazon-ssm-agent -register ${args.replace('us-east-1', 'eu-west-1')} -y`);
    expect(region.out).toContain('InvalidActivation');
    expect((await on(first, `amazon-ssm-agent -register ${args} -y`)).code).toBe(0);
    const board = t.lab.hosts.find((h) => h.key === 'lab-006')!;
    const full = await on(board.id!, `amazon-ssm-agent -register ${args} -y`);
    expect(full).toMatchObject({ code: 1 });
    expect(full.out).toContain('ActivationLimitExceeded');
  });

  test('-register -clear empties the vault: the board no longer answers for its ID (the informational registration file stays)', async () => {
    // lab-007 took a new ID in the last test; lab-005, the original, is the only board still holding `first`.
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
