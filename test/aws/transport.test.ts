import { CreateTagsCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  DeleteActivationCommand,
  DeregisterManagedInstanceCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  ParameterNotFound,
} from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { caught, setup } from './helpers.js';

const EC2_ID = 'i-0123456789abcdef0';
const NODE_ID = 'mi-0123456789abcdef0';

describe('getParameter', () => {
  test('asks for the decrypted value and returns it', async () => {
    const { ssmMock, transport } = setup();
    ssmMock.on(GetParameterCommand, { Name: '/stns/token', WithDecryption: true }).resolves({ Parameter: { Name: '/stns/token', Type: 'SecureString', Value: 's3cr3t' } });
    expect(await transport.getParameter('/stns/token')).toBe('s3cr3t');
  });

  test('ParameterNotFound → a FleetError naming the parameter and the region', async () => {
    const { ssmMock, transport } = setup();
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: '', $metadata: {} }));
    const e = await caught(transport.getParameter('/stns/missing'));
    expect(e).toBeInstanceOf(FleetError);
    expect(e).toMatchObject({ kind: 'user', message: 'SSM parameter "/stns/missing" does not exist in eu-west-1' });
  });

  test('a parameter without a value is an error, not an empty token', async () => {
    const { ssmMock, transport } = setup();
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: '/p' } });
    expect(await caught(transport.getParameter('/p'))).toMatchObject({ kind: 'user' });
  });
});

describe('managed-node admin', () => {
  test('createActivation passes every field and returns ID and code', async () => {
    const { ssmMock, transport } = setup();
    ssmMock.on(CreateActivationCommand).resolves({ ActivationId: 'a1b2c3d4-0000-4000-8000-000000000001', ActivationCode: 'code-12345678901234567890' });
    const expiresAt = new Date('2026-12-01T00:00:00Z');
    const r = await transport.createActivation({
      iamRole: 'SSMServiceRole',
      registrationLimit: 3,
      expiresAt,
      defaultInstanceName: 'pi',
      description: 'stns-fleet reactivate',
      tags: { Fleet: 'pi', Site: 'lab' },
    });
    expect(r).toEqual({ activationId: 'a1b2c3d4-0000-4000-8000-000000000001', activationCode: 'code-12345678901234567890' });
    expect(ssmMock.commandCalls(CreateActivationCommand)[0]!.args[0].input).toEqual({
      IamRole: 'SSMServiceRole',
      RegistrationLimit: 3,
      ExpirationDate: expiresAt,
      DefaultInstanceName: 'pi',
      Description: 'stns-fleet reactivate',
      Tags: [
        { Key: 'Fleet', Value: 'pi' },
        { Key: 'Site', Value: 'lab' },
      ],
    });
  });

  test('deleteActivation and deregisterManagedInstance send the IDs', async () => {
    const { ssmMock, transport } = setup();
    ssmMock.on(DeleteActivationCommand).resolves({});
    ssmMock.on(DeregisterManagedInstanceCommand).resolves({});
    await transport.deleteActivation('act-1');
    await transport.deregisterManagedInstance(NODE_ID);
    expect(ssmMock.commandCalls(DeleteActivationCommand)[0]!.args[0].input).toEqual({ ActivationId: 'act-1' });
    expect(ssmMock.commandCalls(DeregisterManagedInstanceCommand)[0]!.args[0].input).toEqual({ InstanceId: NODE_ID });
  });

  test('setTags: EC2 instances through EC2 CreateTags, managed nodes through SSM AddTagsToResource', async () => {
    const { ssmMock, ec2Mock, transport } = setup();
    ec2Mock.on(CreateTagsCommand).resolves({});
    ssmMock.on(AddTagsToResourceCommand).resolves({});
    await transport.setTags(EC2_ID, { Name: 'web-1' });
    await transport.setTags(NODE_ID, { Name: 'pi-kitchen', Fleet: '' });
    expect(ec2Mock.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([{ Resources: [EC2_ID], Tags: [{ Key: 'Name', Value: 'web-1' }] }]);
    expect(ssmMock.commandCalls(AddTagsToResourceCommand).map((c) => c.args[0].input)).toEqual([
      {
        ResourceType: 'ManagedInstance',
        ResourceId: NODE_ID,
        Tags: [
          { Key: 'Name', Value: 'pi-kitchen' },
          { Key: 'Fleet', Value: '' },
        ],
      },
    ]);
    await expect(transport.setTags('host-1', { A: 'b' })).rejects.toMatchObject({ kind: 'user' });
  });

  test('listTags: EC2 DescribeTags by resource-id (paged), SSM ListTagsForResource for managed nodes', async () => {
    const { ssmMock, ec2Mock, transport } = setup();
    ec2Mock
      .on(DescribeTagsCommand)
      .resolvesOnce({ Tags: [{ ResourceId: EC2_ID, Key: 'Name', Value: 'web-1' }], NextToken: 'p2' })
      .resolvesOnce({ Tags: [{ ResourceId: EC2_ID, Key: 'Env', Value: 'prod' }] });
    ssmMock.on(ListTagsForResourceCommand, { ResourceType: 'ManagedInstance', ResourceId: NODE_ID }).resolves({ TagList: [{ Key: 'Name', Value: 'pi' }] });
    expect(await transport.listTags(EC2_ID)).toEqual({ Name: 'web-1', Env: 'prod' });
    expect(await transport.listTags(NODE_ID)).toEqual({ Name: 'pi' });
    const inputs = ec2Mock.commandCalls(DescribeTagsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.Filters)).toEqual([[{ Name: 'resource-id', Values: [EC2_ID] }], [{ Name: 'resource-id', Values: [EC2_ID] }]]);
    expect(inputs.map((i) => i.NextToken)).toEqual([undefined, 'p2']);
  });
});
