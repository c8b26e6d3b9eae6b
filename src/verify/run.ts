// Runs verify on many hosts: one command per distinct expectation (same users, same sshd options), the
// output read from the list call and, when SSM cut it, from GetCommandInvocation.
import type { SecretValues } from '../render/secrets.js';
import { outputOf, succeeded } from '../transport/result.js';
import type { RunOptions, Transport } from '../transport/types.js';
import { judgeVerify, verifyScript, type HostVerdict, type VerifyExpect } from './judge.js';

export interface VerifyTarget {
  id: string;
  group: string;
  expect: VerifyExpect;
}

export async function verifyHosts(
  tr: Transport,
  targets: VerifyTarget[],
  secrets: Map<string, SecretValues>,
  o: RunOptions & { executionTimeoutSeconds?: number } = {},
): Promise<HostVerdict[]> {
  const groups = new Map<string, VerifyTarget[]>();
  for (const t of targets) {
    const k = JSON.stringify(t.expect);
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  const verdicts = new Map<string, HostVerdict>();
  await Promise.all(
    [...groups.values()].map(async (ts) => {
      const e = ts[0]!.expect;
      const results = await tr.run(
        {
          script: verifyScript(e),
          instanceIds: ts.map((t) => t.id),
          comment: 'stns-fleet verify (read-only)',
          deliveryTimeoutSeconds: 120,
          executionTimeoutSeconds: o.executionTimeoutSeconds ?? 120,
        },
        o,
      );
      for (const r of results) {
        const t = ts.find((x) => x.id === r.instanceId)!;
        const output = succeeded(r) && r.truncated ? (await tr.fullOutput(r.commandId, r.instanceId)).stdout : (outputOf(r)?.stdout ?? '');
        verdicts.set(r.instanceId, judgeVerify(r, output, t.expect, secrets.get(t.group) ?? {}));
      }
    }),
  );
  return targets.map((t) => verdicts.get(t.id)!);
}
