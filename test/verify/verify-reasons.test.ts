// verify's reasons (src/verify/judge.ts), judged from what the verify script really prints with the real
// libnss-stns-v2 (test/verify/verify-fixtures.ts, kept true by test/real/verify-reasons.test.ts), and from a few
// outputs made by hand for what a chroot cannot show (cache-stnsd answering, a host without setpriv).
import { describe, expect, test } from 'vitest';
import { judgeVerify, keysProblem, type UserEvidence } from '../../src/verify/judge.js';
import type { InvocationResult } from '../../src/transport/types.js';
import { VERIFY_CASES, type VerifyCase } from './verify-fixtures.js';

const RESULT: InvocationResult = { instanceId: 'i-0123', commandId: 'c-1', kind: 'ran', exitCode: 0, stdout: '', stderr: '', truncated: false };
const judge = (c: Pick<VerifyCase, 'users' | 'output'>) => judgeVerify(RESULT, c.output, { users: c.users, testOptions: [] }, {});
const byName = (n: string): VerifyCase => VERIFY_CASES.find((c) => c.name.startsWith(n))!;
const problem = (c: VerifyCase, user: string): string => judge(c).users.find((u) => u.user === user)!.problem!;

describe('the real outputs', () => {
  for (const c of VERIFY_CASES) {
    test(c.name, () => {
      const v = judge(c);
      expect(Object.fromEntries(v.users.map((u) => [u.user, u.ok ? 'ok' : u.reason]))).toEqual(c.reasons);
      expect(v.ok).toBe(Object.values(c.reasons).every((r) => r === 'ok'));
      // Every failing user is in the host's problems, with its text.
      for (const u of v.users.filter((x) => !x.ok)) expect(v.problems).toContain(`${u.user}: ${u.problem}`);
    });
  }

  test('each reason reads as what happened', () => {
    const good = byName('the right token');
    expect(judge(good).users.find((u) => u.user === 'alice')).toEqual({ user: 'alice', ok: true, keys: 1 });
    expect(problem(good, 'carol')).toBe('STNS knows the user but has no SSH keys for it');
    expect(problem(good, 'mallory')).toBe('user unknown to STNS (the server answers 404 for it)');
    expect(problem(byName('a token the server refuses'), 'alice')).toBe("the STNS server rejected this host's auth token (HTTP 401)");
    expect(problem(byName("root's cache"), 'alice')).toBe("the STNS server rejected this host's auth token (HTTP 401)");
    const refused = byName('a closed port');
    expect(problem(refused, 'alice')).toBe(
      'the STNS endpoint refused the connection (connection refused, or no route to the endpoint, curl exit 7); the module then fails every lookup for request_locktime (default 60 s; /var/tmp/.stns.lock)',
    );
    expect(problem(refused, 'carol')).toBe(problem(refused, 'alice')); // locked by alice's lookup: same story
    const silent = byName('a server that never answers');
    expect(problem(silent, 'alice')).toBe('the STNS endpoint is unreachable: no answer within request_timeout (timed out) (curl exit 28)');
    expect(problem(silent, 'bob')).toBe('the STNS endpoint is unreachable: no answer within request_timeout (timed out) (curl exit 28) (not asked: the STNS endpoint timed out for alice)');
    expect(problem(byName('https to the'), 'alice')).toBe('TLS failure talking to the STNS endpoint: the TLS handshake failed (is the endpoint really https?) (curl exit 35)');
    expect(problem(byName('https, and no CA'), 'alice')).toBe('TLS failure talking to the STNS endpoint: the CA certificates ([tls] ca, or the system bundle) cannot be read (curl exit 77)');
    expect(problem(byName('[cached] enable'), 'alice')).toMatch(/^cache-stnsd is not answering on its socket \(with \[cached\] enable = true the module asks only it: is it running\?\)/);
    expect(problem(byName('no curl'), 'alice')).toBe(
      'the STNS lookup failed (stns-key-wrapper exit 255: http request failed user: alice); the module says the same for an unknown user, a rejected token, an unreachable or slow endpoint and a TLS failure: install curl on the host for verify to tell which',
    );
  });

  test('the reasons are distinct: one text per kind of failure', () => {
    const texts = new Map<string, string>();
    for (const c of VERIFY_CASES) for (const u of judge(c).users) if (!u.ok) texts.set(`${u.reason}:${u.problem!.replace(u.user, 'U')}`, u.reason!);
    const kinds = new Set(texts.values());
    expect([...kinds].sort()).toEqual(['cache-stnsd', 'failed', 'no-keys', 'tls', 'token-rejected', 'unknown-user', 'unreachable']);
  });
});

describe('outputs the real chroot does not give', () => {
  const ev = (o: Partial<UserEvidence>): UserEvidence => ({ rc: 0, keys: 1, msg: '', mode: 'fresh', cached: false, ...o });

  test('cache-stnsd answers keys, but the server refuses the token in stns.conf: cache-stnsd runs an older stns.conf', () => {
    expect(keysProblem(ev({ cached: true, lock: 'none', probe: { http: 401, curl: 0 } }))).toEqual({
      reason: 'cache-stnsd',
      problem:
        "cache-stnsd answers otherwise than the STNS server does for this host's stns.conf: it reads stns.conf only when it starts, so it runs an older one or is not running (systemctl restart cache-stnsd); the server: the STNS server rejected this host's auth token (HTTP 401)",
    });
    expect(keysProblem(ev({ cached: true, lock: 'none', probe: { http: 200, curl: 0 } }))).toBeUndefined();
    // cache-stnsd passes the server's 404 and 401 on (only 200s carry a body): the module fails, the probe says why.
    expect(keysProblem(ev({ rc: 255, keys: 0, cached: true, lock: 'none', probe: { http: 404, curl: 0 } }))?.reason).toBe('unknown-user');
    expect(keysProblem(ev({ rc: 255, keys: 0, cached: true, lock: 'none', probe: { http: 403, curl: 0 } }))).toEqual({ reason: 'token-rejected', problem: "the STNS server rejected this host's auth token (HTTP 403)" });
  });

  test('a lookup as root (no setpriv or chroot to switch): an empty answer may be a cached 404 or 401, and the probe tells', () => {
    expect(keysProblem(ev({ rc: 0, keys: 0, mode: 'root', probe: { http: 404, curl: 0 } }))).toEqual({
      reason: 'unknown-user',
      problem: 'user unknown to STNS (the server answers 404 for it); the module answered from its cache, where it keeps that answer as an empty one',
    });
    expect(keysProblem(ev({ rc: 0, keys: 0, mode: 'root', probe: { http: 401, curl: 0 } }))?.reason).toBe('token-rejected');
    expect(keysProblem(ev({ rc: 0, keys: 0, mode: 'root' }))?.problem).toMatch(/^STNS knows the user but has no SSH keys for it \(or its cache holds a 404 or 401/);
    expect(keysProblem(ev({ rc: 0, keys: 0, mode: 'fresh' }))?.problem).toBe('STNS knows the user but has no SSH keys for it');
  });

  test('the lock held from an earlier refusal while the endpoint answers now; no key wrapper; resolution; HTTP 500', () => {
    expect(keysProblem(ev({ rc: 255, keys: 0, lock: 'held', probe: { http: 200, curl: 0 } }))?.problem).toMatch(
      /^every STNS lookup fails for now: a connection was refused less than request_locktime seconds ago .*; the endpoint now: the STNS server answers \(HTTP 200\)$/,
    );
    expect(keysProblem(ev({ rc: 127, keys: 0 }))).toEqual({ reason: 'not-installed', problem: 'stns-key-wrapper is not installed' });
    expect(keysProblem(ev({ rc: 255, keys: 0, lock: 'none', probe: { http: 0, curl: 6 } }))?.problem).toBe("the STNS endpoint is unreachable: cannot resolve the endpoint's host name (curl exit 6)");
    expect(keysProblem(ev({ rc: 255, keys: 0, lock: 'none', probe: { http: 500, curl: 0 } }))).toEqual({ reason: 'failed', problem: 'the STNS server answered HTTP 500' });
  });

  test('keys come but getent does not find the user: nsswitch.conf (reason nss); a user missing from the output', () => {
    const out = ['STNS_FLEET_VERIFY lookup fresh 0', 'STNS_FLEET_VERIFY keys alice 0 1 ', 'STNS_FLEET_VERIFY passwd alice 2 ', 'STNS_FLEET_VERIFY sshd authorizedkeyscommand /usr/lib/stns/stns-key-wrapper', 'STNS_FLEET_VERIFY end', ''].join('\n');
    const v = judge({ users: ['alice', 'bob'], output: out });
    expect(v.users).toEqual([
      { user: 'alice', ok: false, keys: 1, reason: 'nss', problem: 'user unknown to NSS (getent passwd): is stns on the passwd line?' },
      { user: 'bob', ok: false, keys: 0, reason: 'failed', problem: 'not looked up (the verify output has no line for this user)' },
    ]);
    expect(v.sshd).toEqual({ ok: true, seen: '/usr/lib/stns/stns-key-wrapper' });
  });
});

describe('a verify command that did not give its whole output', () => {
  const expect1 = { users: ['alice'], testOptions: [] };
  test('it succeeded: the output is incomplete', () => {
    expect(judgeVerify(RESULT, 'STNS_FLEET_VERIFY lookup fresh 0\n', expect1, {}).problems).toEqual(['the verify output is incomplete']);
  });

  test('it did not: how it ended, in the same words as everywhere', () => {
    const lost: InvocationResult = { instanceId: 'i-0123', commandId: 'c-1', kind: 'undelivered', reason: 'undeliverable' };
    expect(judgeVerify(lost, '', expect1, {})).toMatchObject({ ok: false, problems: ['the verify command did not complete: never ran on the host (Undeliverable)'] });
    const stopped: InvocationResult = { instanceId: 'i-0123', commandId: 'c-1', kind: 'timed-out', stdout: '', stderr: '', truncated: false };
    expect(judgeVerify(stopped, 'STNS_FLEET_VERIFY lookup fresh 0\n', expect1, {}).problems).toEqual(['the verify command did not complete: the script ran out of time and was stopped (ExecutionTimedOut)']);
  });
});
