// `stns-fleet render`: the complete desired content of every managed file for one OS profile, computed
// from a directory laid out like a host's / (--root) or from the profile's stock files, written under
// --out at each file's absolute path. Optionally the host script for that result (--script). What it did
// goes to the render view as one result; exit 1 when the host cannot be converged.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { archOf, identityOf } from '../model/host-identity.js';
import { archFromRoot } from '../facts/root-arch.js';
import { snapshotFromRoot } from '../model/host-snapshot.js';
import { generateHostScript } from '../plan/host-script.js';
import { loadInventoryWithWarnings } from '../inventory/load.js';
import { formatProblem } from '../inventory/problems.js';
import { authTokenLabel, groupNames, groupOs, hostSettingsFor, resolveSecret } from '../inventory/resolve.js';
import { hostChanges } from '../plan/changes.js';
import { planHost, type HostPlan } from '../plan/host-plan.js';
import { chooseProfile, profileById } from '../profiles/index.js';
import type { Inventory } from '../inventory/schema.js';
import type { OsProfile } from '../profiles/types.js';
import { desiredState, repoFiles } from '../render/desired.js';
import { materialize, stnsSecretValues, type SecretValues } from '../render/secrets.js';
import { stockSnapshot, STOCK_DIR } from '../render/stock.js';
import { loadTemplates } from '../render/templates.js';
import { IDENTITY_FILES, watchFor } from '../render/watch.js';
import type { RenderView } from '../output/views/render.js';

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

export async function runRender(o: RenderOptions, view: RenderView, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { inventory, warnings } = await loadInventoryWithWarnings(o.inventory);
  const notes: string[] = [];
  const wantedArch = o.arch ? archOf(o.arch) : undefined;
  if (o.arch && wantedArch === 'other') throw new UserError(`unknown architecture "${o.arch}"`, { hint: 'use amd64, arm64 or armhf (or x86_64, aarch64, armv7l)' });
  if (o.os === 'auto' && !o.root) {
    throw new UserError('render --os auto detects the OS from a host tree: give --root DIR', { hint: 'or name the OS, e.g. --os debian-13' });
  }
  // A tree says what it is: its architecture from its own files (dpkg, the ELF header of /bin/sh), its OS from
  // os-release and the Raspberry Pi markers. What it says is never overridden: a contradiction is an error.
  const rootArch = o.root ? await archFromRoot(o.root) : undefined;
  if (wantedArch && rootArch && rootArch.arch !== wantedArch) {
    throw new UserError(`${o.root}: --arch ${o.arch} but the tree is ${rootArch.arch} (from ${rootArch.from})`, { hint: 'leave --arch out: it is read from the tree' });
  }
  let profile: OsProfile;
  if (o.os === 'auto') {
    const seen = identityOf(await snapshotFromRoot(o.root!, { paths: IDENTITY_FILES, dirs: [] }), wantedArch ?? rootArch?.arch ?? 'amd64');
    const chosen = chooseProfile(seen, 'auto');
    if ('error' in chosen) throw new UserError(`${o.root}: ${chosen.error}`);
    profile = chosen;
  } else {
    profile = profileById(o.os);
  }
  const arch = wantedArch ?? rootArch?.arch ?? profile.defaultArch;
  if (o.root && !wantedArch) {
    notes.push(
      rootArch
        ? `architecture ${arch}, from ${rootArch.from} in ${o.root}`
        : `${o.root} does not say its architecture (no var/lib/dpkg, no ELF /bin/sh): assuming ${arch}, the usual one for ${profile.id}; give --arch to say otherwise`,
    );
  }
  if (o.os === 'auto') notes.push(`detected ${profile.id} (${profile.label}) from ${o.root}`);
  const group = pickGroup(inventory, profile, o.group, notes);
  const settings = hostSettingsFor(inventory, group);

  const templates = await loadTemplates(o.templates, ['keys/stns-repo.asc', 'host/converge.sh']);
  const watch = watchFor(profile);
  const snapshot = o.root ? await snapshotFromRoot(o.root, watch) : await stockSnapshot(profile, arch, watch);
  const identity = identityOf(snapshot, arch, o.root ? {} : { raspberryPi: profile.id === 'raspberry-pi-os' });
  if (o.root) {
    const chosen = chooseProfile(identity, profile.id, `--os ${profile.id} was given`);
    if ('error' in chosen) throw new UserError(`${o.root}: ${chosen.error}`);
  }

  const ref = settings.stns.authToken;
  let token: string | undefined;
  if (ref) {
    if (ref.kind === 'ssm_parameter' && !o.script) {
      token = `<auth_token from SSM parameter ${ref.name}, resolved at apply>`;
      notes.push(`the auth token of group "${group}" comes from SSM parameter ${ref.name}: the rendered stns.conf carries a marker instead`);
    } else {
      token = resolveSecret(ref, env, authTokenLabel(group));
    }
  }
  const secrets = stnsSecretValues(settings.stns.httpHeaders, token);
  view.emitter.protect([secrets]);

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
  const written = await writeFiles(plan, o.out, secrets);
  // Whether the packages are there is known only on the host: the repository files it would write first.
  const repo =
    desired.packages && !o.packagesPresent ? hostChanges(planHost({ ...desired, files: repoFiles(desired.packages) }, snapshot, {})).files.filter((f) => f.action !== 'noop') : [];
  const ok = desired.problems.length === 0;
  if (ok && o.script) {
    await mkdir(path.dirname(path.resolve(o.script)), { recursive: true });
    await writeFile(o.script, generateHostScript(plan, templates, secrets), { mode: 0o700 });
    await chmod(o.script, 0o700);
  }
  view.result({
    profile: { id: profile.id, label: profile.label },
    arch,
    group,
    from,
    notes: [...notes, ...desired.notes],
    written: { files: written, dir: o.out },
    changes: hostChanges(plan),
    diff: o.diff,
    repo,
    inventoryWarnings: warnings.map(formatProblem),
    warnings: desired.warnings,
    problems: desired.problems,
    ...(o.script ? { script: o.script } : {}),
  });
  return ok ? 0 : 1;
}

/** Writes every file that is to exist under `outDir`; returns how many. */
async function writeFiles(plan: HostPlan, outDir: string, secrets: SecretValues): Promise<number> {
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
  return n;
}
