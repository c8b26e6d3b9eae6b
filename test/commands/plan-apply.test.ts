// plan and apply as the CLI runs them (minus argv), against directory hosts: exit codes, the report, the
// saved plan, and no secret — the new token or a host's old one — in any output.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { applyCommand, planCommand, planFormat } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import type { FleetTransport } from '../../src/commands/session.js';
import { isFleetError } from '../../src/errors.js';
import { TreeTransport, treeHosts } from '../helpers/tree-transport.js';

const TOKEN = 'new-T0KEN-value-123';
const OLD = 'old-T0KEN-from-host';
let lab: ReturnType<typeof treeHosts>;
let tr: TreeTransport;
let file: string;
let out: string[];
let err: string[];
const io: Io = { out: (t) => void out.push(t), err: (t) => void err.push(t) };
const factory = (): FleetTransport => tr;

beforeEach(() => {
  lab = treeHosts(['debian-12', 'ubuntu-24.04']);
  tr = new TreeTransport(lab.hosts, lab.bin);
  file = path.join(lab.dir, 'inv.yaml');
  writeFileSync(
    file,
    `version: 1\naws: { region: eu-west-1 }\nstns:\n  api_endpoint: https://stns.example.com/v1\n  auth_token: { env: SF_CMD_TOKEN }\ngroups:\n  all:\n    targets: [${lab.hosts.map((h) => h.id).join(', ')}]\n`,
  );
  // One host already has an stns.conf with another token.
  mkdirSync(path.join(lab.hosts[1]!.root, 'etc/stns/client'), { recursive: true });
  writeFileSync(path.join(lab.hosts[1]!.root, 'etc/stns/client/stns.conf'), `api_endpoint = "https://old.example.com/v1"\nauth_token = "${OLD}"\n`);
  process.env['SF_CMD_TOKEN'] = TOKEN;
  out = [];
  err = [];
});
afterEach(() => {
  rmSync(lab.dir, { recursive: true, force: true });
  delete process.env['SF_CMD_TOKEN'];
});

const all = (): string => out.join('') + err.join('');

test('plan: diffs per unit, exit 2, secrets redacted; --out saves a plan that apply applies exactly; then exit 0', async () => {
  const planFile = path.join(lab.dir, 'p.json');
  expect(await planCommand({ inventory: file, out: planFile, quiet: true }, factory, io)).toBe(2);
  const text = all();
  expect(text).toMatch(/## all#1: 1 host\(s\), group all, debian-12/);
  expect(text).toMatch(/\+passwd: +files stns/);
  expect(text).toMatch(/^--- a\/etc\/stns\/client\/stns.conf\n\+\+\+ b\/etc\/stns\/client\/stns.conf$/m);
  expect(text).toMatch(/^ auth_token = "\(sensitive\)"$/m); // the host's old token, hidden
  expect(text).toMatch(/-api_endpoint = "https:\/\/old.example.com\/v1"/);
  expect(text).toMatch(/Plan: 2 to change, 0 unchanged, 0 skipped, 0 unreachable, 0 with errors\./);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(OLD);
  const saved = readFileSync(planFile, 'utf8');
  expect(saved).not.toContain(TOKEN);
  expect(saved).not.toContain(OLD);

  out = [];
  const applied = await applyCommand({ planFile, yes: true, quiet: true }, factory, io);
  expect(applied).toBe(0);
  expect(all()).toMatch(/Apply: 2 changed, 0 unchanged/);
  expect(all()).not.toContain(TOKEN);
  for (const r of tr.requests) expect(JSON.stringify(r)).not.toContain(TOKEN);

  out = [];
  expect(await planCommand({ inventory: file, json: true }, factory, io)).toBe(0);
  const json = JSON.parse(out.join('')) as { summary: Record<string, number>; units: { draft?: unknown }[] };
  expect(json.summary).toEqual({ change: 0, unchanged: 2, skipped: 0, unreachable: 0, error: 0 });
  expect(json.units.every((u) => u.draft === undefined)).toBe(true);
});

test('apply refuses to prompt without a terminal, and changes nothing', async () => {
  const e = await applyCommand({ inventory: file, quiet: true }, factory, io).catch((x: unknown) => x);
  expect(isFleetError(e) && e.message).toMatch(/refusing to prompt.*not a terminal/);
  expect(tr.requests.every((r) => r.comment.includes('facts'))).toBe(true);
});

test('apply asks, and "no" changes nothing', async () => {
  const asked: string[] = [];
  const code = await applyCommand({ inventory: file, quiet: true }, factory, { ...io, confirm: (q) => (asked.push(q), Promise.resolve(false)) });
  expect(code).toBe(1);
  expect(asked[0]).toMatch(/Apply these changes to 2 host\(s\)\?/);
  expect(tr.requests.some((r) => r.comment.startsWith('stns-fleet apply'))).toBe(false);
});

test('a saved plan applied after a host changed: that host refuses (drifted), exit 1', async () => {
  const planFile = path.join(lab.dir, 'p.json');
  await planCommand({ inventory: file, out: planFile, quiet: true }, factory, io);
  writeFileSync(path.join(lab.hosts[0]!.root, 'etc/nsswitch.conf'), 'passwd: files\n');
  out = [];
  expect(await applyCommand({ planFile, yes: true, quiet: true, canary: '0' }, factory, io)).toBe(1);
  expect(all()).toMatch(/drifted +i-0+1 \[all\]: changed since the plan: \/etc\/nsswitch.conf/);
});

test('plan --format markdown: the same plan for a pull request, collapsed per unit, exit 2, no secret', async () => {
  expect(await planCommand({ inventory: file, format: 'markdown', quiet: true }, factory, io)).toBe(2);
  const md = out.join('');
  expect(md).toMatch(/^### stns-fleet plan: 2 to change, 0 unchanged, 0 skipped, 0 unreachable, 0 with errors\n/);
  expect(md.match(/^<details>$/gm)).toHaveLength(2);
  expect(md).toMatch(/^ auth_token = "\(sensitive\)"$/m); // the host's old token line, hidden
  expect(md + err.join('')).not.toContain(TOKEN);
  expect(md + err.join('')).not.toContain(OLD);
});

test('--json is --format json; they may not disagree, and no other format is one', () => {
  expect(planFormat({})).toBe('text');
  expect(planFormat({ json: true })).toBe('json');
  expect(planFormat({ json: true, format: 'json' })).toBe('json');
  expect(planFormat({ format: 'markdown' })).toBe('markdown');
  expect(() => planFormat({ json: true, format: 'markdown' })).toThrow(/--json is --format json: it cannot be given with --format markdown/);
  expect(() => planFormat({ format: 'html' })).toThrow(/--format html: one of text, json, markdown/);
});
