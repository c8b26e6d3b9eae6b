// `reactivate` with the shipped lab inventory (packages/lab/inventories/lab.yaml, as the lab writes it for its
// own STNS port: --write-inventory), on a lab whose one Pi was copied to two more boards: --dry-run says plainly
// what it would do and changes nothing; the run moves the three boards; without pi.iam_role, --dry-run says the
// boards cannot be moved (not "planned", not "run again"). The real command functions and SDK clients, as in
// pi-clones.test.ts (whose timings this follows: reactivate's own waits are capped by a clock; the lab's caps on
// what never comes are short, so a probe of the old ID once no board answers it ends in 2 s; the boards' worker
// waits 1 s, not 5 s, before stopping its agent).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LAB_INVENTORY, startLab, type Lab } from '@stns-fleet/lab';
import { reactivateCommand } from '../../src/cli/run.js';
import { sdkTransport } from '../../src/cli/transport.js';
import { capture } from '../helpers/capture.js';

const REACTIVATE = { polls: '3', interval: '1s', wait: '60s', workerDelaySeconds: 1 } as const;
const fastClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 400))) };

describe('reactivate with the shipped lab inventory', () => {
  let lab: Lab;
  let inv: string;
  let noRole: string;
  let cloned: string;
  const BOARDS = ['lab-003', 'lab-004', 'lab-005'];

  beforeAll(async () => {
    lab = await startLab({ hosts: 3, pis: 1, os: ['debian-12'], faults: 'clones=2', seed: 'e2e-lab-inventory', stnsPort: 0, deliveryTimeoutMs: 1000, executionTimeoutMs: 1000 });
    inv = path.join(lab.workDir, 'lab.yaml');
    lab.writeInventory(inv);
    noRole = path.join(lab.workDir, 'no-role.yaml');
    const text = readFileSync(inv, 'utf8');
    writeFileSync(noRole, text.replace(/^ {4}pi:\n {6}iam_role: .*\n/m, ''));
    expect(readFileSync(noRole, 'utf8')).not.toContain('iam_role');
    Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '300' });
    cloned = lab.host('lab-003')!.id!;
    expect(lab.hosts.filter((h) => h.id === cloned).map((h) => h.key)).toEqual(BOARDS);
  });
  afterAll(() => lab?.stop());

  const reactivate = async (file: string, o: { dryRun?: boolean; yes?: boolean }): Promise<{ code: number; text: string }> => {
    const c = capture({ stampErr: true });
    const code = await reactivateCommand({ inventory: file, ...REACTIVATE, ...o }, sdkTransport, c.io, undefined, fastClock);
    return { code, text: c.text() };
  };

  test('the inventory is the shipped one, but for the STNS endpoint, and has what reactivate needs', () => {
    expect(readFileSync(LAB_INVENTORY, 'utf8')).toMatch(/^ {4}pi:\n {6}iam_role: SSMServiceRole\b/m);
    expect(readFileSync(inv, 'utf8')).toContain(`api_endpoint: ${lab.stnsEndpoint} `);
  });

  test('without pi.iam_role, --dry-run says the boards cannot be moved, and nothing else (exit 2)', async () => {
    const r = await reactivate(noRole, { dryRun: true });
    expect(r.code, r.text).toBe(2);
    expect(r.text).toContain(`${cloned}  group pi: `);
    expect(r.text).toMatch(/\n {6}→ kept: its boards cannot be moved: group pi has no pi\.iam_role \(the IAM role a hybrid activation needs\); set it to move them\n/);
    expect(r.text.match(/ kept +not movable: set pi\.iam_role for this group$/gm), r.text).toHaveLength(3);
    expect(r.text).toMatch(/\nDry run: nothing here can be changed as the inventory stands \(see above\)\.\n$/);
    expect(r.text).not.toMatch(/would cannot|planned|run again/);
    expect(lab.stats().calls['CreateActivation'] ?? 0).toBe(0);
  });

  test('--dry-run: what it would do, each board planned, how to do it; nothing changed (exit 2)', async () => {
    const r = await reactivate(inv, { dryRun: true });
    expect(r.code, r.text).toBe(2);
    expect(r.text).toContain('Suspected clones (nothing was changed):');
    expect(r.text).toContain('      would move every board behind it (3 seen so far) to new IDs, then deregister it\n');
    expect(r.text.match(new RegExp(`^${cloned} +- +\\S+ +pi-\\S+ +planned +to move to a new ID$`, 'gm')), r.text).toHaveLength(3);
    expect(r.text).toMatch(/\nDry run: run again without --dry-run to move these boards\.\n$/);
    expect(lab.stats().calls['CreateActivation'] ?? 0).toBe(0);
    expect(lab.hosts.filter((h) => h.id === cloned).map((h) => h.key)).toEqual(BOARDS);
  });

  test('reactivate --yes moves the three boards to IDs of their own and deregisters the old one (exit 0)', async () => {
    const r = await reactivate(inv, { yes: true });
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(/Summary: 3 moved, 0 failed, 0 pending, 0 not seen; 1 old ID\(s\) deregistered, 0 kept\./);
    const ids = BOARDS.map((k) => lab.host(k)!.id!);
    expect(new Set(ids).size).toBe(3);
    expect(ids).not.toContain(cloned);
    for (const key of BOARDS) expect(lab.host(key)).toMatchObject({ pingStatus: 'Online', answers: true });
  });
});
