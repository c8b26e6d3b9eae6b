import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { parseInventory } from '../../src/inventory/load.js';
import {
  amountToCount,
  envSecretResolver,
  groupNames,
  groupOs,
  hostSettingsFor,
  resolveSecret,
  rolloutOf,
  targetsOf,
  verifyUsersOf,
} from '../../src/inventory/resolve.js';
import type { Inventory } from '../../src/inventory/schema.js';
import { DEFAULT_PACKAGE_REPOSITORY } from '../../src/model/settings.js';
import { brief, MINIMAL } from './helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../inventories/example.yaml', import.meta.url));

function inv(text: string, file = 'inv.yaml'): Inventory {
  const r = parseInventory(text, file);
  expect(brief(r.problems)).toEqual([]);
  return r.inventory!;
}

function caught(fn: () => unknown): FleetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FleetError);
    return e as FleetError;
  }
  throw new Error('expected a FleetError');
}

describe('inventories/example.yaml', () => {
  const text = readFileSync(EXAMPLE, 'utf8');
  const example = inv(text, 'inventories/example.yaml');

  test('has the documented groups, targets and OS choices', () => {
    expect(groupNames(example)).toEqual(['web', 'batch', 'edge-pi']);
    expect(targetsOf(example, 'web')).toEqual({
      ids: ['i-0123456789abcdef0', 'i-0a1b2c3d'],
      tagSelectors: [{ Role: ['web'], Env: ['prod', 'staging'] }],
    });
    expect(targetsOf(example, 'batch')).toEqual({ ids: [], tagSelectors: [{ Role: ['batch'] }] });
    expect(targetsOf(example, 'edge-pi')).toEqual({
      ids: ['mi-0123456789abcdef0', 'mi-0fedcba9876543210'],
      tagSelectors: [],
    });
    expect(groupOs(example, 'web')).toBe('amazon-linux-2023');
    expect(groupOs(example, 'batch')).toBe('auto');
    expect(groupOs(example, 'edge-pi')).toBe('raspberry-pi-os');
  });

  test('tokens: env at the top level, an SSM parameter for one group', () => {
    expect(hostSettingsFor(example, 'web').stns.authToken).toEqual({ kind: 'env', name: 'STNS_AUTH_TOKEN' });
    expect(hostSettingsFor(example, 'edge-pi').stns.authToken).toEqual({ kind: 'env', name: 'STNS_AUTH_TOKEN' });
    expect(hostSettingsFor(example, 'batch').stns.authToken).toEqual({
      kind: 'ssm_parameter',
      name: '/stns/prod/batch-token',
    });
  });

  test('group overrides are merged over the top level', () => {
    const web = hostSettingsFor(example, 'web');
    expect(web.stns.tls).toEqual({ ca: '/etc/stns/keys/ca.pem', cert: '/etc/stns/keys/web.crt', key: '/etc/stns/keys/web.key' });
    expect(hostSettingsFor(example, 'batch').stns.tls).toEqual({ ca: '/etc/stns/keys/ca.pem' });
    expect(hostSettingsFor(example, 'batch').stns.options.request_timeout).toBe(10);
    expect(web.stns.options.request_timeout).toBe(3);
    expect(hostSettingsFor(example, 'batch').mkhomedir).toEqual({ enable: false, umask: '0022' });
    expect(hostSettingsFor(example, 'edge-pi').sshd.keysCommandUser).toBe('nobody');
    expect(web.sshd.keysCommandUser).toBe('root');
    expect(verifyUsersOf(example, 'web')).toEqual(['alice']);
    expect(verifyUsersOf(example, 'batch')).toEqual(['alice', 'bob']);
  });

  test('has a comment on every key line', () => {
    const keyLines = text.split('\n').filter((l) => /^\s*(- )?[A-Za-z_][\w-]*:/.test(l));
    expect(keyLines.length).toBeGreaterThan(40);
    for (const l of keyLines) expect(l, l).toMatch(/ # /);
  });
});

describe('defaults', () => {
  const minimal = inv(MINIMAL);

  test('are applied to the parsed inventory', () => {
    expect(minimal.pam).toEqual({ mkhomedir: true, umask: '0022' });
    expect(minimal.sshd).toEqual({ keys_command_user: 'root' });
    expect(minimal.rollout).toEqual({ canary: 1, max_concurrency: '10%', max_errors: 0 });
    expect(minimal.verify).toEqual({ users: [] });
    expect(minimal.stns.cached).toEqual({ enable: true });
    expect(minimal.stns.package_repository).toBe(DEFAULT_PACKAGE_REPOSITORY);
    expect(minimal.stns.allow_insecure_http).toBe(false);
    expect(minimal.stns.allow_plaintext_token).toBe(false);
    expect(minimal.groups.web?.os).toBe('auto');
  });

  test('reach the host settings', () => {
    expect(hostSettingsFor(minimal, 'web')).toEqual({
      stns: {
        apiEndpoint: 'https://stns.example.com/v1',
        options: { request_timeout: 3, request_retry: 1 },
        cached: { enable: true },
        packageRepository: DEFAULT_PACKAGE_REPOSITORY,
      },
      mkhomedir: { enable: true, umask: '0022' },
      sshd: { keysCommandUser: 'root' },
      hardenSudo: false,
    });
    expect(rolloutOf(minimal)).toEqual({ canary: 1, maxConcurrency: '10%', maxErrors: 0 });
    expect(verifyUsersOf(minimal, 'web')).toEqual([]);
    expect(groupOs(minimal, 'web')).toBe('auto');
  });
});

describe('group overrides', () => {
  const text =
    MINIMAL.replace(
      'stns:\n',
      [
        'stns:',
        '  auth_token: { ssm_parameter: /stns/top }',
        '  request_retry: 4',
        '  tls: { ca: /ca.pem, cert: /top.crt }',
        '  http_headers: { X-A: a, X-B: b }',
        '  cached: { enable: true, prefetch: true }',
        '',
      ].join('\n'),
    ) +
    [
      '    stns:',
      '      api_endpoint: https://other.example.com/v1',
      '      auth_token: { env: WEB_TOKEN }',
      '      request_timeout: 7',
      '      tls: { cert: /web.crt, key: /web.key }',
      '      http_headers: { X-B: web }',
      '      cached: { enable: false }',
      '      package_repository: https://mirror.example.com/stns',
      '    pam: { umask: "0077" }',
      '  db:',
      '    targets: [i-0123456789abcdef1]',
      '',
    ].join('\n');
  const i = inv(text);

  test('deep-merge tls, headers and cached key by key; scalars and the token are replaced', () => {
    const web = hostSettingsFor(i, 'web');
    expect(web.stns).toEqual({
      apiEndpoint: 'https://other.example.com/v1',
      authToken: { kind: 'env', name: 'WEB_TOKEN' },
      options: { request_timeout: 7, request_retry: 4 },
      tls: { ca: '/ca.pem', cert: '/web.crt', key: '/web.key' },
      httpHeaders: { 'X-A': 'a', 'X-B': 'web' },
      cached: { enable: false, prefetch: true },
      packageRepository: 'https://mirror.example.com/stns',
    });
    expect(web.mkhomedir).toEqual({ enable: true, umask: '0077' });
  });

  test('a group without overrides gets the top level unchanged', () => {
    const db = hostSettingsFor(i, 'db');
    expect(db.stns.authToken).toEqual({ kind: 'ssm_parameter', name: '/stns/top' });
    expect(db.stns.tls).toEqual({ ca: '/ca.pem', cert: '/top.crt' });
    expect(db.stns.httpHeaders).toEqual({ 'X-A': 'a', 'X-B': 'b' });
    expect(db.stns.options).toEqual({ request_timeout: 3, request_retry: 4 });
    expect(db.mkhomedir.umask).toBe('0022');
  });

  test('merging does not modify the inventory', () => {
    hostSettingsFor(i, 'web');
    expect(i.stns.tls).toEqual({ ca: '/ca.pem', cert: '/top.crt' });
    expect(i.stns.http_headers).toEqual({ 'X-A': 'a', 'X-B': 'b' });
  });
});

describe('unknown group', () => {
  test('is a usage error naming the file and the groups', () => {
    const i = inv(MINIMAL + '  db:\n    targets: [i-0123456789abcdef1]\n', 'fleet.yaml');
    for (const fn of [
      () => hostSettingsFor(i, 'nope'),
      () => targetsOf(i, 'nope'),
      () => groupOs(i, 'nope'),
      () => verifyUsersOf(i, 'nope'),
    ]) {
      const e = caught(fn);
      expect(e.kind).toBe('user');
      expect(e.message).toBe('no group "nope" in fleet.yaml; groups: web, db');
    }
    expect(caught(() => targetsOf(i, 'toString')).kind).toBe('user');
  });
});

describe('secrets', () => {
  test('env: set', () => {
    expect(resolveSecret({ kind: 'env', name: 'TOK' }, { TOK: 'abc' })).toBe('abc');
  });

  test('env: unset or empty', () => {
    for (const env of [{}, { TOK: '' }]) {
      const e = caught(() => resolveSecret({ kind: 'env', name: 'TOK' }, env, 'auth_token of group "web"'));
      expect(e.kind).toBe('user');
      expect(e.message).toBe('environment variable TOK (auth_token of group "web") is not set');
    }
  });

  test('plaintext is returned as is', () => {
    expect(resolveSecret({ kind: 'plaintext', value: 'p' }, {})).toBe('p');
  });

  test('an SSM parameter needs AWS', () => {
    const e = caught(() => resolveSecret({ kind: 'ssm_parameter', name: '/stns/x' }, {}, 'auth_token of group "db"'));
    expect(e.kind).toBe('user');
    expect(e.message).toContain('auth_token of group "db" is read from SSM parameter /stns/x, which needs AWS');
  });

  test('envSecretResolver resolves and rejects asynchronously', async () => {
    const r = envSecretResolver({ TOK: 'abc' });
    await expect(r.resolve({ kind: 'env', name: 'TOK' })).resolves.toBe('abc');
    await expect(r.resolve({ kind: 'env', name: 'NOPE' })).rejects.toMatchObject({ kind: 'user' });
  });
});

describe('rollout', () => {
  test('percentages and counts', () => {
    const i = inv(MINIMAL + 'rollout: { canary: "5%", max_concurrency: 4, max_errors: "10%" }\n');
    const r = rolloutOf(i);
    expect(r).toEqual({ canary: '5%', maxConcurrency: 4, maxErrors: '10%' });
    expect(amountToCount(r.canary, 30)).toBe(2);
    expect(amountToCount(r.maxConcurrency, 3)).toBe(3);
    expect(amountToCount(r.maxErrors, 0)).toBe(0);
    expect(amountToCount('100%', 7)).toBe(7);
  });
});
