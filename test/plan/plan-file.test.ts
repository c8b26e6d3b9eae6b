// The saved plan's format (version 3): what plan --out writes reads back as it was, the changes as data
// included; a plan of another version is refused with one clear message, not a list of fields; and the
// changes are parsed as strictly as the rest.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { isFleetError } from '../../src/errors.js';
import { PLAN_VERSION, planFileText, readPlanFile } from '../../src/plan/plan-file.js';
import { planFixture, SECRETS, type Fixture } from '../output/plan-fixture.js';

let f: Fixture;
let dir: string;
beforeAll(async () => {
  f = await planFixture();
  dir = mkdtempSync(path.join(tmpdir(), 'sf-plan-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(content: unknown): string {
  const file = path.join(dir, `p-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function refusal(file: string): Promise<string> {
  const e = await readPlanFile(file).catch((x: unknown) => x);
  if (!isFleetError(e)) throw new Error(`not refused: ${String(e)}`);
  return [e.message, ...e.details].join('\n');
}

test('what plan --out writes reads back as it was: version 3, the changes as data, no secret, no seal key', async () => {
  const text = planFileText(f.plan);
  for (const s of SECRETS) expect(text).not.toContain(s);
  expect(text).not.toContain('sealKey');
  const saved = await readPlanFile(write(text));
  expect(PLAN_VERSION).toBe(3);
  expect(saved.version).toBe(3);
  expect(saved.units).toEqual(f.plan.units);
  expect(saved.units.some((u) => u.changes?.files.some((x) => x.diff?.kind === 'text'))).toBe(true);
  expect(saved.hosts).toEqual(f.plan.hosts.map(({ sealKey: _k, ...h }) => h));
});

test('a version 2 plan (its changes as text) is refused with one message naming both versions', async () => {
  const v3 = JSON.parse(planFileText(f.plan)) as Record<string, any>;
  const v2 = { ...v3, version: 2, units: v3['units'].map(({ changes: _c, ...u }: Record<string, unknown>) => ({ ...u, summary: ['+ /etc/nsswitch.conf update'], diffs: [], packages: [] })) };
  const why = await refusal(write(v2));
  expect(why).toMatch(/is a version 2 plan; this stns-fleet applies version 3 plans only: nothing was applied/);
  expect(why).toMatch(/version: version 2 is not one this stns-fleet applies \(it writes and reads version 3 only\)/);
  expect(why).not.toMatch(/unknown key/); // one problem, not every field version 2 spells differently
});

test('the changes are parsed strictly: an unknown kind of diff, an unknown key, a wrong type', async () => {
  const tamper = async (edit: (u: Record<string, any>) => void): Promise<string> => {
    const p = JSON.parse(planFileText(f.plan)) as Record<string, any>;
    edit(p['units'].find((u: Record<string, any>) => u.changes));
    return refusal(write(p));
  };
  expect(await tamper((u) => void (u.changes.files[0].diff = { kind: 'script', text: 'rm -rf /' }))).toMatch(/units\[0\]\.changes\.files\[0\]\.diff/);
  expect(await tamper((u) => void (u.changes.sshd.extra = 1))).toMatch(/units\[0\]\.changes\.sshd: unknown key\(s\) extra/);
  expect(await tamper((u) => void (u.changes.files[0].mode = '0644'))).toMatch(/units\[0\]\.changes\.files\[0\]\.mode/);
});
