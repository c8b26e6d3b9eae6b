// The commands as the CLI runs them: the view chosen once, here, from the options (--json, --format,
// --quiet), every byte through one Emitter over the terminal `io` (the CLI's own, which its interrupt notice
// and errors share, or a test's), then the command, which never asks which view it has. These are also the
// library's entry points (src/index.ts). Each module loads when its command runs, so `--help` starts fast.
import { UserError } from '../errors.js';
import { Emitter } from '../output/emitter.js';
import type { Io } from '../output/io.js';
import { PLAN_FORMATS, type PlanFormat } from '../output/views/formats.js';
import type { Presentation } from '../output/views/view.js';
import { EXIT } from '../exit-codes.js';
import type { ApplyCommandOptions } from '../commands/apply.js';
import type { ImagePrepOptions } from '../commands/image-prep.js';
import type { PlanCommandOptions } from '../commands/plan.js';
import type { Clock, ReactivateCommandOptions } from '../commands/reactivate.js';
import type { RenderOptions } from '../commands/render.js';
import type { CommonOptions, TransportFactory } from '../commands/session.js';
import type { TagCommandOptions } from '../commands/tag.js';
import type { VerifyCommandOptions } from '../commands/verify.js';

export type { CommonOptions, TransportFactory };
export interface PlanOptions extends PlanCommandOptions, Presentation {
  /** text (default), json (the same as --json) or markdown. */
  format?: string;
}
export interface ApplyCliOptions extends ApplyCommandOptions, Presentation {}
export interface VerifyCliOptions extends VerifyCommandOptions, Presentation {}
export interface ReactivateCliOptions extends ReactivateCommandOptions, Presentation {}
export interface TagCliOptions extends TagCommandOptions, Presentation {}
interface ImagePrepCliOptions extends ImagePrepOptions {
  json?: boolean;
}
interface ValidateOptions {
  inventory: string;
  json?: boolean;
}

/** --format, with --json as its alias for json (they may not disagree). */
export function planFormat(o: { json?: boolean; format?: string }): PlanFormat {
  const f = o.format ?? (o.json ? 'json' : 'text');
  if (!(PLAN_FORMATS as readonly string[]).includes(f)) throw new UserError(`--format ${f}: one of ${PLAN_FORMATS.join(', ')}`);
  if (o.json && f !== 'json') throw new UserError(`--json is --format json: it cannot be given with --format ${f}`);
  return f as PlanFormat;
}

const presentation = (o: Presentation): Presentation => ({ ...(o.quiet ? { quiet: true } : {}), ...(o.verbose ? { verbose: true } : {}) });

export async function planCommand(o: PlanOptions, makeTransport: TransportFactory, io: Io, signal?: AbortSignal): Promise<number> {
  const format = planFormat(o);
  const { planView } = await import('../output/views/plan.js');
  const { runPlan } = await import('../commands/plan.js');
  return runPlan(o, makeTransport, planView(format, Emitter.over(io), presentation(o)), signal);
}

export async function applyCommand(o: ApplyCliOptions, makeTransport: TransportFactory, io: Io, signal?: AbortSignal): Promise<number> {
  const { applyView } = await import('../output/views/apply.js');
  const { runApply } = await import('../commands/apply.js');
  return runApply(o, makeTransport, applyView(o.json === true, Emitter.over(io), presentation(o)), signal);
}

export async function verifyCommand(o: VerifyCliOptions, makeTransport: TransportFactory, io: Io, signal?: AbortSignal): Promise<number> {
  const { verifyView } = await import('../output/views/verify.js');
  const { runVerify } = await import('../commands/verify.js');
  return runVerify(o, makeTransport, verifyView(o.json === true, Emitter.over(io), presentation(o)), signal);
}

export async function hostsCommand(o: CommonOptions, makeTransport: TransportFactory, io: Io, signal?: AbortSignal): Promise<number> {
  const { hostsView } = await import('../output/views/hosts.js');
  const { runHosts } = await import('../commands/hosts.js');
  return runHosts(o, makeTransport, hostsView(o.json === true, Emitter.over(io), presentation(o)), signal);
}

export async function renderCommand(o: RenderOptions, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { renderView } = await import('../output/views/render.js');
  const { runRender } = await import('../commands/render.js');
  return runRender(o, renderView(Emitter.over(io)), env);
}

export async function profilesCommand(o: { json?: boolean }, io: Io): Promise<number> {
  const { profilesView } = await import('../output/views/profiles.js');
  const { runProfiles } = await import('../commands/profiles.js');
  return runProfiles(profilesView(o.json === true, Emitter.over(io)));
}

/** `clock` is for tests (a virtual clock); the CLI passes only the first four. */
export async function reactivateCommand(o: ReactivateCliOptions, makeTransport: TransportFactory, io: Io, signal?: AbortSignal, clock?: Clock): Promise<number> {
  const { reactivateView } = await import('../output/views/reactivate.js');
  const { runReactivate } = await import('../commands/reactivate.js');
  return runReactivate(o, makeTransport, reactivateView(o.json === true, Emitter.over(io), presentation(o)), signal, clock);
}

export async function tagCommand(o: TagCliOptions, makeTransport: TransportFactory, io: Io, signal?: AbortSignal): Promise<number> {
  const { tagView } = await import('../output/views/tag.js');
  const { runTag } = await import('../commands/tag.js');
  return runTag(o, makeTransport, tagView(o.json === true, Emitter.over(io), presentation(o)), signal);
}

export async function imagePrepCommand(o: ImagePrepCliOptions, makeTransport: TransportFactory, io: Io): Promise<number> {
  const { imagePrepView } = await import('../output/views/image-prep.js');
  const { runImagePrep } = await import('../commands/image-prep.js');
  return runImagePrep(o, makeTransport, imagePrepView(o.json === true, Emitter.over(io)));
}

/** validate reads one file and calls nothing: its core is the inventory's own check. */
export async function validateCommand(o: ValidateOptions, io: Io): Promise<number> {
  const { validateView } = await import('../output/views/validate.js');
  const { validateInventory } = await import('../inventory/validate.js');
  const r = await validateInventory(o.inventory);
  validateView(o.json === true, Emitter.over(io)).result(r);
  return r.valid ? EXIT.OK : EXIT.FAILURE;
}
