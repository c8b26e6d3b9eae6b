// The run's hybrid activations: one per group with boards to move, created when its first ID is moved,
// replaced when used up or when a board's registration is refused (once per run), and every one deleted at
// the end whatever happened. Each code is handed to onSecret as soon as it exists, so output can scrub it.
import { REACTIVATED_TAG, type RunEnv } from './env.js';
import type { GroupPlan } from './plan.js';
import type { ActivationRecord } from './report.js';

export interface Activation {
  record: ActivationRecord;
  code: string;
  /** Boards that registered with it in this run. */
  used: number;
}

export class Activations {
  /** Every activation created, in order (the report lists them; `deleted` is kept up to date). */
  readonly records: ActivationRecord[] = [];
  /** Every activation code created, to scrub from an error that quotes one. */
  readonly codes: string[] = [];
  private readonly current = new Map<string, Activation>();
  private renewed = false;

  constructor(
    private readonly env: RunEnv,
    private readonly onSecret?: (code: string) => void,
  ) {}

  /** The group's activation in use, if one was created. */
  of(group: string): Activation | undefined {
    return this.current.get(group);
  }

  /** A new activation for `g` sized for `needed` boards (plus the margin), replacing (and deleting) its current one. */
  async create(g: GroupPlan, needed: number, replaced?: 'expired' | 'used-up'): Promise<Activation> {
    const old = this.current.get(g.group);
    if (old) await this.delete(old);
    const { env } = this;
    const limit = Math.min(1000, Math.max(1, needed) + env.limits.registrationMargin);
    const expiresAt = new Date(env.now() + env.limits.activationTtlMs);
    env.say(`Creating an activation for group ${g.group} (${limit} registrations, until ${expiresAt.toISOString()})`);
    const a = await env.tr.createActivation({
      iamRole: g.pi.iamRole!,
      registrationLimit: limit,
      expiresAt,
      defaultInstanceName: g.pi.namePrefix,
      description: `stns-fleet reactivate ${env.stamp}, group ${g.group}`,
      tags: { ...g.inherit, [REACTIVATED_TAG]: env.stamp },
    });
    this.codes.push(a.activationCode);
    this.onSecret?.(a.activationCode);
    const act: Activation = {
      record: { group: g.group, activationId: a.activationId, registrationLimit: limit, expiresAt: expiresAt.toISOString(), ...(replaced ? { replaced } : {}), deleted: false },
      code: a.activationCode,
      used: 0,
    };
    this.records.push(act.record);
    this.current.set(g.group, act);
    return act;
  }

  /** A board registered with `a`. */
  registered(a: Activation): void {
    a.used++;
  }

  usedUp(a: Activation): boolean {
    return a.used >= a.record.registrationLimit;
  }

  /** True the first time in a run: an activation refused mid-run is replaced once; a second refusal is a
   * failure, not something another activation would fix. */
  takeRenewal(): boolean {
    if (this.renewed) return false;
    this.renewed = true;
    return true;
  }

  async deleteAll(): Promise<void> {
    for (const a of this.current.values()) await this.delete(a);
  }

  private async delete(a: Activation): Promise<void> {
    if (a.record.deleted) return;
    try {
      await this.env.tr.deleteActivation(a.record.activationId);
      a.record.deleted = true;
    } catch (e) {
      a.record.deleteError = (e as Error).message;
      this.env.warn(`activation ${a.record.activationId} could not be deleted (${(e as Error).message}); it expires at ${a.record.expiresAt}`);
    }
  }
}
