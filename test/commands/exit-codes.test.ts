// One meaning per exit code across plan, apply and verify (src/exit-codes.ts): 0 success, 1 failure, 2 plan has
// changes, 3 incomplete (hosts skipped or unreachable, nothing failed), 130/143 interrupted; precedence
// interrupted > failure > incomplete > changes > success. Against the lab, in process; the CLI's own mapping
// (errors, --help) through the built dist/.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyCommand, planCommand, verifyCommand } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import { sdkTransport } from '../../src/cli/transport.js';
import { EXIT, exitCode } from '../../src/exit-codes.js';
import { type Lab, labInventoryYaml, startLab } from '@stns-fleet/lab';
import { capture } from '../helpers/capture.js';
import { CLI } from '../cli/run-cli.js';


function useLab(lab: Lab): void {
  Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '50', STNS_FLEET_MAX_POLL_MS: '200' });
}

function inventory(lab: Lab, edit: (yaml: string) => string = (y) => y): string {
  const file = path.join(lab.workDir, 'inventory.yaml');
  writeFileSync(file, edit(labInventoryYaml({ stnsEndpoint: lab.stnsEndpoint, region: lab.region, rollout: { canary: 1, max_concurrency: '50%', max_errors: 0 } })));
  return file;
}

async function run(f: (io: Io) => Promise<number>): Promise<{ code: number; text: string }> {
  const c = capture();
  const code = await f(c.io);
  return { code, text: c.text() };
}

test('precedence: interrupted > failure > incomplete > changes > success', () => {
  expect(exitCode({})).toBe(EXIT.OK);
  expect(exitCode({ changes: true })).toBe(2);
  expect(exitCode({ changes: true, incomplete: true })).toBe(3);
  expect(exitCode({ changes: true, incomplete: true, failed: true })).toBe(1);
  expect(exitCode({ changes: true, incomplete: true, failed: true, interrupted: 'SIGINT' })).toBe(130);
  expect(exitCode({ failed: true, interrupted: 'SIGTERM' })).toBe(143);
});

describe('a host that is skipped (agent offline), nothing failing: every command says incomplete (3)', () => {
  let lab: Lab;
  let inv: string;
  beforeAll(async () => {
    lab = await startLab({ hosts: 3, pis: 0, os: ['debian-12'], seed: 'exit-skipped', faults: 'offline=1' });
    useLab(lab);
    inv = inventory(lab);
  });
  afterAll(() => lab?.stop());

  test('plan 3 (not 2), apply 3 (not 0), verify 3, plan again 3 (not 0)', async () => {
    const plan = await run((io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(plan.text).toMatch(/Plan: 2 to change, 0 unchanged, 1 skipped, 0 unreachable, 0 with errors\./);
    expect(plan.code).toBe(EXIT.INCOMPLETE);
    const apply = await run((io) => applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, io));
    expect(apply.text).toMatch(/Apply: 2 changed, 0 unchanged, 0 drifted, 0 failed, 0 cancelled, 1 skipped\./);
    expect(apply.code).toBe(EXIT.INCOMPLETE);
    const verify = await run((io) => verifyCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(verify.text).toMatch(/Verify: 2 passed, 0 failed, 1 not verified\./);
    expect(verify.code).toBe(EXIT.INCOMPLETE);
    const again = await run((io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(again.text).toMatch(/Plan: 0 to change, 2 unchanged, 1 skipped/);
    expect(again.code).toBe(EXIT.INCOMPLETE);
    // Nothing left to apply, one host still skipped: incomplete too.
    const none = await run((io) => applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, io));
    expect(none.text).toMatch(/Nothing to apply\./);
    expect(none.code).toBe(EXIT.INCOMPLETE);
  }, 120_000);
});

describe('a host whose facts cannot be read (unreachable)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ hosts: 2, pis: 0, os: ['debian-12'], seed: 'exit-unreachable', faults: 'undeliverable=1' });
    useLab(lab);
  });
  afterAll(() => lab?.stop());

  test('plan exits 3 (incomplete), not 1: nothing failed to plan', async () => {
    const plan = await run((io) => planCommand({ inventory: inventory(lab), quiet: true }, sdkTransport, io));
    expect(plan.text).toMatch(/1 to change, 0 unchanged, 0 skipped, 1 unreachable, 0 with errors/);
    expect(plan.code).toBe(EXIT.INCOMPLETE);
  });
});

describe('a host that cannot be planned (the inventory says another OS): a failure (1) in every command', () => {
  let lab: Lab;
  let inv: string;
  beforeAll(async () => {
    lab = await startLab({ hosts: 2, pis: 0, os: ['debian-12', 'ubuntu-24.04'], seed: 'exit-error' });
    useLab(lab);
    inv = inventory(lab, (y) => y.replace('  ec2: { targets:', '  ec2: { os: debian-12, targets:'));
  });
  afterAll(() => lab?.stop());

  test('plan 1, apply 1 (not 0: the other host changed), verify 1 (not 0: the other host passes)', async () => {
    const plan = await run((io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(plan.text).toMatch(/inventory says debian-12 but the host is ubuntu-24.04/);
    expect(plan.code).toBe(EXIT.FAILURE);
    const apply = await run((io) => applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, io));
    expect(apply.text).toMatch(/Apply: 1 changed/);
    expect(apply.code).toBe(EXIT.FAILURE);
    const verify = await run((io) => verifyCommand({ inventory: inv, quiet: true }, sdkTransport, io));
    expect(verify.text).toMatch(/Verify: 1 passed, 0 failed, 1 not verified\./);
    expect(verify.code).toBe(EXIT.FAILURE);
  }, 120_000);
});

describe('the CLI', () => {
  const cli = (...args: string[]): { status: number | null; out: string } => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  test('errors exit 1: an unreadable inventory, a bad option', () => {
    expect(cli('plan', '-i', '/nonexistent/inventory.yaml').status).toBe(1);
    expect(cli('apply', '--no-such-option').status).toBe(1);
  });

  test.each(['plan', 'apply', 'verify'])('%s --help documents every code and the precedence', (c) => {
    const help = cli(c, '--help').out;
    expect(help).toMatch(/^ {2}3 +incomplete: /m);
    expect(help).toMatch(/^ {2}1 +/m);
    expect(help).toMatch(/^ {2}130 +interrupted by Ctrl-C \(SIGINT\); 143 by SIGTERM/m);
    expect(help).toMatch(/When several hold: interrupted > 1 > 3 > (2 > )?0\./);
    if (c === 'plan') expect(help).toMatch(/^ {2}2 +changes$/m);
  });
});
