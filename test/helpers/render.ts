// Shared helpers for the render / sshd / host-script tests (not a test file itself): the end-to-end path
// profile → stock snapshot → identity → desired state → plan → host script, plus small snapshot tools.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { identityOf } from '../../src/model/host-identity.js';
import type { HostSnapshot } from '../../src/model/host-snapshot.js';
import { generateHostScript } from '../../src/plan/host-script.js';
import type { HostSettings } from '../../src/model/settings.js';
import { planHost, type HostPlan } from '../../src/plan/host-plan.js';
import { OS_PROFILE_IDS, type OsProfileId } from '../../src/profiles/ids.js';
import { profileById } from '../../src/profiles/index.js';
import type { Arch, HostIdentity, OsProfile } from '../../src/profiles/types.js';
import { desiredState, type DesiredState } from '../../src/render/desired.js';
import { materialize, stnsSecretValues, type SecretValues } from '../../src/render/secrets.js';
import { STOCK_DIR, stockSnapshot } from '../../src/render/stock.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { watchFor } from '../../src/render/watch.js';

export { OS_PROFILE_IDS, STOCK_DIR };
export type { OsProfileId };

/** A token that would break naive TOML or shell quoting. */
export const TOKEN = `s3cr3t-"tok'en"\\$(id)\n`;
export const SECRETS: SecretValues = { auth_token: TOKEN };

let cached: Promise<Templates> | undefined;
export function templates(): Promise<Templates> {
  cached ??= loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh']);
  return cached;
}

export function settings(over: Partial<HostSettings['stns']> = {}, rest: Partial<Omit<HostSettings, 'stns'>> = {}): HostSettings {
  return {
    stns: {
      apiEndpoint: 'https://stns.example.com/v1',
      authToken: { kind: 'env', name: 'STNS_AUTH_TOKEN' },
      options: { request_timeout: 3, request_retry: 1 },
      cached: { enable: true },
      packageRepository: 'https://repo.stns.jp',
      ...over,
    },
    mkhomedir: { enable: true, umask: '0022' },
    sshd: { keysCommandUser: 'root' },
    ...rest,
  };
}

/** A profile's stock tree (`variant`: one of profile.stockVariants, default the first). */
export async function stock(id: OsProfileId, arch?: Arch, variant?: string): Promise<{ profile: OsProfile; snapshot: HostSnapshot; identity: HostIdentity }> {
  const profile = profileById(id);
  const a = arch ?? profile.defaultArch;
  const snapshot = await stockSnapshot(profile, a, watchFor(profile), variant);
  return { profile, snapshot, identity: identityOf(snapshot, a) };
}

/** Every (profile, stock variant) pair, e.g. ['raspberry-pi-os', 'trixie']. */
export function stockVariants(): [OsProfileId, string][] {
  return OS_PROFILE_IDS.flatMap((id) => profileById(id).stockVariants.map((v): [OsProfileId, string] => [id, v.id]));
}

export interface Rendered {
  profile: OsProfile;
  identity: HostIdentity;
  snapshot: HostSnapshot;
  desired: DesiredState;
  plan: HostPlan;
  script: string;
  t: Templates;
}

export interface RenderOptions {
  arch?: Arch;
  /** Start from this stock variant of the profile (profile.stockVariants), default the first. */
  variant?: string;
  /** Start from this snapshot instead of the profile's stock files. */
  snapshot?: HostSnapshot;
  settings?: HostSettings;
  packagesInstalled?: boolean;
  secrets?: SecretValues;
}

export async function render(id: OsProfileId, o: RenderOptions = {}): Promise<Rendered> {
  const t = await templates();
  const s = await stock(id, o.arch, o.variant);
  const snapshot = o.snapshot ?? s.snapshot;
  const identity = o.snapshot ? identityOf(snapshot, o.arch ?? s.profile.defaultArch) : s.identity;
  const desired = desiredState({
    profile: s.profile,
    identity,
    snapshot,
    settings: o.settings ?? settings(),
    templates: t,
    ...(o.packagesInstalled !== undefined ? { packagesInstalled: o.packagesInstalled } : {}),
  });
  // Header values are secrets too: the settings' own, unless the test names them.
  const secrets = { ...stnsSecretValues((o.settings ?? settings()).stns.httpHeaders, undefined), ...(o.secrets ?? SECRETS) };
  const plan = planHost(desired, snapshot, secrets);
  return { profile: s.profile, identity, snapshot, desired, plan, script: generateHostScript(plan, t, secrets), t };
}

/** The snapshot after the desired files were written (secrets materialized; null content deletes). */
export function applyDesired(s: HostSnapshot, d: DesiredState, secrets: SecretValues = SECRETS): HostSnapshot {
  const files = new Map(s.files);
  for (const f of d.files) {
    if (f.content === null) files.delete(f.path);
    else files.set(f.path, materialize(f.content, secrets));
  }
  return { files };
}

/** A copy of `s` with some files replaced (string/Buffer) or removed (null). */
export function withFiles(s: HostSnapshot, changes: Record<string, string | Buffer | null>): HostSnapshot {
  const files = new Map(s.files);
  for (const [p, v] of Object.entries(changes)) {
    if (v === null) files.delete(p);
    else files.set(p, typeof v === 'string' ? Buffer.from(v) : v);
  }
  return { files };
}

export function text(s: HostSnapshot, p: string): string {
  const b = s.files.get(p);
  if (!b) throw new Error(`${p} is not in the snapshot`);
  return b.toString('utf8');
}

/** Every stock tree (stock/<dir>) that holds `rel` (e.g. "etc/nsswitch.conf"), with its bytes. */
export function stockCopies(rel: string): { dir: string; path: string; content: string }[] {
  const out: { dir: string; path: string; content: string }[] = [];
  for (const dir of readdirSync(STOCK_DIR).sort()) {
    const p = path.join(STOCK_DIR, dir, rel);
    if (statSync(p, { throwIfNoEntry: false })?.isFile()) out.push({ dir, path: p, content: readFileSync(p, 'utf8') });
  }
  return out;
}

/** Reads one file of the repository's stock trees. */
export function stockFile(dir: string, rel: string): string {
  return readFileSync(path.join(STOCK_DIR, dir, rel), 'utf8');
}

/** Lines of a text, keeping the empty string after a final newline (so line counts compare exactly). */
export const lines = (s: string): string[] => s.split('\n');
