// Rendering at fleet scale, for `npm run bench`: the plan stage as `plan` runs it once the facts are in
// (buildFleetPlan: per group and distinct host state one desired state, file plan, changes and script draft),
// for many hosts that fall into the few states a real fleet has (every EC2 OS profile, with and without the
// packages installed). Also the cost of one distinct state rendered alone, the work that does grow with a
// fleet's variety rather than its size.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { buildFleetPlan, loadTemplates, parseInventory, PROFILES, stockSnapshot, watchFor, type Fleet, type Gathered, type HostState } from 'stns-fleet';

export interface RenderBench {
  hosts: number;
  distinctStates: number;
  /** buildFleetPlan over every host. */
  seconds: number;
  perHostMs: number;
  /** One distinct state rendered alone (a fleet of one host), median. */
  perStateMs: number;
}

const INVENTORY = `version: 1
aws: { region: us-east-1 }
stns:
  api_endpoint: https://stns.example.com/v1
  auth_token: { ssm_parameter: /stns/token }
groups:
  ec2: { targets: [ { tags: { Env: prod } } ] }
`;

export async function benchRender(hosts: number): Promise<RenderBench> {
  const templates = await loadTemplates();
  const parsed = parseInventory(INVENTORY, 'bench.yaml');
  if (!parsed.inventory) throw new Error(`bench inventory: ${parsed.problems.map((p) => p.message).join('; ')}`);
  const inventory = parsed.inventory;
  const states: HostState[] = [];
  for (const p of PROFILES.filter((x) => !x.id.startsWith('raspberry-pi-os'))) {
    const snapshot = await stockSnapshot(p, p.defaultArch, watchFor(p));
    for (const installed of [false, true]) {
      const digest = createHash('sha256').update(`${p.id} ${installed}`).digest('hex');
      states.push({ digest, arch: p.defaultArch, machine: p.defaultArch, packages: { 'libnss-stns-v2': installed, 'cache-stnsd': installed }, probes: new Set(), snapshot });
    }
  }
  const sealKey = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const run = (n: number): number => {
    const fleet: Fleet = { hosts: [], notFound: [] };
    const gathered: Gathered = { hosts: new Map(), states: new Map(states.map((s) => [s.digest, s])), fetches: states.length };
    for (let i = 0; i < n; i++) {
      const id = `i-${i.toString(16).padStart(17, '0')}`;
      fleet.hosts.push({ id, group: 'ec2', kind: 'ec2' });
      gathered.hosts.set(id, { header: { digest: states[i % states.length]!.digest, sealKey, sealedDigests: new Map() } });
    }
    const t0 = performance.now();
    buildFleetPlan({ inventory, inventoryRef: { path: '/bench.yaml', sha256: '0'.repeat(64) }, groups: ['ec2'], fleet, gathered, templates, secrets: new Map([['ec2', { auth_token: 'bench-token' }]]) });
    return performance.now() - t0;
  };
  run(states.length); // warm-up: templates compiled, code optimised
  const ms = run(hosts);
  const one = Array.from({ length: 7 }, () => run(1)).sort((a, b) => a - b)[3]!;
  return { hosts, distinctStates: Math.min(hosts, states.length), seconds: round(ms / 1000, 3), perHostMs: round(ms / hosts, 4), perStateMs: round(one, 2) };
}

function round(x: number, d: number): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}
