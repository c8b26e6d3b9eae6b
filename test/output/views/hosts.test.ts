// hosts' view: the table of every selected host, skipped ones with why, unknown IDs; or one JSON document.
import { expect, test } from 'vitest';
import { Emitter } from '../../../src/output/emitter.js';
import type { Fleet } from '../../../src/targets/fleet.js';
import { hostsView } from '../../../src/output/views/hosts.js';

const fleet: Fleet = {
  hosts: [
    { id: 'i-0000000000000000a', group: 'web', kind: 'ec2', name: 'web-1', platform: 'Ubuntu 24.04', pingStatus: 'Online', agentVersion: '3.3.0' },
    { id: 'mi-0123456789abcdef0', group: 'pi', kind: 'managed', pingStatus: 'ConnectionLost', skip: 'SSM agent not connected (ConnectionLost)' },
  ],
  notFound: [{ group: 'web', id: 'i-0000000000000000f' }],
};

function show(json: boolean): string {
  const out: string[] = [];
  hostsView(json, new Emitter({ out: (t) => void out.push(t), err: () => undefined })).result({ fleet });
  return out.join('');
}

test('text: one row per host in aligned columns, then the counts', () => {
  const lines = show(false).split('\n');
  const col = (name: string): number => lines[0]!.indexOf(name);
  expect(lines[0]).toMatch(/^ID +NAME +GROUP +OS \(as SSM reports it\) +PING +AGENT +STATUS$/);
  expect(lines[1]!.indexOf('web-1')).toBe(col('NAME'));
  expect(lines[1]!.indexOf('Ubuntu 24.04')).toBe(col('OS'));
  expect(lines[1]!.slice(col('STATUS'))).toBe('ready');
  expect(lines[2]!.indexOf('ConnectionLost')).toBe(col('PING'));
  expect(lines[2]!.slice(col('STATUS'))).toBe('skipped: SSM agent not connected (ConnectionLost)');
  expect(lines[3]!.startsWith('i-0000000000000000f ')).toBe(true);
  expect(lines[3]!.slice(col('STATUS'))).toBe('not found: neither EC2 nor SSM knows this ID');
  expect(show(false)).toMatch(/\n\n1 ready, 1 skipped, 1 not found\.\n$/);
});

test('json', () => {
  expect(JSON.parse(show(true))).toEqual({ hosts: fleet.hosts, notFound: fleet.notFound });
});
