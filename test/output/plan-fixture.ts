// A fleet plan for the view tests (not a test file itself), built as plan builds one from gathered facts
// (src/plan/fleet-plan.ts), with every kind of host a view must show: units that change (one host whose
// current stns.conf carries an old token, shown to the plan only redacted, as the facts show it), a unit that
// cannot be planned, a converged unit, a skipped host and an unknown ID; a Name tag that tries to inject
// Markdown; and real secrets (a token, a header value) resolved for the group.
import { createHash } from 'node:crypto';
import type { Gathered } from '../../src/facts/gather.js';
import type { HostState } from '../../src/facts/facts.js';
import { parseInventory } from '../../src/inventory/load.js';
import { hostSettingsFor } from '../../src/inventory/resolve.js';
import type { HostSnapshot } from '../../src/model/host-snapshot.js';
import { buildFleetPlan, type FleetPlan } from '../../src/plan/fleet-plan.js';
import { templateComments } from '../../src/render/redact-stns-conf.js';
import { stnsSecretValues, type SecretValues } from '../../src/render/secrets.js';
import type { Fleet } from '../../src/targets/fleet.js';
import { applyDesired, render, stock, templates, withFiles } from '../helpers/render.js';
import { asFactsShow } from '../plan/plan-helpers.js';

export const TOKEN = 'v1ew-T0KEN-9f8e7d';
export const OLD_TOKEN = 'old-h0st-T0KEN-1234';
export const HEADER = 'hdr-S3CRET-5566';
/** Every value no view may ever show. */
export const SECRETS = [TOKEN, OLD_TOKEN, HEADER];
/** A Name tag that would be markup if a view did not escape it. */
export const EVIL_NAME = 'web <img src=x onerror=alert(1)> | **bold** `tick`';

export const IDS = {
  web: 'i-0000000000000000a',
  withOldToken: 'i-0000000000000000b',
  converged: 'i-0000000000000000c',
  /** Converged but for the token: only a secret changes. */
  oldTokenOnly: 'i-00000000000000010',
  wrongOs: 'i-0000000000000000d',
  skipped: 'i-0000000000000000e',
  unknown: 'i-0000000000000000f',
} as const;

const INVENTORY = `version: 1
aws: { region: ap-northeast-1 }
stns:
  api_endpoint: https://stns.example.com/v1
  auth_token: { env: SF_VIEW_TOKEN }
  http_headers: { X-Api-Key: ${JSON.stringify(HEADER)} }
groups:
  web:
    os: auto
    targets: [${IDS.web}, ${IDS.withOldToken}, ${IDS.converged}, ${IDS.oldTokenOnly}, ${IDS.skipped}, ${IDS.unknown}]
  db:
    os: debian-12
    targets: [${IDS.wrongOs}]
`;

export interface Fixture {
  plan: FleetPlan;
  fleet: Fleet;
  secrets: Map<string, SecretValues>;
}

export async function planFixture(): Promise<Fixture> {
  const parsed = parseInventory(INVENTORY, 'inv.yaml');
  if (!parsed.inventory) throw new Error(JSON.stringify(parsed.problems));
  const t = await templates();
  const keep = templateComments(t.source('stns.conf.hbs'));
  const debian = (await stock('debian-12')).snapshot;
  const oldConf = `api_endpoint = "https://old.example.com/v1"\nauth_token = "${OLD_TOKEN}"\n`;
  const values = stnsSecretValues({ 'X-Api-Key': HEADER }, TOKEN);
  // A host converged with the group's settings (as after an apply), so its unit has nothing to change.
  const first = await render('debian-12', { packagesInstalled: true, settings: hostSettingsFor(parsed.inventory, 'web') });
  const converged = applyDesired(first.snapshot, first.desired, values);
  const oldTokenOnly = applyDesired(first.snapshot, first.desired, { ...values, auth_token: OLD_TOKEN });
  const hosts: { id: string; group: string; snapshot: HostSnapshot; installed?: boolean }[] = [
    { id: IDS.web, group: 'web', snapshot: debian },
    { id: IDS.withOldToken, group: 'web', snapshot: withFiles(debian, { '/etc/stns/client/stns.conf': oldConf }) },
    { id: IDS.converged, group: 'web', snapshot: converged, installed: true },
    { id: IDS.oldTokenOnly, group: 'web', snapshot: oldTokenOnly, installed: true },
    { id: IDS.wrongOs, group: 'db', snapshot: (await stock('ubuntu-24.04')).snapshot },
  ];
  const gathered: Gathered = { hosts: new Map(), states: new Map(), fetches: 0 };
  for (const h of hosts) {
    const { files, fullSha } = asFactsShow(h.snapshot, keep);
    const digest = createHash('sha256').update([...files].map(([p, b]) => `${p}\0${b.toString('base64')}`).join('\n')).digest('hex');
    const state: HostState = {
      digest,
      arch: 'amd64',
      machine: 'x86_64',
      packages: { 'libnss-stns-v2': h.installed ?? false, 'cache-stnsd': h.installed ?? false },
      probes: new Set(),
      snapshot: { files, fullSha: new Map() },
    };
    gathered.states.set(digest, state);
    gathered.hosts.set(h.id, { header: { digest, sealKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA', sealedDigests: new Map() }, fullSha });
  }
  const fleet: Fleet = {
    hosts: [
      ...hosts.map((h) => ({ id: h.id, group: h.group, kind: 'ec2' as const, ...(h.id === IDS.web ? { name: EVIL_NAME } : {}) })),
      { id: IDS.skipped, group: 'web', kind: 'ec2', skip: 'stopped (EC2 state stopped)' },
    ],
    notFound: [{ group: 'web', id: IDS.unknown }],
  };
  const secrets = new Map([
    ['web', values],
    ['db', values],
  ]);
  const plan = buildFleetPlan({
    inventory: parsed.inventory,
    inventoryRef: { path: '/srv/fleet/inv.yaml', sha256: 'ab'.repeat(32) },
    groups: ['web', 'db'],
    fleet,
    gathered,
    templates: t,
    secrets,
    now: new Date('2026-12-02T00:00:00Z'),
  });
  return { plan, fleet, secrets };
}

/** How many hosts of a 1000-host fleet are in each of its 7 states. */
export const FLEET_1000 = {
  /** web#1: a fresh Debian 12, every file to write (and the full diffs). */
  change: 400,
  /** web#4: converged but for the token: only a secret changes. */
  tokenOnly: 100,
  /** web#3: nothing to do. */
  converged: 100,
  /** db#5: the inventory says debian-12, the host is Ubuntu: cannot be planned. */
  wrongOs: 50,
  /** In web#1's state, but no openssl: the token cannot be sealed to them. */
  noOpenssl: 40,
  /** No facts: the facts command timed out, the same reason for each. */
  unreachable: 300,
  /** Stopped instances. */
  skipped: 10,
} as const;

export const UNREACHABLE = 'the facts command timed out (ExecutionTimedOut): the host did not finish within 120 s';

/** The fixture's units with `scale` × FLEET_1000 hosts in its 7 states, built as data (the units are the
 * fixture's, as planned from real files; the hosts are many copies of its hosts). */
export function fleetPlan(f: Fixture, scale = 1): FleetPlan {
  const unit = (hostId: string): FleetPlan['units'][number] => structuredClone(f.plan.units.find((u) => u.hostIds.includes(hostId))!);
  const web1 = unit(IDS.web);
  const web4 = unit(IDS.oldTokenOnly);
  const web3 = unit(IDS.converged);
  const db5 = unit(IDS.wrongOs);
  for (const u of [web1, web4, web3, db5]) u.hostIds = [];
  const hosts: FleetPlan['hosts'] = [];
  let n = 0;
  const add = (count: number, h: (id: string, i: number) => FleetPlan['hosts'][number]): void => {
    for (let i = 0; i < count * scale; i++) {
      const host = h(`i-${(++n).toString(16).padStart(17, '0')}`, i);
      hosts.push(host);
      if (host.unit) [web1, web4, web3, db5].find((u) => u.id === host.unit)!.hostIds.push(host.id);
    }
  };
  const key = { sealKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA' };
  add(FLEET_1000.change, (id, i) => ({ id, group: 'web', name: `web-${String(i + 1).padStart(4, '0')}`, status: 'change', unit: web1.id, ...key }));
  add(FLEET_1000.noOpenssl, (id) => ({ id, group: 'web', status: 'error', unit: web1.id, reason: 'no openssl on the host: the auth token cannot be sent to it sealed' }));
  add(FLEET_1000.tokenOnly, (id) => ({ id, group: 'web', status: 'change', unit: web4.id, ...key }));
  add(FLEET_1000.converged, (id) => ({ id, group: 'web', status: 'unchanged', unit: web3.id, ...key }));
  add(FLEET_1000.wrongOs, (id) => ({ id, group: 'db', status: 'error', unit: db5.id, reason: db5.problems.join('; '), ...key }));
  add(FLEET_1000.unreachable, (id, i) => ({ id, group: i % 2 ? 'db' : 'web', status: 'unreachable', reason: UNREACHABLE }));
  add(FLEET_1000.skipped, (id) => ({ id, group: 'web', status: 'skipped', reason: 'stopped (EC2 state stopped)' }));
  return { ...f.plan, units: [web1, web4, web3, db5], hosts };
}
