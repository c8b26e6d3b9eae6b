// `verify`'s view: the hosts that pass, grouped by what they showed (users, keys, sshd); those that fail,
// grouped by their identical problems, each problem once; the hosts not verified, one entry per reason; and a
// summary. A group of one host is its one line (`ok    host: …`); a larger one names its first few hosts and
// how many more (every one with --verbose). Or one JSON document, every host.
import { interruptedLabel, type InterruptSignal } from '../../exit-codes.js';
import type { PlannedHost } from '../../plan/fleet-plan.js';
import type { Fleet } from '../../targets/fleet.js';
import type { HostVerdict } from '../../verify/judge.js';
import type { Emitter } from '../emitter.js';
import { groupBy, groupsLabel, HostLists } from '../host-groups.js';
import { hostLabel } from '../host-label.js';
import { BaseView, type Presentation, type View } from './view.js';

/** A host that was not verified: as planned (skipped, unreachable, …), or reachable but interrupted first. */
export type NotVerified = Omit<PlannedHost, 'status'> & { status: PlannedHost['status'] | 'not verified' };

export interface VerifyResult {
  verdicts: HostVerdict[];
  notVerified: NotVerified[];
  /** Every planned host, for names and groups. */
  hosts: PlannedHost[];
  fleet: Fleet;
  interrupted?: InterruptSignal;
}

export type VerifyView = View<VerifyResult>;

class VerifyTextView extends BaseView<VerifyResult> {
  result(r: VerifyResult): void {
    const planned = new Map(r.hosts.map((h) => [h.id, h]));
    const lists = new HostLists(this.verbose);
    const lines: string[] = [];
    type Who = { id: string; name?: string | undefined; group?: string | undefined };
    const who = (id: string): Who => planned.get(id) ?? { id };
    /** `head`, then the host (a group of one) or how many and their groups, then `rest`; the hosts below. */
    const group = (head: string, hosts: Who[], rest: string): void => {
      if (hosts.length === 1) {
        lines.push(`${head}${hostLabel(hosts[0]!)}${rest}`);
        return;
      }
      lines.push(
        `${head}${hosts.length} host(s) ${groupsLabel(hosts.map((h) => h.group ?? '?'))}${rest}`,
        ...lists.lines(
          hosts.map((h) => hostLabel({ id: h.id, name: h.name })),
          '      ',
        ),
      );
    };
    const passed = (v: HostVerdict): string => `${v.users.map((u) => `${u.user} ${u.keys} key(s)`).join(', ') || 'no verify users'}; sshd → ${v.sshd.seen ?? '?'}`;
    for (const g of groupBy(
      r.verdicts.filter((v) => v.ok),
      passed,
    )) {
      group('ok    ', g.map((v) => who(v.id)), `: ${passed(g[0]!)}`);
    }
    for (const g of groupBy(
      r.verdicts.filter((v) => !v.ok),
      (v) => v.problems.join('\n'),
    )) {
      group('FAIL  ', g.map((v) => who(v.id)), ':');
      lines.push(...g[0]!.problems.map((p) => `        ${p}`));
    }
    for (const g of groupBy(r.notVerified, (h) => `${h.status}\0${h.reason ?? ''}`)) {
      group('skip  ', g, `: ${g[0]!.status}: ${g[0]!.reason ?? ''}`);
    }
    const bad = r.verdicts.filter((v) => !v.ok).length;
    lines.push('', `Verify: ${r.verdicts.length - bad} passed, ${bad} failed, ${r.notVerified.length} not verified.`);
    if (r.hosts.length === 0) lines.push('Nothing verified: the inventory selects no host.');
    if (r.interrupted) lines.push(`Verify ${interruptedLabel(r.interrupted)}.`);
    lines.push(...lists.hint());
    this.emitter.out(`${lines.join('\n')}\n`);
  }
}

class VerifyJsonView extends BaseView<VerifyResult> {
  result(r: VerifyResult): void {
    this.json({
      ok: r.verdicts.every((v) => v.ok),
      hosts: r.verdicts,
      notVerified: r.notVerified.map(({ sealKey: _k, ...h }) => h),
      notFound: r.fleet.notFound,
      ...(r.interrupted ? { interrupted: interruptedLabel(r.interrupted) } : {}),
    });
  }
}

export function verifyView(json: boolean, emitter: Emitter, o: Presentation = {}): VerifyView {
  return json ? new VerifyJsonView(emitter, { ...o, machine: true }) : new VerifyTextView(emitter, o);
}
