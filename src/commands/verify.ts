// `stns-fleet verify`: every reachable host must resolve the verify users through STNS (keys and passwd)
// and run the expected keys command in sshd. Exit codes (src/exit-codes.ts): 0 every selected host passes, 3
// every verified host passes but some were skipped or unreachable, 1 a failure, 130/143 interrupted.
import { UserError } from '../errors.js';
import { exitCode, interruptedLabel, interruption } from '../exit-codes.js';
import type { HostVerdict } from '../verify/judge.js';
import { verifyHosts } from '../verify/run.js';
import { verifyTargets } from '../verify/targets.js';
import { verifyUsersOf } from '../inventory/resolve.js';
import { USER_NAME_RE } from '../inventory/patterns.js';
import { runSteps, stepFailed } from '../output/progress.js';
import type { NotVerified, VerifyView } from '../output/views/verify.js';
import { discoverAndPlan, progressCounter } from './planning.js';
import { openSession, readSecrets, type FleetOptions, type TransportFactory } from './session.js';

export interface VerifyCommandOptions extends FleetOptions {
  user?: string[];
}

export async function runVerify(o: VerifyCommandOptions, makeTransport: TransportFactory, view: VerifyView, signal?: AbortSignal): Promise<number> {
  for (const u of o.user ?? []) {
    if (!USER_NAME_RE.test(u)) throw new UserError(`--user ${JSON.stringify(u)} is not a valid user name`);
  }
  const s = await openSession(o, makeTransport);
  const { plan, fleet, secrets } = await discoverAndPlan(s, readSecrets(s, (v) => view.emitter.protect(v)), view.progress, signal ? { signal } : {});
  const usersOf = (g: string): string[] => (o.user && o.user.length > 0 ? o.user : verifyUsersOf(s.inventory, g));
  const reachable = plan.hosts.filter((h) => h.status === 'change' || h.status === 'unchanged');
  let verdicts: HostVerdict[] = [];
  // Interrupted while planning: nothing is sent; every reachable host is reported as not verified.
  const before = interruption(signal);
  if (!before) {
    await runSteps(
      [
        {
          title: `Verifying ${reachable.length} host(s)`,
          run: async (say) => {
            verdicts = await verifyHosts(s.transport, verifyTargets(plan, reachable.map((h) => h.id), usersOf), secrets, {
              ...(signal ? { signal } : {}),
              onUpdate: progressCounter(reachable.length, say, 'verified'),
            });
            const text = `Verified: ${verdicts.filter((v) => v.ok).length}/${verdicts.length} host(s) pass`;
            const sig = interruption(signal);
            return sig ? stepFailed(`${text}; ${interruptedLabel(sig)}`) : text;
          },
        },
      ],
      view.progress,
    );
  }
  const planned = new Map(plan.hosts.map((h) => [h.id, h]));
  // A host the plan would still change is not converged, whatever its lookups say.
  for (const v of verdicts) {
    if (planned.get(v.id)?.status === 'change') {
      v.ok = false;
      v.problems.unshift('not converged: `stns-fleet plan` shows changes for this host');
    }
  }
  const verified = new Set(verdicts.map((v) => v.id));
  const notVerified: NotVerified[] = plan.hosts
    .filter((h) => !verified.has(h.id))
    .map((h) => (before && (h.status === 'change' || h.status === 'unchanged') ? { ...h, status: 'not verified' as const, reason: `${interruptedLabel(before)} before it was verified` } : h));
  const interrupted = interruption(signal);
  view.result({ verdicts, notVerified, hosts: plan.hosts, fleet, ...(interrupted ? { interrupted } : {}) });
  return exitCode({
    interrupted,
    // A host that could not be planned cannot pass; neither can a run that verified nothing at all.
    failed: verdicts.some((v) => !v.ok) || plan.hosts.some((h) => h.status === 'error') || plan.hosts.length === 0,
    incomplete: notVerified.length > 0,
  });
}
