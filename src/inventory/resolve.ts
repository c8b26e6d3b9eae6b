// From a validated inventory to what the rest of stns-fleet consumes: per-group HostSettings (the top level
// deep-merged with the group's overrides), targets, OS choice, rollout and verify settings, and secrets.

import { UserError } from '../errors.js';
import {
  DEFAULT_STNS_OPTIONS,
  STNS_OPTION_KEYS,
  type HostSettings,
  type SecretRef,
  type StnsOptions,
  type StnsSettings,
} from '../model/settings.js';
import type { Amount } from './fields.js';
import type { Inventory, InventoryGroup, InventoryOs } from './schema.js';

export function groupNames(inv: Inventory): string[] {
  return Object.keys(inv.groups);
}

function groupOf(inv: Inventory, group: string): InventoryGroup {
  const g = Object.hasOwn(inv.groups, group) ? inv.groups[group] : undefined;
  if (g === undefined) {
    throw new UserError(`no group "${group}" in ${inv.source ?? 'the inventory'}; groups: ${groupNames(inv).join(', ')}`);
  }
  return g;
}

function pickOptions(src: Partial<Record<keyof StnsOptions, unknown>> | undefined): StnsOptions {
  const out: Record<string, unknown> = {};
  if (src === undefined) return out;
  for (const k of STNS_OPTION_KEYS) if (src[k] !== undefined) out[k] = src[k];
  return out as StnsOptions;
}

function mergeRecord<T extends object>(top: T | undefined, over: T | undefined): T | undefined {
  if (top === undefined && over === undefined) return undefined;
  return { ...top, ...over } as T;
}

/** The settings every host of `group` is rendered from. */
export function hostSettingsFor(inv: Inventory, group: string): HostSettings {
  const g = groupOf(inv, group);
  const top = inv.stns;
  const over = g.stns ?? {};

  const stns: StnsSettings = {
    apiEndpoint: over.api_endpoint ?? top.api_endpoint,
    options: { ...DEFAULT_STNS_OPTIONS, ...pickOptions(top), ...pickOptions(over) },
    cached: {
      enable: over.cached?.enable ?? top.cached.enable,
      ...((over.cached?.prefetch ?? top.cached.prefetch) !== undefined
        ? { prefetch: over.cached?.prefetch ?? top.cached.prefetch }
        : {}),
    },
    packageRepository: over.package_repository ?? top.package_repository,
  };
  const packageRelease = over.package_release ?? top.package_release;
  if (packageRelease !== undefined) stns.packageRelease = packageRelease;
  const authToken = over.auth_token ?? top.auth_token;
  if (authToken !== undefined) stns.authToken = authToken;
  const tls = mergeRecord(top.tls, over.tls);
  if (tls !== undefined) stns.tls = tls;
  const httpHeaders = mergeRecord(top.http_headers, over.http_headers);
  if (httpHeaders !== undefined) stns.httpHeaders = httpHeaders;

  return {
    stns,
    mkhomedir: {
      enable: g.pam?.mkhomedir ?? inv.pam.mkhomedir,
      umask: g.pam?.umask ?? inv.pam.umask,
    },
    sshd: { keysCommandUser: g.sshd?.keys_command_user ?? inv.sshd.keys_command_user },
    hardenSudo: g.harden_sudo ?? inv.harden_sudo,
  };
}

interface GroupTargets {
  /** EC2 instance IDs (i-…) and managed node IDs (mi-…), in file order. */
  ids: string[];
  /** One entry per `{tags: …}` selector; every value normalised to a list (a host matches any listed value). */
  tagSelectors: Record<string, string[]>[];
}

export function targetsOf(inv: Inventory, group: string): GroupTargets {
  const out: GroupTargets = { ids: [], tagSelectors: [] };
  for (const t of groupOf(inv, group).targets) {
    if (typeof t === 'string') {
      out.ids.push(t);
    } else {
      const sel: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(t.tags)) sel[k] = typeof v === 'string' ? [v] : [...v];
      out.tagSelectors.push(sel);
    }
  }
  return out;
}

export function groupOs(inv: Inventory, group: string): InventoryOs {
  return groupOf(inv, group).os;
}

/** Users that must resolve (getent) and have SSH keys on every host of the group. */
export function verifyUsersOf(inv: Inventory, group: string): string[] {
  return [...(groupOf(inv, group).verify?.users ?? inv.verify.users)];
}

interface RolloutSettings {
  /** Hosts (or "N%" of them) done first, alone, before the rest. */
  canary: Amount;
  /** SSM MaxConcurrency. */
  maxConcurrency: Amount;
  /** SSM MaxErrors. */
  maxErrors: Amount;
}

export function rolloutOf(inv: Inventory): RolloutSettings {
  return {
    canary: inv.rollout.canary as Amount,
    maxConcurrency: inv.rollout.max_concurrency as Amount,
    maxErrors: inv.rollout.max_errors as Amount,
  };
}

/** Turns an Amount into a host count out of `total` (percentages round up, so "10%" of 3 hosts is 1). */
export function amountToCount(a: Amount, total: number): number {
  if (typeof a === 'number') return Math.min(a, total);
  const pct = Number.parseInt(a, 10);
  return Math.min(total, Math.ceil((total * pct) / 100));
}

// ------------------------------------------------------------------------------------------ secrets

interface SecretResolver {
  /** `what` names the secret in messages, e.g. `auth_token of group "web"`. */
  resolve(ref: SecretRef, what?: string): Promise<string>;
}

/**
 * Resolves env and plaintext refs offline. An SSM parameter ref needs AWS, so it fails here with a message
 * that says so (an AWS-backed resolver handles those).
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv, what = 'auth_token'): string {
  switch (ref.kind) {
    case 'plaintext':
      return ref.value;
    case 'env': {
      const v = env[ref.name];
      if (v === undefined || v === '') {
        throw new UserError(`environment variable ${ref.name} (${what}) is not set`, {
          hint: v === '' ? `${ref.name} is empty; export it with the token` : `export ${ref.name}=… before running stns-fleet`,
        });
      }
      return v;
    }
    case 'ssm_parameter':
      throw new UserError(`${what} is read from SSM parameter ${ref.name}, which needs AWS; it cannot be resolved offline`,
        { hint: 'use { env: NAME } for this token to work without AWS' },
      );
  }
}

export function envSecretResolver(env: NodeJS.ProcessEnv = process.env): SecretResolver {
  return {
    resolve: (ref, what) => {
      try {
        return Promise.resolve(resolveSecret(ref, env, what));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    },
  };
}

/** `auth_token of group "web"`: how a group's token is named in messages. */
export function authTokenLabel(group: string): string {
  return `auth_token of group "${group}"`;
}
