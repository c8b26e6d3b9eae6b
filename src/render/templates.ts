// Templates are data in templates/ (beside src/ and dist/), and a user directory given with --templates
// may override any of them by file name. Values reach templates already encoded for their target syntax
// (TOML literals, shell words), so compile without HTML escaping and in strict mode: a template that
// names a value we do not pass is an error that names the template.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { ToolError, UserError } from '../errors.js';

export const BUILTIN_TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));

const TEMPLATE_NAMES = [
  'stns.conf.hbs',
  'sshd-dropin.conf.hbs',
  'sshd-managed-block.hbs',
  'sshd-systemd-override.conf.hbs',
  'stns-fleet-keys.sh.hbs',
  'apt-source.list.hbs',
  'yum.repo.hbs',
] as const;
type TemplateName = (typeof TEMPLATE_NAMES)[number];

export interface Templates {
  render(name: TemplateName, context: object): string;
  /** Raw bytes of a built-in data file (e.g. keys/stns-repo.asc, host/converge.sh). */
  data(relPath: string): Buffer;
  /** A template's source text (the override when there is one). */
  source(name: TemplateName): string;
}

/** Data files every script generator may need, always loaded: a few small files, so no call site lists them. */
const DATA_DIRS = ['host', 'keys'];

async function readOverride(dir: string | undefined, name: string): Promise<{ text: string; from: string } | undefined> {
  if (!dir) return undefined;
  const p = path.join(dir, name);
  const text = await readFile(p, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new ToolError(`cannot read template ${p}: ${e.message}`);
  });
  return text === undefined ? undefined : { text, from: p };
}

export async function loadTemplates(overrideDir?: string, extraData: string[] = []): Promise<Templates> {
  const dataFiles = [...extraData];
  const hb = Handlebars.create();
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  const sources = new Map<string, string>();
  for (const name of TEMPLATE_NAMES) {
    const src = (await readOverride(overrideDir, name)) ?? {
      text: await readFile(path.join(BUILTIN_TEMPLATES, name), 'utf8'),
      from: path.join(BUILTIN_TEMPLATES, name),
    };
    sources.set(name, src.text);
    try {
      compiled.set(name, hb.compile(src.text, { noEscape: true, strict: true }));
    } catch (e) {
      throw new UserError(`template ${src.from}: ${(e as Error).message}`);
    }
  }
  const data = new Map<string, Buffer>();
  for (const dir of DATA_DIRS) {
    for (const name of await readdir(path.join(BUILTIN_TEMPLATES, dir))) dataFiles.push(`${dir}/${name}`);
  }
  for (const rel of new Set(dataFiles)) data.set(rel, await readFile(path.join(BUILTIN_TEMPLATES, rel)));
  return {
    render(name, context) {
      const t = compiled.get(name)!;
      try {
        return t(context);
      } catch (e) {
        throw new UserError(`template ${name}: ${(e as Error).message}`);
      }
    },
    source(name) {
      return sources.get(name)!;
    },
    data(rel) {
      const b = data.get(rel);
      if (!b) throw new Error(`data file ${rel} was not loaded`);
      return b;
    },
  };
}
