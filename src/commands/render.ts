// `stns-fleet render`: the complete desired content of every managed file for one OS profile, computed
// from a directory laid out like a host's / (--root) or from the profile's stock files, written under
// --out at each file's absolute path. Optionally the host script for that result (--script).
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { archOf } from '../host/identity.js';
import { identityOf } from '../host/identity.js';
import { snapshotFromRoot } from '../host/snapshot.js';
import { generateHostScript } from '../host-script/generate.js';
import { loadInventoryWithWarnings } from '../inventory/load.js';
import { formatProblem } from '../inventory/problems.js';
import { authTokenLabel, groupNames, groupOs, hostSettingsFor, resolveSecret } from '../inventory/resolve.js';
import { changeSymbol, fileDiff } from '../output/diff.js';
import { planHost, type HostPlan } from '../plan/host-plan.js';
import { chooseProfile, profileById } from '../profiles/index.js';
import type { Inventory } from '../inventory/schema.js';
import type { OsProfile } from '../profiles/types.js';
import { desiredState } from '../render/desired.js';
import { materialize, scrub, type SecretValues } from '../render/secrets.js';
import { stockSnapshot, STOCK_DIR } from '../render/stock.js';
import { loadTemplates } from '../render/templates.js';
import { watchFor } from '../render/watch.js';
import { describeOutcome } from './describe.js';

export interface RenderOptions {
  inventory: string;
  os: string;
  group?: string;
  root?: string;
  out: string;
  script?: string;
  templates?: string;
  arch?: string;
  diff: boolean;
  packagesPresent: boolean;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function pickGroup(inv: Inventory, profile: OsProfile, wanted: string | undefined, notes: string[]): string {
  if (wanted !== undefined) {
    groupOs(inv, wanted); // throws a clear error for an unknown group
    return wanted;
  }
  const names = groupNames(inv);
  const same = names.filter((g) => groupOs(inv, g) === profile.id);
  const chosen = same.length === 1 ? same[0]! : names[0]!;
  if (names.length > 1 && same.length !== 1) notes.push(`using the settings of group "${chosen}" (choose with --group: ${names.join(', ')})`);
  return chosen;
}

export async function renderCommand(o: RenderOptions, env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  const out: string[] = [];
  const err: string[] = [];
  const { inventory, warnings } = await loadInventoryWithWarnings(o.inventory);
  for (const w of warnings) err.push(formatProblem(w));
  const profile = profileById(o.os);
  const arch = o.arch ? archOf(o.arch) : profile.defaultArch;
  if (o.arch && arch === 'other') throw new FleetError('USAGE', `unknown architecture "${o.arch}"`, { hint: 'use amd64, arm64 or armhf (or x86_64, aarch64, armv7l)' });
  const notes: string[] = [];
  const group = pickGroup(inventory, profile, o.group, notes);
  const settings = hostSettingsFor(inventory, group);

  const templates = await loadTemplates(o.templates, ['keys/stns-repo.asc', 'host/converge.sh']);
  const watch = watchFor(profile);
  const snapshot = o.root ? await snapshotFromRoot(o.root, watch) : await stockSnapshot(profile, arch, watch);
  const identity = identityOf(snapshot, arch, o.root ? {} : { raspberryPi: profile.id === 'raspberry-pi-os' });
  if (o.root) {
    const chosen = chooseProfile(identity, profile.id);
    if ('error' in chosen) throw new FleetError('RENDER', `${o.root}: ${chosen.error}`);
  }

  const secrets: SecretValues = {};
  const ref = settings.stns.authToken;
  if (ref) {
    if (ref.kind === 'ssm_parameter' && !o.script) {
      secrets.auth_token = `<auth_token from SSM parameter ${ref.name}, resolved at apply>`;
      notes.push(`the auth token of group "${group}" comes from SSM parameter ${ref.name}: the rendered stns.conf carries a marker instead`);
    } else {
      secrets.auth_token = resolveSecret(ref, env, authTokenLabel(group));
    }
  }

  const desired = desiredState({
    profile,
    identity,
    snapshot,
    settings,
    templates,
    ...(o.packagesPresent ? { packagesInstalled: true } : {}),
  });
  const plan = planHost(desired, snapshot, secrets);
  const from = o.root ? o.root : profile.stockLayers(arch).map((l) => path.join(path.relative(process.cwd(), STOCK_DIR) || '.', l)).join(' + ');
  out.push(`render: ${profile.id} (${profile.label}, ${arch}), group "${group}", current files from ${from}`);
  for (const n of notes) out.push(`  note: ${n}`);
  await writeFiles(plan, o.out, secrets, out);
  out.push(...describeOutcome(plan).map((l) => `  ${l}`));
  if (o.diff) for (const c of plan.changes) if (c.action !== 'noop') out.push(fileDiff(c));
  for (const w of desired.warnings) err.push(`warning: ${w}`);

  if (desired.problems.length > 0) {
    for (const p of desired.problems) err.push(`error: ${p}`);
    if (o.script) err.push('error: no host script written: this host cannot be converged as it is');
    return { exitCode: 1, stdout: scrub(out.join('\n'), secrets) + '\n', stderr: scrub(err.join('\n'), secrets) + '\n' };
  }
  if (o.script) {
    await mkdir(path.dirname(path.resolve(o.script)), { recursive: true });
    await writeFile(o.script, generateHostScript(plan, templates, secrets), { mode: 0o700 });
    await chmod(o.script, 0o700);
    out.push(`  host script: ${o.script} (mode 0700: it carries the auth token; run it as root, or with STNS_FLEET_ROOT=DIR on a tree)`);
  }
  return { exitCode: 0, stdout: scrub(out.join('\n'), secrets) + '\n', stderr: err.length ? scrub(err.join('\n'), secrets) + '\n' : '' };
}

async function writeFiles(plan: HostPlan, outDir: string, secrets: SecretValues, log: string[]): Promise<void> {
  let n = 0;
  for (const c of plan.changes) {
    const target = path.join(outDir, c.file.path);
    if (c.file.content === null) {
      await rm(target, { force: true });
      continue;
    }
    const bytes = materialize(c.file.content, secrets);
    const sensitive = !bytes.equals(c.file.content);
    await mkdir(path.dirname(target), { recursive: true });
    // A file that carries a secret is written 0600 here, whatever its mode on the host.
    const mode = sensitive ? 0o600 : c.file.mode;
    await writeFile(target, bytes, { mode });
    await chmod(target, mode);
    n++;
  }
  log.push(`  wrote ${n} file(s) under ${outDir}`);
}
