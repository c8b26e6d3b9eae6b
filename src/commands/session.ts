// What every fleet command starts from: the validated inventory, the templates, a transport to AWS (or the
// local lab, through AWS_ENDPOINT_URL), and the groups' auth tokens resolved on this machine (env, or SSM
// Parameter Store through the operator's credentials). Secrets stay in memory; nothing here prints them.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { InventoryRef } from '../plan/fleet-plan.js';
import { loadInventoryWithWarnings } from '../inventory/load.js';
import { formatProblem } from '../inventory/problems.js';
import { authTokenLabel, groupNames, hostSettingsFor, resolveSecret } from '../inventory/resolve.js';
import type { Inventory } from '../inventory/schema.js';
import { stnsSecretValues, type SecretValues } from '../render/secrets.js';
import { loadTemplates, type Templates } from '../render/templates.js';
import { regionProblem } from '../inventory/region.js';
import { parseLimit, type HostLimit } from '../targets/limit.js';
import type { ManagedNodeAdmin, Transport } from '../transport/types.js';
import type { Presentation } from '../output/views/view.js';

/** What the fleet commands share on the command line, output aside (the view, chosen in cli/, has that). */
export interface FleetOptions {
  inventory: string;
  profile?: string;
  region?: string;
  group?: string[];
  /** --limit: host IDs or names (globs), comma-separated or repeated; narrows the groups' hosts. */
  limit?: string[];
  templates?: string;
}

/** The fleet options with --json and --quiet, as the command line parses them. */
export interface CommonOptions extends FleetOptions, Presentation {}

export type FleetTransport = Transport & ManagedNodeAdmin;
/** `profileSource` says where the profile came from (`--profile`, the inventory's aws.profile), for messages. */
export type TransportFactory = (aws: { region: string; profile?: string; profileSource?: string }) => FleetTransport;

export interface Session {
  inventory: Inventory;
  inventoryPath: string;
  /** What a saved plan records of the inventory: its absolute path and the sha256 of its bytes. */
  inventoryRef: InventoryRef;
  groups: string[];
  /** --limit, parsed; undefined: every host of the groups. */
  limit?: HostLimit;
  transport: FleetTransport;
  templates: Templates;
  warnings: string[];
}

export async function openSession(o: FleetOptions, makeTransport: TransportFactory): Promise<Session> {
  const { inventory, warnings, text } = await loadInventoryWithWarnings(o.inventory);
  const inventoryRef = { path: path.resolve(o.inventory), sha256: createHash('sha256').update(text).digest('hex') };
  const all = groupNames(inventory);
  const groups = o.group && o.group.length > 0 ? o.group : all;
  for (const g of groups) {
    if (!all.includes(g)) throw new UserError(`no group "${g}" in ${o.inventory}; groups: ${all.join(', ')}`);
  }
  const limit = parseLimit(o.limit);
  // The inventory's aws.region was checked with the file (file:line); --region is checked here, the same way.
  const bad = o.region !== undefined ? regionProblem(o.region) : undefined;
  if (bad) throw new UserError(`--region ${bad}`, { hint: 'give a region such as ap-northeast-1, or leave --region out to use the inventory\'s aws.region' });
  const region = o.region ?? inventory.aws.region;
  const profile = o.profile ?? inventory.aws.profile;
  const profileSource = o.profile !== undefined ? '--profile' : `aws.profile in ${o.inventory}`;
  const transport = makeTransport({ region, ...(profile ? { profile, profileSource } : {}) });
  const templates = await loadTemplates(o.templates, ['keys/stns-repo.asc', 'host/converge.sh', 'host/facts.sh']);
  return { inventory, inventoryPath: o.inventory, inventoryRef, groups, ...(limit ? { limit } : {}), transport, templates, warnings: warnings.map(formatProblem) };
}

/** Each group's auth token: env and plaintext here, SSM parameters through the operator's credentials, every
 * group's at once (one round trip for all, not one per group). */
export async function resolveSecrets(s: Session, env: NodeJS.ProcessEnv = process.env): Promise<Map<string, SecretValues>> {
  const out = new Map<string, SecretValues>();
  const reads = new Map<string, Promise<string>>();
  const tokens = s.groups.map((g) => {
    const ref = hostSettingsFor(s.inventory, g).stns.authToken;
    if (ref?.kind !== 'ssm_parameter') return (async () => (ref ? resolveSecret(ref, env, authTokenLabel(g)) : undefined))();
    if (!reads.has(ref.name)) reads.set(ref.name, s.transport.getParameter(ref.name));
    return reads.get(ref.name)!;
  });
  // All settled, then the first group's failure in inventory order (as before): none rejects unheard.
  const values = await Promise.allSettled(tokens);
  for (const [i, g] of s.groups.entries()) {
    const v = values[i]!;
    if (v.status === 'rejected') throw v.reason;
    out.set(g, stnsSecretValues(hostSettingsFor(s.inventory, g).stns.httpHeaders, v.value));
  }
  return out;
}

/** The groups' tokens, read without waiting (discoverAndPlan awaits them with the discovery), each value handed
 * to `protect` (the view's emitter) as soon as it is known, before any host's output can be shown. */
export function readSecrets(s: Session, protect: (values: Iterable<SecretValues>) => void): Promise<Map<string, SecretValues>> {
  return resolveSecrets(s).then((v) => {
    protect(v.values());
    return v;
  });
}
