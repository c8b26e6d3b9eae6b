// The lab's STNS server at the HTTP level, as libnss-stns-v2 and stns-key-wrapper talk to it: header names in
// their exact case (the real module compares them with strcmp), full lists and lookups by name and id, 404,
// 400, 401, per-token visibility (Serverless STNS's authorizer table), token rotation keeping the access list,
// and the directory file of `npm run lab -- --stns-users FILE` with its errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyCommand, sdkTransport, verifyCommand, type Io } from 'stns-fleet';
import { banner, optionsFromArgs } from '../src/cli.js';
import { labInventoryYaml } from '../src/inventory.js';
import { startLab, type Lab } from '../src/lab.js';
import { LabOptionsError, resolveOptions } from '../src/options.js';
import { labDirectory } from '../src/stns-directory.js';
import { StnsServer } from '../src/stns-server.js';

interface Answer {
  status: number;
  /** Header names exactly as they came over the wire. */
  names: string[];
  header: (name: string) => string | undefined;
  body: unknown;
}

function get(base: string, p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${p}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        const names = res.rawHeaders.filter((_, i) => i % 2 === 0);
        const header = (n: string): string | undefined => {
          const i = res.rawHeaders.findIndex((h, j) => j % 2 === 0 && h === n);
          return i < 0 ? undefined : res.rawHeaders[i + 1];
        };
        resolve({ status: res.statusCode ?? 0, names, header, body: text === '' ? undefined : JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const names = (body: unknown): string[] => (body as { name: string }[]).map((x) => x.name);

describe('the STNS server, answering as the real one', () => {
  const dir = labDirectory('stns-http');
  const server = new StnsServer(dir, [
    { name: 'web', value: 'tok-web', ...dir.access['web']! },
    { name: 'pi', value: 'tok-pi', ...dir.access['pi']! },
    { name: 'all', value: 'tok-all', users: [], groups: [] },
  ]);
  let base = '';
  const web = { authorization: 'token tok-web', 'user-agent': 'stns/2.0.0' };
  const pi = { authorization: 'token tok-pi' };
  const all = { authorization: 'token tok-all' };
  beforeAll(async () => {
    base = await server.listen(0);
  });
  afterAll(() => server.close());

  test('range headers in canonical case, users ones on /users and group ones on /groups, over what the token sees', async () => {
    const u = await get(base, '/users', web);
    expect(u.status).toBe(200);
    expect(u.names).toContain('User-Highest-Id');
    expect(u.names).toContain('User-Lowest-Id');
    expect(u.names.filter((n) => /highest|lowest/i.test(n))).toEqual(['User-Highest-Id', 'User-Lowest-Id']);
    expect([u.header('User-Lowest-Id'), u.header('User-Highest-Id')]).toEqual(['2001', '2004']); // web does not see erin (2005)
    const g = await get(base, '/groups', pi);
    expect(g.names.filter((n) => /highest|lowest/i.test(n))).toEqual(['Group-Highest-Id', 'Group-Lowest-Id']);
    expect([g.header('Group-Lowest-Id'), g.header('Group-Highest-Id')]).toEqual(['2001', '3002']);
    expect((await get(base, '/users', all)).header('User-Highest-Id')).toBe('2005');
    // On a 404 too (libnss reads them from every answer); never on a 401.
    expect((await get(base, '/users?name=nobody', web)).header('User-Highest-Id')).toBe('2004');
    expect((await get(base, '/users')).names.some((n) => /highest|lowest/i.test(n))).toBe(false);
    expect(u.header('Content-Type')).toBe('application/json; charset=UTF-8');
  });

  test('full lists, ?name= and ?id= for users and groups, as JSON arrays', async () => {
    expect(names((await get(base, '/users', all)).body)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect(names((await get(base, '/groups', all)).body)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'ops', 'dba', 'pi-admins']);
    const alice = await get(base, '/users?name=alice', web);
    expect(alice.status).toBe(200);
    expect(alice.body).toEqual([{ id: 2001, name: 'alice', password: '', group_id: 2001, directory: '/home/alice', shell: '/bin/bash', gecos: 'Alice Lab', keys: [dir.users[0]!.keys[0]] }]);
    expect(names((await get(base, '/users?id=2002', web)).body)).toEqual(['bob']);
    expect((await get(base, '/groups?name=ops', web)).body).toEqual([{ id: 3000, name: 'ops', users: ['alice', 'bob'] }]);
    expect(names((await get(base, '/groups?id=3000', pi)).body)).toEqual(['ops']);
    expect((await get(base, '/users/', web)).status).toBe(200); // libnss trims a trailing slash of api_endpoint, a user may not
  });

  test('404 for a name or id the server does not have; 400 for a bad id or query; 405 for another method', async () => {
    for (const p of ['/users?name=mallory', '/users?id=9999', '/groups?name=nope', '/groups?id=1', '/users?name=', '/nothing', '/users/alice']) {
      const r = await get(base, p, web);
      expect(r.status, p).toBe(404);
      expect(r.body, p).toEqual({ message: 'Not Found' });
    }
    expect((await get(base, '/users?id=abc', web)).status).toBe(400);
    expect((await get(base, '/users?uid=1', web)).status).toBe(400);
    expect((await get(base, '/users', web, 'POST')).status).toBe(405);
  });

  test('401 without a valid `Authorization: token …`', async () => {
    const before = server.stats.unauthorized;
    for (const h of [{} as Record<string, string>, { authorization: 'token wrong' }, { authorization: 'Bearer tok-web' }, { authorization: 'tok-web' }, { authorization: 'token ' }]) {
      const r = await get(base, '/users?name=alice', h);
      expect(r.status, JSON.stringify(h)).toBe(401);
      expect(r.body).toEqual({ message: 'Unauthorized' });
    }
    expect(server.stats.unauthorized).toBe(before + 5);
    expect(server.requests().at(-1)).toMatchObject({ url: '/v1/users?name=alice', token: null, status: 401 });
  });

  test('per token: a user or group the token may not see is absent from lists, 404 by name and id, and left out of members', async () => {
    expect(names((await get(base, '/users', web)).body)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(names((await get(base, '/users', pi)).body)).toEqual(['alice', 'bob', 'carol', 'erin']);
    expect((await get(base, '/users?name=dave', web)).status).toBe(200);
    expect((await get(base, '/users?name=dave', pi)).status).toBe(404);
    expect((await get(base, '/users?id=2004', pi)).status).toBe(404);
    expect((await get(base, '/users?name=erin', web)).status).toBe(404);
    expect((await get(base, '/groups?name=dba', pi)).status).toBe(404);
    expect((await get(base, '/groups?name=pi-admins', web)).status).toBe(404);
    // pi-admins has erin and alice; the Pi token sees both, another token that sees only alice would see just her.
    expect((await get(base, '/groups?name=pi-admins', pi)).body).toEqual([{ id: 3002, name: 'pi-admins', users: ['erin', 'alice'] }]);
    const only = new StnsServer(dir, [{ name: 'x', value: 'tok-x', users: ['alice'], groups: ['pi-admins'] }]);
    const b = await only.listen(0);
    try {
      expect((await get(b, '/groups', { authorization: 'token tok-x' })).body).toEqual([{ id: 3002, name: 'pi-admins', users: ['alice'] }]);
      expect(only.visibleTo('x').users.map((u) => u.name)).toEqual(['alice']);
    } finally {
      await only.close();
    }
    expect(server.requests().find((r) => r.url === '/v1/users?name=dave' && r.token === 'pi')?.status).toBe(404);
    expect(server.requests().find((r) => r.token === 'web')?.userAgent).toBe('stns/2.0.0');
  });

  test('setToken rotates a token by name: the old value gets 401, the new one keeps the access list', async () => {
    const s = new StnsServer(dir, [{ name: 'pi', value: 'old', ...dir.access['pi']! }]);
    const b = await s.listen(0);
    try {
      s.setToken('pi', 'new');
      expect((await get(b, '/users?name=alice', { authorization: 'token old' })).status).toBe(401);
      expect((await get(b, '/users?name=erin', { authorization: 'token new' })).status).toBe(200);
      expect((await get(b, '/users?name=dave', { authorization: 'token new' })).status).toBe(404);
      expect(() => s.setToken('nope', 'x')).toThrow(/no STNS token named "nope"/);
    } finally {
      await s.close();
    }
  });
});

describe('the lab directory: built-in, or --stns-users FILE (JSON or YAML)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'stns-dir-test-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const f = path.join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7Zp1ts4lY3p4oeE1b7MB0gSoQHPDtVpDkhCwhMDnWv me@laptop';

  test('the built-in directory: the web and Pi tokens see different users; lab.rotateToken keeps what a token sees', async () => {
    const lab: Lab = await startLab({ hosts: 1, pis: 0, seed: 'stns-builtin' });
    try {
      expect(lab.stnsVisible('web').users.map((u) => u.name)).toEqual(['alice', 'bob', 'carol', 'dave']);
      expect(lab.stnsVisible('pi').users.map((u) => u.name)).toEqual(['alice', 'bob', 'carol', 'erin']);
      const q = (token: string, user: string) => get(lab.stnsEndpoint, `/users?name=${user}`, { authorization: `token ${token}` });
      expect((await q(lab.tokens.pi, 'dave')).status).toBe(404);
      const old = lab.tokens.pi;
      const next = lab.rotateToken('pi');
      expect((await q(old, 'alice')).status).toBe(401);
      expect((await q(next, 'erin')).status).toBe(200);
      expect((await q(next, 'dave')).status).toBe(404);
      expect(lab.stnsTokens().find((t) => t.name === 'pi')).toMatchObject({ value: next, users: ['alice', 'bob', 'carol', 'erin'] });
      expect(lab.stats().stns.notFound).toBeGreaterThanOrEqual(2);
    } finally {
      await lab.stop();
    }
  });

  test('verify for a user the Pi token may not see: the Pis report that user, the EC2 hosts pass', async () => {
    const lab = await startLab({ hosts: 2, pis: 1, os: ['debian-12'], seed: 'stns-visibility' });
    try {
      Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '300' });
      const inv = path.join(lab.workDir, 'inventory.yaml');
      writeFileSync(inv, labInventoryYaml({ stnsEndpoint: lab.stnsEndpoint, region: lab.region, verifyUsers: ['alice'] }));
      const io = (): { io: Io; text: () => string } => {
        const parts: string[] = [];
        return { io: { out: (t) => void parts.push(t), err: (t) => void parts.push(t) }, text: () => parts.join('') };
      };
      const a = io();
      expect(await applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, a.io), a.text()).toBe(0);
      const v = io();
      expect(await verifyCommand({ inventory: inv, quiet: true, user: ['dave'] }, sdkTransport, v.io), v.text()).toBe(1);
      const pi = lab.hosts.find((h) => h.kind === 'managed')!;
      const ec2 = lab.hosts.find((h) => h.kind === 'ec2')!;
      const text = v.text();
      const lines = text.split('\n');
      // The Pi's key wrapper got a 404 for dave (the real one prints "http request failed user: dave" for it, as for a
      // rejected token or an unreachable server; verify's probe tells which: src/verify/judge.ts).
      expect(lines.filter((l) => l.includes('dave:')).length, text).toBeGreaterThan(0);
      expect(lines.filter((l) => l.includes('dave:')).every((l) => !l.includes(ec2.id!)), text).toBe(true);
      expect(text).toContain(pi.id!);
      expect(text).toMatch(/dave: user unknown to STNS \(the server answers 404 for it\)/);
      expect(lab.stnsRequests().some((r) => r.token === 'pi' && r.url === '/v1/users?name=dave' && r.status === 404)).toBe(true);
      expect(lab.stnsRequests().some((r) => r.token === 'web' && r.url === '/v1/users?name=dave' && r.status === 200)).toBe(true);
      expect(banner(lab)).toMatch(/token pi {3}sees users alice, bob, carol, erin; groups alice, bob, carol, erin, ops, pi-admins/);
    } finally {
      await lab.stop();
    }
  }, 120_000);

  test('a YAML file: users as a list or a map, defaults filled in, tokens with their own value and access', async () => {
    const f = file(
      'dir.yaml',
      `users:\n  me: { id: 4001, keys: ["${KEY}"] }\n  you: { id: 4002, group_id: 4100, shell: /bin/sh, gecos: You }\ngroups:\n  - { name: team, id: 4100, users: [me, you] }\ntokens:\n  web: { value: my-web-token }\n  pi: { users: [you], groups: [team] }\n  ci: { value: my-ci-token, users: [me] }\n`,
    );
    const o = resolveOptions(optionsFromArgs(['--port', '0', '--stns-users', f]));
    expect(o.stnsSource).toBe(f);
    expect(o.stns.users).toEqual([
      { id: 4001, name: 'me', password: '', group_id: 4001, directory: '/home/me', shell: '/bin/bash', gecos: '', keys: [KEY] },
      { id: 4002, name: 'you', password: '', group_id: 4100, directory: '/home/you', shell: '/bin/sh', gecos: 'You', keys: [] },
    ]);
    expect(o.tokens.web).toBe('my-web-token');
    expect(o.tokens.pi).toMatch(/^lab-pi-/);
    expect(o.stnsTokens.map((t) => [t.name, t.users, t.groups])).toEqual([
      ['web', [], []],
      ['pi', ['you'], ['team']],
      ['ci', ['me'], []],
    ]);
    const lab = await startLab({ hosts: 1, pis: 0, stnsDirectory: f });
    try {
      const r = await get(lab.stnsEndpoint, '/users?name=me', { authorization: 'token my-ci-token' });
      expect((r.body as { keys: string[] }[])[0]!.keys).toEqual([KEY]);
      expect((await get(lab.stnsEndpoint, '/users?name=me', { authorization: `token ${lab.tokens.pi}` })).status).toBe(404);
      expect((await get(lab.stnsEndpoint, '/groups?name=team', { authorization: `token ${lab.tokens.pi}` })).body).toEqual([{ id: 4100, name: 'team', users: ['you'] }]);
      expect(lab.stnsUsers.map((u) => u.name)).toEqual(['me', 'you']);
    } finally {
      await lab.stop();
    }
  });

  test('a JSON file, and an object in LabOptions', () => {
    const doc = { users: [{ name: 'me', id: 4001, keys: [KEY] }], groups: [{ name: 'me', id: 4001, users: ['me'] }] };
    const f = file('dir.json', JSON.stringify(doc));
    expect(resolveOptions({ stnsDirectory: f }).stns.users[0]!.name).toBe('me');
    expect(resolveOptions({ stnsDirectory: doc }).stnsSource).toBe('options');
  });

  test('mistakes are usage errors naming the file and the field, all at once', () => {
    const err = (o: Parameters<typeof resolveOptions>[0]): string => {
      try {
        resolveOptions(o);
      } catch (e) {
        expect(e).toBeInstanceOf(LabOptionsError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    const f = file(
      'bad.yaml',
      `users:\n  - { name: "john.doe", id: 1 }\n  - { name: ok, id: 0, keys: ["not a key"] }\n  - { name: two, id: 5, homedir: /x }\n  - { name: two, id: 5 }\ngroups:\n  - { name: g, id: 7, users: [ghost] }\ntokens:\n  pi: { users: [nobody] }\n  extra: { users: [] }\n  Bad: {}\n`,
    );
    const m = err({ stnsDirectory: f });
    expect(m).toContain(`STNS directory ${f}: 11 problems:`);
    expect(m).toContain('users[0].name: "john.doe" is not a valid user name');
    expect(m).toContain('users[1].id: must be a whole number >= 1 (got 0)');
    expect(m).toContain('users[1].keys[0]: "not a key" is not an OpenSSH public key line');
    expect(m).toContain('users[2].homedir: unknown field (known: name, id, group_id, directory, shell, gecos, password, keys)');
    expect(m).toContain('users[3].name: user "two" is listed twice');
    expect(m).toContain('users[3].id: id 5 is also the id of user "two"');
    expect(m).toContain('groups[0].users[0]: no user named "ghost" in users');
    expect(m).toContain('tokens.pi.users[0]: no user named "nobody" in users');
    expect(m).toContain('tokens.extra.value: is missing: a token other than web and pi needs its value');
    expect(m).toContain('tokens.Bad: token names are lower-case letters, digits, - and _');
    expect(err({ stnsDirectory: file('broken.json', '{"users": [') })).toMatch(/broken\.json: not valid JSON: /);
    expect(err({ stnsDirectory: file('broken.yaml', 'users: [\n') })).toMatch(/broken\.yaml: not valid YAML: /);
    expect(err({ stnsDirectory: path.join(tmp, 'missing.yaml') })).toMatch(/missing\.yaml: cannot read the STNS directory file: ENOENT/);
    expect(err({ stnsDirectory: file('empty.yaml', 'groups: []\n') })).toMatch(/empty\.yaml: users: is missing/);
    expect(err({ stnsDirectory: file('same.yaml', `users: [{ name: a, id: 1 }]\ntokens:\n  x: { value: v }\n  y: { value: v }\n`) })).toMatch(/tokens\.y\.value: is the same as the value of token "x"/);
    expect(err({ stnsDirectory: file('clash.yaml', `users: [{ name: a, id: 1 }]\ntokens:\n  x: { value: lab-web-fixed }\n`), tokens: { web: 'lab-web-fixed' } })).toMatch(/tokens "web" and "x" have the same value/);
  });
});
