// A saved plan applies exactly what was reviewed and nothing an edit adds. Each tampered field ends with
// apply refusing before any apply script is sent, every host tree untouched; an honest plan still applies,
// and a host that drifted since the plan is left alone while the others go on.
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { applyCommand, planCommand } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import { sdkTransport } from '../../src/cli/transport.js';
import { FleetError } from '../../src/errors.js';
import { type Lab, labInventoryYaml, startLab } from '@stns-fleet/lab';

let lab: Lab;
let inv: string;
const quiet: Io = { out: () => undefined, err: () => undefined };

/** Every file of every host, path → bytes: "no host touched" is this map unchanged. */
function trees(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir)) {
      const p = path.join(dir, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(p, readFileSync(p).toString('base64'));
    }
  };
  // What stns-fleet manages lives under /etc and /usr (the lab's agent keeps its own state elsewhere).
  for (const h of lab.hosts) for (const top of ['etc', 'usr']) if (existsSync(path.join(h.dir, top))) walk(path.join(h.dir, top));
  return out;
}

const applyScriptsSent = (): number => lab.requests().filter((r) => r.operation === 'SendCommand' && JSON.stringify(r.body).includes('stns-fleet apply')).length;

async function savedPlan(): Promise<{ file: string; json: Record<string, any> }> {
  const file = path.join(lab.workDir, `plan-${Math.random().toString(36).slice(2)}.json`);
  expect(await planCommand({ inventory: inv, quiet: true, out: file }, sdkTransport, quiet)).toBe(2);
  return { file, json: JSON.parse(readFileSync(file, 'utf8')) };
}

async function refused(file: string, mutate: (p: Record<string, any>) => void, message: RegExp): Promise<void> {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  mutate(p);
  writeFileSync(file, JSON.stringify(p));
  const before = trees();
  const sent = applyScriptsSent();
  const e = await applyCommand({ planFile: file, yes: true, quiet: true }, sdkTransport, quiet).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(FleetError);
  expect((e as FleetError).message + (e as FleetError).details.join('\n')).toMatch(message);
  expect(applyScriptsSent()).toBe(sent);
  expect(trees()).toEqual(before);
}

beforeAll(async () => {
  lab = await startLab({ hosts: 3, pis: 1, os: ['debian-12', 'ubuntu-24.04'], seed: 'saved-plan' });
  Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '300' });
  inv = path.join(lab.workDir, 'inventory.yaml');
  writeFileSync(inv, labInventoryYaml({ stnsEndpoint: lab.stnsEndpoint, region: lab.region, rollout: { canary: 0, max_concurrency: '100%', max_errors: 0 } }));
});
afterAll(() => lab?.stop());

describe('a tampered plan file is refused before anything is sent', () => {
  let file: string;
  beforeEach(async () => {
    ({ file } = await savedPlan());
  });

  test('a line added to a host script', async () => {
    await refused(file, (p) => {
      const u = p.units.find((x: any) => x.draft);
      u.draft.text = u.draft.text.replace('sf_main', 'touch /tmp/stns-fleet-pwned\nsf_main');
    }, /not what stns-fleet renders/);
  });

  test('a sealed file replaced', async () => {
    await refused(file, (p) => {
      const u = p.units.find((x: any) => x.draft?.sealed.length > 0);
      u.draft.sealed[0] = Buffer.from('api_endpoint = "https://evil.example/v1"\n').toString('base64');
    }, /not what stns-fleet renders/);
  });

  test("a unit moved to another group (to get that group's token sealed into it)", async () => {
    await refused(file, (p) => {
      const u = p.units.find((x: any) => x.group === 'ec2' && x.draft);
      u.group = 'pi';
    }, /unit .* is for group "pi"/);
  });

  test('a host moved to another group', async () => {
    await refused(file, (p) => {
      const h = p.hosts.find((x: any) => x.group === 'ec2');
      h.group = 'pi';
    }, /in group "pi" in the plan but in "ec2"/);
  });

  test('a seal key of the editor\'s own', async () => {
    await refused(file, (p) => {
      p.hosts[0].sealKey = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA';
    }, /hosts\[0\]: unknown key\(s\) sealKey/);
  });

  test('a host the inventory does not select', async () => {
    await refused(file, (p) => {
      p.hosts.push({ ...p.hosts.find((x: any) => x.status === 'change'), id: 'i-0123456789abcdef0' });
    }, /i-0123456789abcdef0 is in the plan but the inventory does not select it/);
  });

  test('another version, a broken field, not JSON', async () => {
    await refused(file, (p) => void (p.version = 1), /version: version 1 is not one this stns-fleet applies/);
    // (The file is version 1 now: another version is refused before its fields are read. Put it back.)
    await refused(file, (p) => void ((p.version = 3), (p.units[0].hostIds = 'all')), /units\[0\]\.hostIds/);
    writeFileSync(file, '{ not json');
    await expect(applyCommand({ planFile: file, yes: true, quiet: true }, sdkTransport, quiet)).rejects.toThrow(/not a readable plan file/);
  });

  test('the inventory changed since the plan', async () => {
    const original = readFileSync(inv, 'utf8');
    try {
      writeFileSync(inv, `${original}\n# edited\n`);
      await refused(file, () => undefined, /changed since .* was made/);
    } finally {
      writeFileSync(inv, original);
    }
  });
});

test('an honest saved plan applies from any directory; a host that drifted since is left alone', async () => {
  const { file, json } = await savedPlan();
  expect(json.inventory.path).toBe(inv);
  expect(JSON.stringify(json)).not.toContain('sealKey');
  const drifted = lab.hosts.find((h) => h.kind === 'ec2')!;
  const nss = path.join(drifted.dir, 'etc/nsswitch.conf');
  writeFileSync(nss, `${readFileSync(nss, 'utf8')}# a hand edit after the plan\n`);
  const cwd = process.cwd();
  let out = '';
  try {
    process.chdir('/');
    const code = await applyCommand({ planFile: file, yes: true, quiet: true }, sdkTransport, { out: (t) => void (out += t), err: () => undefined });
    expect(out, out).toMatch(new RegExp(`drifted +${drifted.id} .*changed since the plan: /etc/nsswitch.conf; nothing was sent`));
    expect(code).not.toBe(0);
  } finally {
    process.chdir(cwd);
  }
  expect(readFileSync(nss, 'utf8')).toMatch(/a hand edit after the plan\n$/);
  expect(readFileSync(nss, 'utf8')).not.toMatch(/stns/);
  const others = lab.hosts.filter((h) => h.key !== drifted.key);
  for (const h of others) expect(readFileSync(path.join(h.dir, 'etc/nsswitch.conf'), 'utf8'), out).toMatch(/^passwd:.*stns/m);
});
