// Shared helpers for the fleet-plan tests (not a test file itself): a fleet plan made from host snapshots, as plan
// makes it from gathered facts (src/plan/fleet-plan.ts), without AWS or a facts run.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { HostSnapshot } from '../../src/model/host-snapshot.js';
import type { HostState } from '../../src/facts/facts.js';
import type { Gathered } from '../../src/facts/gather.js';
import { buildFleetPlan, type FleetPlan, type PlanUnit } from '../../src/plan/fleet-plan.js';
import { parseInventory } from '../../src/inventory/load.js';
import type { Arch } from '../../src/profiles/types.js';
import { redactStnsConf, SECRET_BEARING, templateComments } from '../../src/render/redact-stns-conf.js';
import { templates } from '../helpers/render.js';

export interface PlannedHostInput {
  id: string;
  group: string;
  snapshot: HostSnapshot;
  arch?: Arch;
  machine?: string;
  /** Both STNS packages installed (default false: the host needs them). */
  installed?: boolean;
  probes?: string[];
}

/** An inventory text with these groups: name → `os:` value and extra YAML lines for the group. */
export function inventoryText(groups: Record<string, { os: string; ids: string[]; extra?: string }>, top = ''): string {
  const g = Object.entries(groups)
    .map(([name, v]) => `  ${name}:\n    os: ${v.os}\n    targets: [${v.ids.join(', ')}]\n${v.extra ?? ''}`)
    .join('');
  return `version: 1\naws: { region: ap-northeast-1 }\nstns:\n  api_endpoint: https://stns.example.com/v1\n${top}groups:\n${g}`;
}

/** A host's files as the facts show them to the plan: secret-bearing files redacted, their real sha256 beside
 * (sealed by the host, opened by the controller). */
export function asFactsShow(snapshot: HostSnapshot, keep: string[]): { files: Map<string, Buffer>; fullSha: Map<string, string> } {
  const files = new Map(snapshot.files);
  const fullSha = new Map<string, string>();
  for (const path of SECRET_BEARING) {
    const real = files.get(path);
    if (!real) continue;
    fullSha.set(path, createHash('sha256').update(real).digest('hex'));
    files.set(path, redactStnsConf(real, keep));
  }
  return { files, fullSha };
}

export async function planFor(inventory: string, hosts: PlannedHostInput[]): Promise<FleetPlan> {
  const parsed = parseInventory(inventory, 'inv.yaml');
  expect(parsed.problems).toEqual([]);
  const gathered: Gathered = { hosts: new Map(), states: new Map(), fetches: 0 };
  const t = await templates();
  const keep = templateComments(t.source('stns.conf.hbs'));
  for (const h of hosts) {
    const digest = createHash('sha256').update(h.id).digest('hex');
    const { files, fullSha } = asFactsShow(h.snapshot, keep);
    const state: HostState = {
      digest,
      arch: h.arch ?? 'amd64',
      machine: h.machine ?? 'x86_64',
      packages: { 'libnss-stns-v2': h.installed ?? false, 'cache-stnsd': h.installed ?? false },
      probes: new Set(h.probes ?? []),
      snapshot: { files, fullSha: new Map() },
    };
    gathered.states.set(digest, state);
    gathered.hosts.set(h.id, { header: { digest, sealKey: null, sealedDigests: new Map() }, fullSha });
  }
  return buildFleetPlan({
    inventory: parsed.inventory!,
    inventoryRef: { path: '/tmp/inv.yaml', sha256: '0'.repeat(64) },
    groups: [...new Set(hosts.map((h) => h.group))],
    fleet: { hosts: hosts.map((h) => ({ id: h.id, group: h.group, kind: 'ec2' as const })), notFound: [] },
    gathered,
    templates: t,
    secrets: new Map(),
    now: new Date('2026-12-02T00:00:00Z'),
  });
}

export function unitOf(p: FleetPlan, hostId: string): PlanUnit {
  const u = p.units.find((x) => x.hostIds.includes(hostId));
  if (!u) throw new Error(`no unit for ${hostId}`);
  return u;
}
