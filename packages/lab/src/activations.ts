// Hybrid activations and registration (docs/reference/ssm.md §6). CreateActivation makes an ID and a code with a
// registration limit and an expiry (default 24 h, at most 30 days ahead); a board's agent registers with
// the pair (the amazon-ssm-agent stand-in calls the lab's /_lab/register) and gets a new managed-node ID,
// carrying the activation's tags and DefaultInstanceName. DeleteActivation stops further registrations;
// it never deregisters nodes.
import { ApiError } from './errors.js';
import type { Fleet, ManagedNode } from './fleet.js';
import type { Rng } from './random.js';

export interface Activation {
  id: string;
  code: string;
  iamRole: string;
  registrationLimit: number;
  registrationsCount: number;
  expirationDate: Date;
  createdDate: Date;
  /** The region the activation was created in (the client's signing region): registration must name it. */
  region: string;
  description?: string;
  defaultInstanceName?: string;
  tags: { Key: string; Value: string }[];
}

export const MAX_EXPIRY_MS = 30 * 24 * 3600_000;

export class Activations {
  readonly all = new Map<string, Activation>();

  constructor(private readonly rng: Rng) {}

  create(a: Omit<Activation, 'id' | 'code' | 'registrationsCount' | 'createdDate'> & { createdDate?: Date; registrationsCount?: number }): Activation {
    const act: Activation = { ...a, id: this.rng.uuid(), code: this.rng.alnum(20), registrationsCount: a.registrationsCount ?? 0, createdDate: a.createdDate ?? new Date() };
    this.all.set(act.id, act);
    return act;
  }

  expired(a: Activation): boolean {
    return a.expirationDate.getTime() <= Date.now();
  }

  delete(id: string): void {
    if (!this.all.delete(id)) throw new ApiError('InvalidActivationId', 'The activation ID is not valid. Verify that you entered the correct ActivationId or ActivationCode and try again.');
  }

  /** Registers a board: checks the pair, the region, the expiry and the limit; returns the new node. */
  register(fleet: Fleet, r: { activationId: string; code: string; region: string }): ManagedNode {
    const a = this.all.get(r.activationId);
    if (!a) throw new ApiError('InvalidActivationId', 'The activation ID is not valid. Verify that you entered the correct ActivationId or ActivationCode and try again.');
    if (a.code !== r.code) throw new ApiError('InvalidActivation', 'The activation is not valid. The activation might have been deleted, or the ActivationId and the ActivationCode do not match.');
    if (r.region !== a.region) throw new ApiError('InvalidActivation', `The activation is not valid in region ${r.region} (it was created in ${a.region}).`);
    if (this.expired(a)) throw new ApiError('ActivationExpired', 'The activation has expired.');
    if (a.registrationsCount >= a.registrationLimit) throw new ApiError('ActivationLimitExceeded', `The activation has reached its registration limit of ${a.registrationLimit}.`);
    a.registrationsCount++;
    const node: ManagedNode = {
      id: `mi-${this.rng.hex(17)}`,
      activationId: a.id,
      iamRole: a.iamRole,
      registrationDate: new Date(),
      tags: new Map(a.tags.map((t) => [t.Key, t.Value])),
    };
    if (a.defaultInstanceName) node.name = a.defaultInstanceName;
    fleet.nodes.set(node.id, node);
    return node;
  }
}
