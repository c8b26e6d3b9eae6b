// `verify`'s view: one line per host (ok, or FAIL with every problem), the hosts not verified and why, and a
// summary; or one JSON document.
import { interruptedLabel, type InterruptSignal } from '../../exit-codes.js';
import type { PlannedHost } from '../../plan/fleet-plan.js';
import type { Fleet } from '../../targets/fleet.js';
import type { HostVerdict } from '../../verify/judge.js';
import type { Emitter } from '../emitter.js';
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
    const lines: string[] = [];
    for (const v of r.verdicts) {
      const who = hostLabel(planned.get(v.id) ?? { id: v.id });
      if (v.ok) lines.push(`ok    ${who}: ${v.users.map((u) => `${u.user} ${u.keys} key(s)`).join(', ') || 'no verify users'}; sshd → ${v.sshd.seen ?? '?'}`);
      else lines.push(`FAIL  ${who}:`, ...v.problems.map((p) => `        ${p}`));
    }
    for (const h of r.notVerified) lines.push(`skip  ${hostLabel(h)}: ${h.status}: ${h.reason ?? ''}`);
    const bad = r.verdicts.filter((v) => !v.ok).length;
    lines.push('', `Verify: ${r.verdicts.length - bad} passed, ${bad} failed, ${r.notVerified.length} not verified.`);
    if (r.hosts.length === 0) lines.push('Nothing verified: the inventory selects no host.');
    if (r.interrupted) lines.push(`Verify ${interruptedLabel(r.interrupted)}.`);
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
