// (profile, settings, the host's current files) → the complete desired state of one host: every managed
// file's bytes, the packages to install, and what sshd and NSS will effectively do before and after.
// Pure: no I/O, no AWS. A host we cannot converge safely gets `problems`, never a guess.
import { readText, type HostSnapshot } from '../host/snapshot.js';
import type { HostSettings } from '../model/settings.js';
import type { HostIdentity, OsProfile } from '../profiles/types.js';
import { planSshd, type SshdOutcome } from '../sshd/strategy.js';
import { addStnsToNsswitch, nssSources, type NssDatabase } from './nsswitch.js';
import { planPackages, type PackagePlan } from './packages.js';
import { addMkhomedir } from './pam.js';
import { renderStnsConf, STNS_CONF } from './stns-conf.js';
import { hardenedSudoers } from './sudoers.js';
import type { Templates } from './templates.js';

export const NSSWITCH = '/etc/nsswitch.conf';

/** What a changed file asks of the host: validate and reload sshd, restart it, restart cache-stnsd, … */
export type FileRole = 'stns-conf' | 'nss' | 'pam' | 'sshd' | 'sshd-unit' | 'keys' | 'sudoers';

export interface DesiredFile {
  path: string;
  /** Desired bytes with secret placeholders; null = the file must be absent. */
  content: Buffer | null;
  mode: number;
  /** 'enforce': always root:root and `mode`; 'keep': an existing file keeps its owner and mode. */
  ownership: 'enforce' | 'keep';
  role: FileRole;
}

export interface DesiredState {
  profile: OsProfile;
  identity: HostIdentity;
  files: DesiredFile[];
  /** null when the packages are known to be installed. */
  packages: PackagePlan | null;
  /** Set when packages are missing and no repository builds them for this host. */
  packagesUnsupported?: string;
  sshd: SshdOutcome;
  nss: { before: Record<NssDatabase, string[] | undefined>; after: Record<NssDatabase, string[] | undefined> };
  cacheStnsd: boolean;
  /** Reasons this host cannot be converged; apply refuses such a host. */
  problems: string[];
  warnings: string[];
}

export interface DesiredInput {
  profile: OsProfile;
  identity: HostIdentity;
  snapshot: HostSnapshot;
  settings: HostSettings;
  templates: Templates;
  /** true/false from facts; undefined when unknown (render without a host): the script checks at run time. */
  packagesInstalled?: boolean;
}

const EMPTY_NSS: Record<NssDatabase, string[] | undefined> = { passwd: undefined, group: undefined, shadow: undefined };

export function desiredState(i: DesiredInput): DesiredState {
  const { profile, snapshot, settings, templates: t } = i;
  const problems: string[] = [];
  const warnings: string[] = [];
  const files: DesiredFile[] = [];
  const absentBase = (p: string): string =>
    `${p} is absent on this host; stns-fleet edits the distribution's file and will not invent one`;

  files.push({ path: STNS_CONF, content: Buffer.from(renderStnsConf(t, settings.stns)), mode: 0o644, ownership: 'enforce', role: 'stns-conf' });

  const nss = readText(snapshot, NSSWITCH);
  let nssAfter = EMPTY_NSS;
  if (nss === undefined) problems.push(absentBase(NSSWITCH));
  else {
    const after = addStnsToNsswitch(nss);
    nssAfter = nssSources(after);
    files.push({ path: NSSWITCH, content: Buffer.from(after), mode: 0o644, ownership: 'keep', role: 'nss' });
  }

  if (settings.mkhomedir.enable) {
    const pam = readText(snapshot, profile.pam.file);
    if (pam === undefined) problems.push(absentBase(profile.pam.file));
    else {
      const others = profile.pam.alsoCheck.map((p) => readText(snapshot, p)).filter((x): x is string => x !== undefined);
      const after = addMkhomedir(pam, { control: profile.pam.control, umask: settings.mkhomedir.umask, after: profile.pam.after }, others);
      files.push({ path: profile.pam.file, content: Buffer.from(after), mode: 0o644, ownership: 'keep', role: 'pam' });
    }
  }

  const sshd = planSshd(snapshot, profile.sshd.service, settings, t);
  if (sshd.error) problems.push(sshd.error);
  warnings.push(...sshd.warnings);
  for (const [path, f] of sshd.files) {
    const role: FileRole = path.startsWith('/etc/systemd/') ? 'sshd-unit' : path.startsWith('/usr/lib/stns-fleet/') ? 'keys' : 'sshd';
    files.push({
      path,
      content: f.content === null ? null : Buffer.from(f.content),
      mode: f.mode,
      ownership: role === 'sshd' && path.endsWith('/sshd_config') ? 'keep' : 'enforce',
      role,
    });
  }

  // harden_sudo (src/render/sudoers.ts): validated with visudo by the host script (role 'sudoers').
  if (settings.hardenSudo === true) files.push(...hardenedSudoers(snapshot));

  let packages: PackagePlan | null = null;
  let packagesUnsupported: string | undefined;
  if (i.packagesInstalled !== true) {
    const p = planPackages(profile, i.identity, settings.stns, t);
    if ('unsupported' in p) {
      packagesUnsupported = p.unsupported;
      if (i.packagesInstalled === false) problems.push(`unsupported: ${p.unsupported}`);
      else warnings.push(`unless the image already carries libnss-stns-v2: ${p.unsupported}`);
    } else packages = p;
  }

  return {
    profile,
    identity: i.identity,
    files,
    packages,
    ...(packagesUnsupported ? { packagesUnsupported } : {}),
    sshd,
    nss: { before: nss === undefined ? EMPTY_NSS : nssSources(nss), after: nssAfter },
    cacheStnsd: settings.stns.cached.enable,
    problems,
    warnings,
  };
}
