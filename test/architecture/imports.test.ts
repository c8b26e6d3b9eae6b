// The layout is the pipeline, and imports point one way: cli → commands → output → stages (in pipeline order)
// → domain → model/transport. This reads every import of src/ (type-only ones too: a type import is a
// dependency of the design even where it costs nothing at run time) and checks the direction and that no
// file imports itself through others.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

// Lower numbers are lower layers; a file may import its own layer's files and anything below. The stages are
// ordered as the pipeline runs them, so an earlier stage never imports a later one.
const LAYER: Record<string, number> = {
  // the model: what a host, a setting, an OS profile and the transport's results are
  'errors.ts': 0,
  'exit-codes.ts': 0,
  model: 0,
  profiles: 0,
  transport: 0,
  inventory: 1,
  // domain knowledge the stages share: how files are rendered, what sshd does, the host-side script pieces
  render: 2,
  sshd: 2,
  'host-script': 2,
  // the stages, in pipeline order
  targets: 3,
  facts: 4,
  plan: 5,
  apply: 6,
  verify: 7,
  pi: 8,
  // the one output seam, the AWS implementation of the transport, the commands, the command line
  output: 9,
  aws: 10,
  commands: 11,
  cli: 12,
  'index.ts': 13,
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'(\.{1,2}\/[^']+)'/g), ...text.matchAll(/import\('(\.{1,2}\/[^']+)'\)/g)].map((m) =>
    path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')),
  );
}

const top = (file: string): string => path.relative(SRC, file).split(path.sep)[0]!;
const rel = (file: string): string => path.relative(SRC, file);
const files = tsFiles(SRC).filter((f) => top(f) !== 'lab' && top(f) !== 'bench');
const graph = new Map(files.map((f) => [f, importsOf(f)]));

test('every folder of src/ has a layer', () => {
  const missing = [...new Set(files.map(top))].filter((t) => LAYER[t] === undefined);
  expect(missing).toEqual([]);
});

test('imports point down the layers: no stage imports a later stage, the view, a command or the AWS client', () => {
  const upward: string[] = [];
  for (const [f, deps] of graph) {
    for (const d of deps) {
      if (LAYER[top(d)]! > LAYER[top(f)]!) upward.push(`${rel(f)} → ${rel(d)}`);
      // Only the composition root (cli/) builds the AWS transport; everything else sees the interface.
      if (top(d) === 'aws' && top(f) !== 'aws' && top(f) !== 'cli' && top(f) !== 'index.ts') upward.push(`${rel(f)} → ${rel(d)} (only cli/ builds the AWS transport)`);
    }
  }
  expect(upward).toEqual([]);
});

// The modules a command line verb runs; the rest of commands/ is what they share (session, planning, options).
const COMMAND_MODULES = ['apply', 'hosts', 'image-prep', 'plan', 'profiles', 'reactivate', 'render', 'tag', 'verify', 'validate'];

test('commands do not reach into each other', () => {
  const isCommand = (f: string): boolean => top(f) === 'commands' && COMMAND_MODULES.includes(path.basename(f, '.ts'));
  const across = [...graph].flatMap(([f, deps]) => (isCommand(f) ? deps.filter((d) => d !== f && isCommand(d)).map((d) => `${rel(f)} → ${rel(d)}`) : []));
  expect(across).toEqual([]);
});

test('no import cycle', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' → '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  expect(cycles).toEqual([]);
});

// The lab (packages/lab, a private workspace package) uses the CLI through its public exports alone, so
// that what it tests is what a package user gets, and nothing of it can be imported back by the CLI.
test('the lab reaches the CLI only through the package name, and the CLI never imports the lab', () => {
  const LAB = path.resolve(SRC, '../packages/lab');
  const labFiles = [...tsFiles(path.join(LAB, 'src')), ...tsFiles(path.join(LAB, 'scripts'))];
  const reaching = labFiles.flatMap((f) => importsOf(f).filter((d) => !d.startsWith(`${LAB}${path.sep}`)).map((d) => `${path.relative(LAB, f)} → ${d}`));
  expect(reaching).toEqual([]);
  const cliText = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  expect(cliText).not.toMatch(/from '(@stns-fleet\/lab|[^']*packages\/lab)/);
});
