// What verify checks on each host, from the plan: the users of its group and the keys command its unit says
// sshd must run once converged. Used by `verify` and by apply's verify of the canary.
import type { FleetPlan } from '../plan/fleet-plan.js';
import type { VerifyTarget } from './run.js';

/** Verify targets for `ids`: each host's unit says which keys command sshd must run once converged. */
export function verifyTargets(plan: FleetPlan, ids: string[], usersOf: (group: string) => string[]): VerifyTarget[] {
  const units = new Map(plan.units.map((u) => [u.id, u]));
  const hosts = new Map(plan.hosts.map((h) => [h.id, h]));
  return ids.map((id) => {
    const h = hosts.get(id)!;
    const u = units.get(h.unit!)!;
    return {
      id,
      group: h.group,
      expect: {
        users: usersOf(h.group),
        testOptions: u.expect.testOptions,
        ...(u.expect.keysCommand ? { keysCommand: u.expect.keysCommand } : {}),
        ...(u.expect.keysCommandUser ? { keysCommandUser: u.expect.keysCommandUser } : {}),
      },
    };
  });
}
