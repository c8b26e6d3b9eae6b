// verify: on each host, ask STNS for every verify user the way sshd and NSS will (stns-key-wrapper, getent) as a
// NEW login would, past the module's answer cache (templates/host/verify.sh says how, and what it cannot
// bypass), and check that sshd, started the way its service starts it, really runs the keys command we expect.
// The script only gathers evidence; the judgement, and the reasons, are made here.
//
// The reasons follow how each case really looks with libnss-stns-v2 2.6.10 (stns.c, stns_key_wrapper.c;
// outputs captured from the real module in test/verify/verify-fixtures.ts). The key wrapper prints
// "http request failed user: U" and exits 255 for an unknown user (404), a rejected token (401/403), a refused
// connection, a timeout and a TLS failure alike, so it cannot tell them apart; a user without keys prints an
// empty line and exits 0, and so does a 404 or 401 answered from its cache (it keeps their bodies as
// positive answers). What tells them apart: the lookup runs with an empty cache (so an empty line means no
// keys), /var/tmp/.stns.lock (written after a refused connection only, then every lookup fails for
// request_locktime), and a probe of the same query with this host's stns.conf by curl, whose exit code is
// the libcurl code the module got and which reports the HTTP status the module does not print.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { shq } from '../host-script/shq.js';
import { BUILTIN_TEMPLATES } from '../render/templates.js';
import { scrub, type SecretValues } from '../render/secrets.js';
import { describeResult, succeeded } from '../transport/result.js';
import type { InvocationResult } from '../transport/types.js';
import { compactShell } from '../host-script/compact.js';

export interface VerifyExpect {
  users: string[];
  testOptions: string[];
  keysCommand?: string;
  keysCommandUser?: string;
}

/** Why a verify user fails, as a stable word for JSON (the text in `problem` says it for people). */
export type VerifyReason =
  | 'not-installed' // no stns-key-wrapper
  | 'unknown-user' // STNS answers 404 for the user
  | 'no-keys' // STNS knows the user, without SSH keys
  | 'token-rejected' // STNS answers 401 or 403: the auth token is refused
  | 'unreachable' // connection refused, no route, name not resolved, timed out, or locked after a refusal
  | 'tls' // TLS failure: handshake, certificate, CA file
  | 'cache-stnsd' // [cached] enable: cache-stnsd does not answer, or answers otherwise than the server
  | 'nss' // the key lookup works but getent passwd does not find the user (nsswitch.conf)
  | 'failed'; // anything else, with what was seen

interface UserCheck {
  user: string;
  ok: boolean;
  keys: number;
  reason?: VerifyReason;
  problem?: string;
}

export interface HostVerdict {
  id: string;
  ok: boolean;
  users: UserCheck[];
  sshd: { ok: boolean; seen?: string; expected?: string };
  problems: string[];
}

const VERIFY_LIB = 'host/verify.sh';
let lib: string | undefined;

export function verifyScript(e: VerifyExpect): string {
  lib ??= compactShell(readFileSync(path.join(BUILTIN_TEMPLATES, VERIFY_LIB), 'utf8').trimEnd());
  const opts = e.testOptions.map((o) => ` -o ${shq(o)}`).join('');
  return [lib, '', 'sv_sshd() {', `\t"$1" -T${opts}`, '}', `sv_verify${e.users.map((u) => ` ${shq(u)}`).join('')}`, ''].join('\n');
}

/** What the script reported for one user (see templates/host/verify.sh). */
export interface UserEvidence {
  /** stns-key-wrapper's exit code, key lines and first other lines. */
  rc: number;
  keys: number;
  msg: string;
  /** /var/tmp/.stns.lock around the key lookup: created by it (new), there before and untouched (held). */
  lock?: 'none' | 'new' | 'held';
  /** The probe of <api_endpoint>/users?name=USER with the host's stns.conf; undefined without curl. */
  probe?: { http: number; curl: number };
  /** How the lookup ran: as an unused euid (empty module cache), as root (its cache), or in a tree (the lab). */
  mode: 'fresh' | 'root' | 'tree';
  /** stns.conf has [cached] enable = true: the module asks only cache-stnsd's socket. */
  cached: boolean;
}

// libcurl codes (curl's exit code is the CURLcode) the probe may end with, grouped as the reasons are.
const UNREACHABLE: Record<number, string> = {
  5: 'cannot resolve the proxy',
  6: "cannot resolve the endpoint's host name",
  7: 'connection refused, or no route to the endpoint',
  28: 'no answer within request_timeout (timed out)',
  52: 'the server closed the connection without answering',
  55: 'sending to the server failed',
  56: 'the connection broke while receiving',
};
const TLS: Record<number, string> = {
  35: 'the TLS handshake failed (is the endpoint really https?)',
  53: 'TLS engine not found',
  54: 'cannot set the TLS engine',
  58: 'the client certificate or key ([tls] cert, key) cannot be used',
  59: 'no usable TLS cipher',
  60: "the server's certificate is not trusted or does not match its name",
  64: 'TLS required but not available',
  66: 'cannot start the TLS engine',
  77: 'the CA certificates ([tls] ca, or the system bundle) cannot be read',
  80: 'the TLS connection did not shut down cleanly',
  82: 'the CRL file cannot be read',
  83: "the server certificate's issuer check failed",
  90: "the server's public key does not match the pinned one",
  91: 'invalid certificate status',
  98: 'the client certificate was refused',
};

type Probe =
  | { kind: 'ok' }
  | { kind: 'unknown' }
  | { kind: 'rejected'; http: number }
  | { kind: 'http'; http: number }
  | { kind: 'unreachable'; what: string; curl: number }
  | { kind: 'tls'; what: string; curl: number }
  | { kind: 'curl'; curl: number };

function classify(p: { http: number; curl: number }): Probe {
  if (p.curl === 0) {
    if (p.http >= 200 && p.http < 300) return { kind: 'ok' };
    if (p.http === 404) return { kind: 'unknown' };
    if (p.http === 401 || p.http === 403) return { kind: 'rejected', http: p.http };
    return { kind: 'http', http: p.http };
  }
  if (UNREACHABLE[p.curl]) return { kind: 'unreachable', what: UNREACHABLE[p.curl]!, curl: p.curl };
  if (TLS[p.curl]) return { kind: 'tls', what: TLS[p.curl]!, curl: p.curl };
  return { kind: 'curl', curl: p.curl };
}

type Judged = { reason: VerifyReason; problem: string };

/** The reason a probe result gives, as the server answers this host's stns.conf. */
function fromProbe(p: Probe): Judged {
  switch (p.kind) {
    case 'ok':
      return { reason: 'failed', problem: 'the STNS server answers (HTTP 200)' };
    case 'unknown':
      return { reason: 'unknown-user', problem: 'user unknown to STNS (the server answers 404 for it)' };
    case 'rejected':
      return { reason: 'token-rejected', problem: `the STNS server rejected this host's auth token (HTTP ${p.http})` };
    case 'http':
      return { reason: 'failed', problem: `the STNS server answered HTTP ${p.http}` };
    case 'unreachable':
      return { reason: 'unreachable', problem: `the STNS endpoint is unreachable: ${p.what} (curl exit ${p.curl})` };
    case 'tls':
      return { reason: 'tls', problem: `TLS failure talking to the STNS endpoint: ${p.what} (curl exit ${p.curl})` };
    case 'curl':
      return { reason: 'failed', problem: `asking the STNS endpoint failed (curl exit ${p.curl})` };
  }
}

const NO_KEYS = 'STNS knows the user but has no SSH keys for it';
const CACHE_STNSD_STALE =
  "cache-stnsd answers otherwise than the STNS server does for this host's stns.conf: it reads stns.conf only when it starts, so it runs an older one or is not running (systemctl restart cache-stnsd)";

/** The reason one verify user fails, from what the script saw; undefined when the user passes. */
export function keysProblem(ev: UserEvidence): Judged | undefined {
  if (ev.rc === 127) return { reason: 'not-installed', problem: 'stns-key-wrapper is not installed' };
  const p = ev.probe ? classify(ev.probe) : undefined;
  const server = p ? fromProbe(p) : undefined;
  if (ev.rc === 0 && ev.keys > 0) {
    // Keys come, but with [cached] enable they come from cache-stnsd: the server may say otherwise.
    if (ev.cached && p && p.kind !== 'ok') return { reason: 'cache-stnsd', problem: `${CACHE_STNSD_STALE}; the server: ${server!.problem}` };
    return undefined;
  }
  if (ev.rc === 0) {
    // An empty answer: no keys, unless the module answered from a cache (a 404 or 401 kept as an answer).
    if (!p || p.kind === 'ok') {
      const unsure = !p && ev.mode !== 'fresh' && !ev.cached ? ' (or its cache holds a 404 or 401 for the user, which the module answers as empty: not checked, no curl)' : '';
      return { reason: 'no-keys', problem: `${NO_KEYS}${unsure}` };
    }
    if (ev.cached) return { reason: 'cache-stnsd', problem: `${CACHE_STNSD_STALE}; the server: ${server!.problem}` };
    return { reason: server!.reason, problem: `${server!.problem}; the module answered from its cache, where it keeps that answer as an empty one` };
  }
  if (ev.lock === 'new' || ev.lock === 'held') {
    // Only a refused connection (CURLE_COULDNT_CONNECT) writes the lock; while it is younger than
    // request_locktime every lookup fails at once, for every euid.
    const locked = 'the module then fails every lookup for request_locktime (default 60 s; /var/tmp/.stns.lock)';
    if (ev.cached) return { reason: 'cache-stnsd', problem: `cache-stnsd is not answering on its socket (with [cached] enable = true the module asks only it: is it running?); ${locked}` };
    if (!p || p.kind === 'unreachable') return { reason: 'unreachable', problem: `the STNS endpoint refused the connection${p ? ` (${p.what}, curl exit ${p.curl})` : ''}; ${locked}` };
    return {
      reason: 'unreachable',
      problem: `every STNS lookup fails for now: a connection was refused less than request_locktime seconds ago (default 60 s) and the module does not ask again until then (/var/tmp/.stns.lock); the endpoint now: ${server!.problem}`,
    };
  }
  if (!p) {
    return {
      reason: 'failed',
      problem: `the STNS lookup failed (stns-key-wrapper exit ${ev.rc}${ev.msg.trim() ? `: ${ev.msg.trim()}` : ''}); the module says the same for an unknown user, a rejected token, an unreachable or slow endpoint and a TLS failure: install curl on the host for verify to tell which`,
    };
  }
  if (p.kind === 'ok') {
    if (ev.cached) return { reason: 'cache-stnsd', problem: CACHE_STNSD_STALE };
    return { reason: 'failed', problem: `stns-key-wrapper failed (exit ${ev.rc}${ev.msg.trim() ? `: ${ev.msg.trim()}` : ''}) though the STNS server answers this host's stns.conf (HTTP 200)` };
  }
  // The script asks a timing-out endpoint once; the next users carry that lookup's evidence.
  const notAsked = /^not asked: (.*)$/.exec(ev.msg.trim());
  return notAsked ? { reason: server!.reason, problem: `${server!.problem} (${notAsked[0]})` } : server!;
}

export function judgeVerify(r: InvocationResult, output: string, e: VerifyExpect, secrets: SecretValues): HostVerdict {
  const text = scrub(output, secrets);
  const problems: string[] = [];
  if (!text.includes('STNS_FLEET_VERIFY end')) {
    const why = succeeded(r) ? 'the verify output is incomplete' : `the verify command did not complete: ${describeResult(r)}`;
    return { id: r.instanceId, ok: false, users: [], sshd: { ok: false }, problems: [why] };
  }
  let mode: UserEvidence['mode'] = 'root';
  let cached = false;
  const evidence = new Map<string, UserEvidence>();
  const passwd = new Map<string, { rc: string; entry: string }>();
  for (const l of text.split('\n')) {
    const [tag, kind, a = '', b = '', c = '', ...rest] = l.split(' ');
    if (tag !== 'STNS_FLEET_VERIFY') continue;
    if (kind === 'lookup') {
      if (a === 'fresh' || a === 'root' || a === 'tree') mode = a;
      cached = b === '1';
    } else if (kind === 'keys') {
      evidence.set(a, { rc: Number(b), keys: Number(c || 0), msg: rest.join(' '), mode, cached });
    } else if (kind === 'passwd') {
      passwd.set(a, { rc: b, entry: [c, ...rest].join(' ') });
    } else if (kind === 'why') {
      const ev = evidence.get(a);
      if (!ev) continue;
      if (b === 'none' || b === 'new' || b === 'held') ev.lock = b;
      const curl = rest[0];
      if (c !== '-' && curl !== undefined && curl !== '-') ev.probe = { http: Number(c), curl: Number(curl) };
    }
  }
  const users: UserCheck[] = e.users.map((user) => {
    const ev = evidence.get(user);
    if (!ev) return { user, ok: false, keys: 0, reason: 'failed', problem: 'not looked up (the verify output has no line for this user)' };
    const bad = keysProblem(ev);
    if (bad) return { user, ok: false, keys: ev.keys, ...bad };
    const pw = passwd.get(user);
    if (pw && pw.rc !== '0') {
      const problem = pw.rc === '2' ? 'user unknown to NSS (getent passwd): is stns on the passwd line?' : `getent passwd failed (exit ${pw.rc})`;
      return { user, ok: false, keys: ev.keys, reason: 'nss', problem };
    }
    return { user, ok: true, keys: ev.keys };
  });
  const seen = /^STNS_FLEET_VERIFY sshd authorizedkeyscommand (.*)$/im.exec(text)?.[1]?.trim();
  const sshdOk = e.keysCommand === undefined ? seen !== undefined && seen !== 'none' : seen === e.keysCommand;
  if (!sshdOk) problems.push(`sshd uses AuthorizedKeysCommand ${seen ?? '(none)'}${e.keysCommand ? `, expected ${e.keysCommand}` : ''}`);
  for (const u of users) if (!u.ok) problems.push(`${u.user}: ${u.problem}`);
  return { id: r.instanceId, ok: problems.length === 0, users, sshd: { ok: sshdOk, ...(seen ? { seen } : {}), ...(e.keysCommand ? { expected: e.keysCommand } : {}) }, problems };
}
