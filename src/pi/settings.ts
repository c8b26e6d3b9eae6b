// The inventory's Raspberry Pi settings, resolved per group (kept apart from inventory/resolve.ts): a group's
// `pi:` section (hybrid-activation role, serial → name map, naming prefix, what a re-registration renews)
// and its `names:` map (instance / managed-node ID → Name).
import { UserError } from '../errors.js';
import { groupNames } from '../inventory/resolve.js';
import type { Inventory, InventoryGroup } from '../inventory/schema.js';

export interface PiSettings {
  /** IAM role (name) for CreateActivation; without it reactivate cannot move this group's boards. */
  iamRole?: string;
  /** Normalised serial (see normalizeSerial) → Name. */
  names: Map<string, string>;
  namePrefix: string;
  newMachineId: boolean;
  newHostKeys: boolean;
  /** True when the group has a `pi:` section at all. */
  configured: boolean;
}

const DEFAULT_NAME_PREFIX = 'pi';

function groupOf(inv: Inventory, group: string): InventoryGroup {
  const g = Object.hasOwn(inv.groups, group) ? inv.groups[group] : undefined;
  if (g === undefined) throw new UserError(`no group "${group}" in ${inv.source ?? 'the inventory'}; groups: ${groupNames(inv).join(', ')}`);
  return g;
}

/** A Pi serial as we compare it: lowercase hex without leading zeros ("00000000A1b2" → "a1b2"). YAML reads an
 * unquoted all-digit serial as a number and drops its leading zeros; this makes both spellings meet. */
export function normalizeSerial(s: string): string {
  const t = s.trim().toLowerCase().replace(/^0+/, '');
  return t === '' ? '0' : t;
}

export function piSettingsFor(inv: Inventory, group: string): PiSettings {
  const p = groupOf(inv, group).pi;
  const names = new Map<string, string>();
  for (const [serial, name] of Object.entries(p?.names ?? {})) names.set(normalizeSerial(serial), name);
  return {
    ...(p?.iam_role ? { iamRole: p.iam_role } : {}),
    names,
    namePrefix: p?.name_prefix ?? DEFAULT_NAME_PREFIX,
    newMachineId: p?.new_machine_id ?? true,
    newHostKeys: p?.new_host_keys ?? true,
    configured: p !== undefined,
  };
}

/** The group's `names:` map: instance / managed-node ID → Name. */
export function nodeNamesFor(inv: Inventory, group: string): Map<string, string> {
  return new Map(Object.entries(groupOf(inv, group).names ?? {}));
}
