// Opt-in: against a real AWS account. Set STNS_FLEET_LIVE_INVENTORY=inventories/yours.yaml (and the usual
// AWS credentials); it runs `hosts` and `plan` (read-only: facts only, nothing changes) and checks that the
// plan is well-formed. Skipped, and says so, otherwise.
import { expect, test } from 'vitest';
import type { Io } from '../../src/output/io.js';
import { hostsCommand } from '../../src/cli/run.js';
import { planCommand } from '../../src/cli/run.js';
import { sdkTransport } from '../../src/cli/transport.js';

const inventory = process.env['STNS_FLEET_LIVE_INVENTORY'];

test.skipIf(!inventory)('live AWS: hosts and plan (read-only) — skipped: set STNS_FLEET_LIVE_INVENTORY to run', { timeout: 600_000 }, async () => {
  const out: string[] = [];
  const io: Io = { out: (t) => void out.push(t), err: (t) => void out.push(t) };
  expect(await hostsCommand({ inventory: inventory!, quiet: true }, sdkTransport, io)).toBe(0);
  const code = await planCommand({ inventory: inventory!, json: true }, sdkTransport, { ...io, out: (t) => void out.push(t) });
  expect([0, 2]).toContain(code);
  const plan = JSON.parse(out.at(-1)!) as { summary: Record<string, number> };
  expect(Object.keys(plan.summary).sort()).toEqual(['change', 'error', 'skipped', 'unchanged', 'unreachable']);
});
