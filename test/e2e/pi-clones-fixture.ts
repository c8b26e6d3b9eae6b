// Shared by the two cloned-SD-card files (pi-clones.test.ts, pi-clones-offline.test.ts): the lab's timings,
// reactivate's options and clock, the inventory, and the checks on the SSM side and the boards' files. Two files so
// vitest can run the two labs side by side; see pi-clones.test.ts for the scenario and the timings.
import { DescribeInstanceInformationCommand, ListTagsForResourceCommand, SSMClient, type InstanceInformation } from '@aws-sdk/client-ssm';
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { sdkTransport } from '../../src/cli/transport.js';
import type { TransportFactory } from '../../src/commands/session.js';
import type { Lab } from '@stns-fleet/lab';


// Lab timings: the caps stand in only for waiting on what never comes (packages/lab/src/commands.ts). A live node
// picks a command up at once and a script gets the executionTimeout it asked for whatever the caps say; the
// delivery cap counts from when the invocation is handed to the node, so rate control queueing on a loaded
// machine does not eat into it. What the caps decide is how long a probe of an ID no board answers any more
// takes to end (DeliveryTimedOut at delivery + execution cap, as at SSM's total timeout): reactivate makes one or
// two such probes per cloned ID, so short caps end them in 2 s, not 22 s. The outcome is the same either way.
export const LAB_TIMING = { deliveryTimeoutMs: 1000, executionTimeoutMs: 1000 };
// The boards' detached worker waits 1 s (default 5 s) before stopping its agent: the launcher's output is in by
// then (the lab reports it when the launcher exits). --wait is an outer limit: a board's new ID ends the wait.
export const REACTIVATE = { yes: true, polls: '3', interval: '1s', wait: '60s', workerDelaySeconds: 1 } as const;
export const fastClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 400))) };

/** sdkTransport, remembering every activation code CreateActivation returned (to prove it never leaks). */
export function recordingTransport(codes: string[]): TransportFactory {
  return (aws) => {
    const tr = sdkTransport(aws);
    const create = tr.createActivation.bind(tr);
    tr.createActivation = async (o) => {
      const a = await create(o);
      codes.push(a.activationCode);
      return a;
    };
    return tr;
  };
}

/** The SoC serial a board's kernel shows (what the identity script reads). */
export function serialOf(lab: Lab, key: string): string {
  const cpuinfo = readFileSync(path.join(lab.host(key)!.dir, 'proc/cpuinfo'), 'utf8');
  return /^Serial\s*:\s*([0-9a-f]+)$/m.exec(cpuinfo)![1]!;
}

export function writeInventory(lab: Lab, names: Record<string, string>, withEc2: boolean): string {
  const file = path.join(lab.workDir, 'inventory.yaml');
  writeFileSync(
    file,
    `version: 1
aws: { region: ${lab.region} }
stns:
  api_endpoint: ${lab.stnsEndpoint}
  allow_insecure_http: true
  auth_token: { ssm_parameter: /stns-fleet/lab/web-token }
rollout: { canary: 1, max_concurrency: "50%", max_errors: 2 }
verify: { users: [alice, bob] }
groups:
${withEc2 ? `  web: { targets: [ { tags: { Env: lab, Role: web } } ] }
  db: { targets: [ { tags: { Env: lab, Role: db } } ] }
` : ''}  pi:
    os: raspberry-pi-os
    targets: [ { tags: { Env: lab, Role: pi } } ]
    stns: { auth_token: { ssm_parameter: /stns-fleet/lab/pi-token } }
    pi:
      iam_role: SSMServiceRole
      names:
${Object.entries(names).map(([serial, name]) => `        "${serial}": ${name}`).join('\n')}
`,
  );
  return file;
}

export function ssmOf(lab: Lab): SSMClient {
  return new SSMClient({ endpoint: lab.endpoint, region: lab.region, credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' } });
}

export async function managedNodes(ssm: SSMClient): Promise<InstanceInformation[]> {
  const r = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'ResourceType', Values: ['ManagedInstance'] }], MaxResults: 50 }));
  return r.InstanceInformationList ?? [];
}

export async function tagsOf(ssm: SSMClient, id: string): Promise<Record<string, string>> {
  const r = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: id }));
  return Object.fromEntries((r.TagList ?? []).map((t) => [t.Key!, t.Value!]));
}

/** Every file of a tree as text (for "the code is nowhere on the board"). */
export function filesOf(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) filesOf(p, out);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

export function expectCodeNowhere(lab: Lab, codes: string[], outputs: string[], boards: string[]): void {
  expect(codes.length).toBeGreaterThan(0);
  for (const code of codes) {
    expect(code.length).toBeGreaterThanOrEqual(20);
    for (const o of outputs) expect(o).not.toContain(code);
    for (const r of lab.requests()) expect(JSON.stringify(r)).not.toContain(code);
    for (const key of boards) {
      for (const f of filesOf(lab.host(key)!.dir)) expect(readFileSync(f).includes(code), f).toBe(false);
    }
  }
}

export const setLabEnv = (lab: Lab): void => void Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '300' });
