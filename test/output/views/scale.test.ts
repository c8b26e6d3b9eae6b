// The reports at fleet scale: 1000 hosts in 7 states (plan-fixture.ts's fleetPlan: two units to change, one
// converged, one that cannot be planned, hosts without openssl, 300 unreachable for one reason, stopped ones).
// Their text grows with the distinct changes and reasons, not with the hosts: the same 7 states with 10× the
// hosts print as many lines; problems come before the first diff; a reason shared by many hosts is said once
// with them (the first few, and how many more); --verbose and JSON name every host. apply shows the plan's
// summary unless it is about to ask, or is told --verbose.
import { beforeAll, describe, expect, test } from 'vitest';
import type { ApplyReport } from '../../../src/apply/rollout.js';
import type { HostOutcome } from '../../../src/apply/outcome.js';
import { Emitter } from '../../../src/output/emitter.js';
import type { Io } from '../../../src/output/io.js';
import { applyView } from '../../../src/output/views/apply.js';
import type { PlanFormat } from '../../../src/output/views/formats.js';
import { planView } from '../../../src/output/views/plan.js';
import { verifyView, type VerifyResult } from '../../../src/output/views/verify.js';
import type { FleetPlan } from '../../../src/plan/fleet-plan.js';
import { FLEET_1000, fleetPlan, planFixture, UNREACHABLE, type Fixture } from '../plan-fixture.js';

let f: Fixture;
let plan: FleetPlan;
let plan10: FleetPlan;
beforeAll(async () => {
  f = await planFixture();
  plan = fleetPlan(f);
  plan10 = fleetPlan(f, 10);
});

function terminal(confirm?: Io['confirm']): { io: Emitter; out: () => string } {
  const out: string[] = [];
  return { io: new Emitter({ out: (t) => void out.push(t), err: () => undefined, ...(confirm ? { confirm } : {}) }), out: () => out.join('') };
}

function showPlan(p: FleetPlan, format: PlanFormat = 'text', verbose = false): string {
  const t = terminal();
  planView(format, t.io, { verbose }).result({ plan: p, fleet: f.fleet });
  return t.out();
}

const lineCount = (s: string): number => s.trimEnd().split('\n').length;
const occurrences = (s: string, what: string): number => s.split(what).length - 1;
const idsOf = (p: FleetPlan, status: FleetPlan['hosts'][number]['status']): string[] => p.hosts.filter((h) => h.status === status).map((h) => h.id);

test('the fixture: 1000 hosts in 7 states, 10 000 in the same 7', () => {
  expect(plan.hosts).toHaveLength(1000);
  expect(plan10.hosts).toHaveLength(10_000);
  const states = (p: FleetPlan): Set<string> => new Set(p.hosts.map((h) => `${h.status} ${h.unit ?? ''} ${h.reason ?? ''}`));
  expect(states(plan).size).toBe(7);
  expect(states(plan10)).toEqual(states(plan));
  expect(idsOf(plan, 'unreachable')).toHaveLength(FLEET_1000.unreachable);
});

describe('plan, text', () => {
  test('two screens at 1000 hosts, and not a line more at 10 000', () => {
    const text = showPlan(plan);
    expect(lineCount(text)).toBeLessThanOrEqual(120);
    expect(lineCount(showPlan(plan10))).toBe(lineCount(text));
    expect(text).toMatch(/^Plan: 500 to change, 100 unchanged, 10 skipped, 300 unreachable, 90 with errors\.$/m);
  });

  test('errors, refusals and unreachable hosts come before the first diff', () => {
    const text = showPlan(plan);
    const firstDiff = text.search(/^--- /m);
    expect(firstDiff).toBeGreaterThan(0);
    for (const problem of [/^ {3}error: the inventory says debian-12 but the host is ubuntu-24\.04/m, /no openssl on the host/, /^ {3}unreachable /m, /^ {3}skipped /m]) {
      const at = text.search(problem);
      expect(at, String(problem)).toBeGreaterThanOrEqual(0);
      expect(at, String(problem)).toBeLessThan(firstDiff);
    }
  });

  test('a reason shared by 300 unreachable hosts is said once, with the first few of them and how many more', () => {
    const text = showPlan(plan);
    expect(occurrences(text, UNREACHABLE)).toBe(1);
    expect(text).toContain(`unreachable 300 host(s) [web, db]: ${UNREACHABLE}`);
    const unreachable = idsOf(plan, 'unreachable');
    expect(text).toContain(`${unreachable.slice(0, 3).join(', ')} … and 297 more`);
    expect(text).not.toContain(unreachable[3]!);
    expect(text).toMatch(/^Host lists are shortened: --verbose lists every host/m);
  });

  test('a unit\'s hosts: the first few; --verbose lists every host of every unit and reason', () => {
    const text = showPlan(plan);
    expect(text).toMatch(/^## web#1: 440 host\(s\), group web, debian-12 \(x86_64\); 40 of them not planned \(above\)\n {3}i-0+1 \(web-0001\), i-0+2 \(web-0002\), i-0+3 \(web-0003\) … and 437 more$/m);
    const missing = plan.hosts.filter((h) => !text.includes(h.id));
    expect(missing.length).toBeGreaterThan(900);
    const verbose = showPlan(plan, 'text', true);
    expect(plan.hosts.filter((h) => !verbose.includes(h.id))).toEqual([]);
    expect(occurrences(verbose, UNREACHABLE)).toBe(1);
    expect(verbose).not.toMatch(/… and \d+ more|shortened/);
  });

  test('JSON has every host', () => {
    const doc = JSON.parse(showPlan(plan, 'json')) as { hosts: { id: string }[]; summary: Record<string, number> };
    expect(doc.hosts.map((h) => h.id)).toEqual(plan.hosts.map((h) => h.id));
    expect(doc.summary).toEqual({ change: 500, unchanged: 100, skipped: 10, unreachable: 300, error: 90 });
  });
});

describe('plan, markdown', () => {
  test('collapsed per unit, problems first, a repeated reason once, as long at 10 000 hosts as at 1000', () => {
    const md = showPlan(plan, 'markdown');
    expect(md.match(/^<details>$/gm)).toHaveLength(2); // web#1 and web#4
    expect(md.match(/^<details open>$/gm)).toHaveLength(1); // db#5
    expect(md.indexOf('Not planned:')).toBeLessThan(md.indexOf('```diff'));
    const row = md.split('\n').filter((l) => l.startsWith('| unreachable |'));
    expect(row).toHaveLength(1);
    expect(row[0]).toMatch(/^\| unreachable \| 300 hosts: `i-[0-9a-f]+`, `i-[0-9a-f]+`, `i-[0-9a-f]+` … and 297 more \| `web`, `db` \| the facts command timed out \\\(ExecutionTimedOut\\\)/);
    expect(lineCount(showPlan(plan10, 'markdown'))).toBe(lineCount(md));
    const verbose = showPlan(plan, 'markdown', true);
    expect(plan.hosts.filter((h) => !verbose.includes(`\`${h.id}\``))).toEqual([]);
  });
});

describe('apply', () => {
  function showApply(p: FleetPlan, o: { confirm: boolean; terminal: boolean; verbose?: boolean }): string {
    const t = terminal(o.terminal ? () => Promise.resolve(true) : undefined);
    applyView(false, t.io, { verbose: o.verbose === true }).event({ kind: 'plan', plan: p, confirm: o.confirm });
    return t.out();
  }
  const diffs = /^(--- |\+\+\+ |@@ )/m;

  test('--yes (no question): the plan\'s summary, problems first, no diffs, no unit host lists, as long at 10 000 hosts', () => {
    const text = showApply(plan, { confirm: false, terminal: true });
    expect(text).not.toMatch(diffs);
    expect(text).toMatch(/^To change:\n {3}web#1: 400 of 440 host\(s\), group web, debian-12 \(x86_64\): 6 file\(s\) to change; installs libnss-stns-v2 cache-stnsd\n {3}web#4: 100 host\(s\), group web, debian-12 \(x86_64\): 1 file\(s\) to change$/m);
    expect(text.indexOf('error: the inventory says debian-12')).toBeLessThan(text.indexOf('To change:'));
    expect(occurrences(text, UNREACHABLE)).toBe(1);
    expect(text).toMatch(/^Plan: 500 to change, 100 unchanged, 10 skipped, 300 unreachable, 90 with errors\.$/m);
    expect(text).not.toContain('(web-0001)');
    expect(lineCount(text)).toBeLessThanOrEqual(30);
    expect(lineCount(showApply(plan10, { confirm: false, terminal: true }))).toBe(lineCount(text));
  });

  test('the full plan only before a question it can ask, or with --verbose', () => {
    const asked = showApply(plan, { confirm: true, terminal: true });
    expect(asked).toMatch(diffs);
    expect(asked).toMatch(/^## web#1: 440 host\(s\)/m);
    expect(asked).toBe(showPlan(plan).replace(/^ {3}not found .*\n/m, '')); // the plan as `plan` shows it (apply knows no unknown IDs)
    // No terminal: apply refuses to prompt, so nothing is about to be confirmed.
    expect(showApply(plan, { confirm: true, terminal: false })).not.toMatch(diffs);
    const verbose = showApply(plan, { confirm: false, terminal: false, verbose: true });
    expect(verbose).toMatch(diffs);
    expect(plan.hosts.filter((h) => !verbose.includes(h.id))).toEqual([]);
  });
});

/** Every host of `p` as a rollout ends it: per 500 hosts to change, 300 changed (the first the canary), 10
 * failed for one reason with one output, 6 for another each with its own, 20 cancelled, 6 drifted, the rest
 * not attempted; the others as planned. */
function rollout(p: FleetPlan): ApplyReport {
  const change = p.hosts.filter((h) => h.status === 'change');
  const k = change.length / 500;
  const outcome = (i: number, id: string): HostOutcome => {
    if (i < 300 * k) return { id, outcome: 'changed' };
    if (i < 310 * k) return { id, outcome: 'failed', status: 'Failed', detail: 'sshd -t refused the new configuration', tail: ['sshd: line 4: Bad configuration option', 'STNS_FLEET_RESULT=invalid'] };
    if (i < 316 * k) return { id, outcome: 'failed', status: 'TimedOut', detail: 'the host did not answer in time', tail: [`stns-fleet: waiting for the apt lock on ${id}`] };
    if (i < 336 * k) return { id, outcome: 'cancelled', detail: 'cancelled: the error budget was exceeded', tail: ['Terminated'] };
    if (i < 342 * k) return { id, outcome: 'drifted', detail: 'changed since the plan: /etc/nsswitch.conf; nothing was touched' };
    return { id, outcome: 'skipped', detail: 'not attempted: error budget exceeded' };
  };
  const outcomes = new Map(change.map((h, i) => [h.id, outcome(i, h.id)]));
  return {
    canary: [change[0]!.id],
    stopped: 'error budget exceeded',
    outcomes: p.hosts.map((h) => outcomes.get(h.id) ?? (h.status === 'unchanged' ? { id: h.id, outcome: 'unchanged', detail: 'already as planned: no command sent' } : { id: h.id, outcome: 'skipped', detail: h.reason ?? h.status })),
  };
}

describe('apply results', () => {
  function results(p: FleetPlan, verbose = false, json = false): string {
    const t = terminal();
    applyView(json, t.io, { verbose }).result({ plan: p, report: rollout(p) });
    return t.out();
  }

  test('changed and unchanged per unit with their count; failures, cancellations, drifts by reason, each once; as long at 10 000 hosts', () => {
    const text = results(plan);
    const r = rollout(plan);
    expect(text).toMatch(/^ {2}changed {3}300 host\(s\) in web#1\n {12}i-0+1 \(web-0001\) \(canary\), i-0+2 \(web-0002\), i-0+3 \(web-0003\) … and 297 more$/m);
    expect(text).toMatch(/^ {2}unchanged 100 host\(s\) in web#3: already as planned: no command sent$/m);
    expect(occurrences(text, 'sshd -t refused the new configuration')).toBe(1);
    expect(text).toMatch(/^ {2}failed {4}10 host\(s\) \[web\]: sshd -t refused the new configuration \[Failed\]\n {12}(i-\w+ \(web-\d+\), ){2}i-\w+ \(web-\d+\) … and 7 more\n {14}\| sshd: line 4: Bad configuration option\n {14}\| STNS_FLEET_RESULT=invalid$/m);
    // Six hosts, one reason, each its own output: the reason once, the first few outputs under the host that printed each.
    const timedOut = r.outcomes.filter((o) => o.status === 'TimedOut').map((o) => o.id);
    const named = (id: string): string => `${id} (${plan.hosts.find((h) => h.id === id)!.name!})`;
    expect(timedOut).toHaveLength(6);
    expect(text).toContain(
      [
        '  failed    6 host(s) [web]: the host did not answer in time [TimedOut]',
        `            ${timedOut.slice(0, 3).map(named).join(', ')} … and 3 more`,
        ...timedOut.slice(0, 3).flatMap((id) => [`            output of ${named(id)}:`, `              | stns-fleet: waiting for the apt lock on ${id}`]),
        '            … and 3 more different outputs (--verbose shows every one)',
      ].join('\n'),
    );
    expect(occurrences(text, 'cancelled: the error budget was exceeded')).toBe(1);
    expect(occurrences(text, '| Terminated')).toBe(1);
    expect(text).toMatch(/^ {2}drifted {3}6 host\(s\) \[web\]: changed since the plan: \/etc\/nsswitch\.conf; nothing was touched$/m);
    expect(occurrences(text, UNREACHABLE)).toBe(1);
    expect(text).toMatch(/^Apply: 300 changed, 100 unchanged, 6 drifted, 16 failed, 20 cancelled, 558 skipped\.$/m);
    expect(lineCount(text)).toBeLessThanOrEqual(40);
    expect(lineCount(results(plan10))).toBe(lineCount(text));
  });

  test('--verbose lists every host; JSON has every host', () => {
    const verbose = results(plan, true);
    expect(plan.hosts.filter((h) => !verbose.includes(h.id))).toEqual([]);
    expect(occurrences(verbose, 'stns-fleet: waiting for the apt lock on')).toBe(6);
    expect(occurrences(verbose, 'sshd -t refused the new configuration')).toBe(1);
    const doc = JSON.parse(results(plan, false, true)) as { hosts: { id: string; outcome: string }[] };
    expect(doc.hosts.map((h) => h.id)).toEqual(plan.hosts.map((h) => h.id));
  });
});

describe('verify', () => {
  function verifyResult(p: FleetPlan): VerifyResult {
    const reachable = p.hosts.filter((h) => h.status === 'change' || h.status === 'unchanged');
    return {
      hosts: p.hosts,
      fleet: { hosts: [], notFound: [] },
      verdicts: reachable.map((h, i) =>
        i % 10 === 9
          ? { id: h.id, ok: false, users: [{ user: 'alice', ok: false, keys: 0, reason: 'token-rejected' }], sshd: { ok: true }, problems: ['alice: the STNS server rejected the token (HTTP 401)'] }
          : { id: h.id, ok: true, users: [{ user: 'alice', ok: true, keys: 2 }], sshd: { ok: true, seen: '/usr/lib/stns/stns-key-wrapper' }, problems: [] },
      ),
      notVerified: p.hosts.filter((h) => h.status !== 'change' && h.status !== 'unchanged'),
    };
  }
  function show(p: FleetPlan, verbose = false, json = false): string {
    const t = terminal();
    verifyView(json, t.io, { verbose }).result(verifyResult(p));
    return t.out();
  }

  test('passes, failures and reasons each said once with their hosts; as long at 10 000 hosts', () => {
    const text = show(plan);
    expect(text).toMatch(/^ok {4}540 host\(s\) \[web\]: alice 2 key\(s\); sshd → \/usr\/lib\/stns\/stns-key-wrapper\n {6}i-0+1 \(web-0001\), i-0+2 \(web-0002\), i-0+3 \(web-0003\) … and 537 more$/m);
    expect(text).toMatch(/^FAIL {2}60 host\(s\) \[web\]:\n {6}.* … and 57 more\n {8}alice: the STNS server rejected the token \(HTTP 401\)$/m);
    expect(occurrences(text, 'rejected the token')).toBe(1);
    expect(occurrences(text, UNREACHABLE)).toBe(1);
    expect(text).toMatch(/^skip {2}300 host\(s\) \[web, db\]: unreachable: /m);
    expect(text).toMatch(/^Verify: 540 passed, 60 failed, 400 not verified\.$/m);
    expect(lineCount(text)).toBeLessThanOrEqual(20);
    expect(lineCount(show(plan10))).toBe(lineCount(text));
  });

  test('--verbose lists every host; JSON has every verdict', () => {
    const verbose = show(plan, true);
    expect(plan.hosts.filter((h) => !verbose.includes(h.id))).toEqual([]);
    const doc = JSON.parse(show(plan, false, true)) as { hosts: unknown[]; notVerified: unknown[] };
    expect(doc.hosts.length + doc.notVerified.length).toBe(1000);
  });
});
