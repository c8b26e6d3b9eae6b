// The lab command line's pieces: arguments → LabOptions, and the banner with the export lines.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TOKEN_ENV, TOKEN_PARAMETERS, type Lab, type StartLabOptions } from './lab.js';
import { LabOptionsError, type LabOptions } from './options.js';

/** The STNS port inventories/lab.yaml names: the lab's default whatever --port says, when it is free. */
export const SHIPPED_STNS_PORT = 4567;

export const USAGE = `usage: stns-fleet-lab [options]   (in the repository: npm run lab -- [options])
  --port N                 API port on 127.0.0.1 (default 4566; 0 = any free port)
  --hosts N                lab hosts, EC2 and Raspberry Pi together (default 10)
  --pis N                  how many of them are Raspberry Pis (default one in ten)
  --os a,b,...             OS profiles, the inventory's os: names (default, or auto: every profile); EC2
                           hosts take the EC2 ones round-robin, raspberry-pi-os the Pis (at least one when
                           named with others, every host when named alone)
  --faults SPEC            e.g. offline=2,undeliverable=1,timeout=1,fail=5%,slow=10%,stopped=1,throttle=20%,clones=3
  --seed N                 seed for IDs, tokens and fault assignment (default 1)
  --latency-ms N           added to every API call
  --stns-port N            STNS server port (default 4567, the one packages/lab/inventories/lab.yaml names,
                           or any free port when 4567 is taken; the banner says which inventory matches)
  --write-inventory FILE   write the lab inventory (inventories/lab.yaml) with this lab's STNS endpoint to FILE
  --region R               (default us-east-1)
  --delivery-timeout-ms N  how long a node nobody answers, or a slow pick-up, is waited for once the command is
                           handed to it (default 5000); other invocations get the command's TimeoutSeconds
  --execution-timeout-ms N how long a hung script (timeout fault) runs (default 10000); other scripts get the
                           command's executionTimeout
  --payload-cap N          largest SendCommand Parameters in bytes (default 65536)
  --clone-answers MODE     which clone answers a shared mi- ID: in-turn (default: each command the next
                           live board, a restarted agent first) or last-started (always the newest one)
  --chroot N               N extra Debian 12 hosts that are real root filesystems run with chroot
                           (root only; needs the cached rootfs of scripts/debian-rootfs.sh)
  --chroot-rootfs DIR      the tree the chroot hosts are copies of (default that cached rootfs), e.g. the
                           one with the real libnss-stns-v2 that scripts/stns-real-rootfs.sh prints
  --stns-users FILE        what the STNS server serves, JSON or YAML: users (name, id, keys: your own
                           public keys), groups, and per token (web, pi, …) the users and groups it may see
                           (format: packages/lab/src/stns-directory.ts); default alice, bob, carol, dave, erin
  --model-hosts            hosts answer from a model of the real scripts, not a tree and a shell each: one
                           real run per distinct host state and script, replayed for every host in that
                           state (10,000 hosts on a small machine; src/model-hosts.ts). EC2 OS profiles only:
                           no Raspberry Pis (--pis, clones) and no --chroot
  --work-dir DIR           where the lab makes its directory (default the temp dir)
  --keep                   keep the lab directory after Ctrl-C`;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new LabOptionsError(`--${name} takes a whole number (got "${v}")`);
  return Number(v);
}

export function optionsFromArgs(argv: string[]): StartLabOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      hosts: { type: 'string' },
      pis: { type: 'string' },
      os: { type: 'string' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      'latency-ms': { type: 'string' },
      'stns-port': { type: 'string' },
      region: { type: 'string' },
      'delivery-timeout-ms': { type: 'string' },
      'execution-timeout-ms': { type: 'string' },
      'payload-cap': { type: 'string' },
      'clone-answers': { type: 'string' },
      'work-dir': { type: 'string' },
      chroot: { type: 'string' },
      'chroot-rootfs': { type: 'string' },
      'stns-users': { type: 'string' },
      'write-inventory': { type: 'string' },
      keep: { type: 'boolean' },
      'model-hosts': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const port = int('port', values.port) ?? 4566;
  const stnsPort = int('stns-port', values['stns-port']);
  // Not the API port + 1: the shipped inventory names 4567, so any --port keeps it working (a port given is kept).
  const o: StartLabOptions = stnsPort === undefined ? { port, stnsPort: SHIPPED_STNS_PORT, stnsPortFallback: true } : { port, stnsPort };
  const set = <K extends keyof StartLabOptions>(k: K, v: StartLabOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('hosts', int('hosts', values.hosts));
  set('pis', int('pis', values.pis));
  set('os', values.os?.split(',').map((s) => s.trim()).filter(Boolean));
  set('faults', values.faults);
  set('seed', values.seed);
  set('latencyMs', int('latency-ms', values['latency-ms']));
  set('region', values.region);
  set('deliveryTimeoutMs', int('delivery-timeout-ms', values['delivery-timeout-ms']));
  set('executionTimeoutMs', int('execution-timeout-ms', values['execution-timeout-ms']));
  set('payloadCapBytes', int('payload-cap', values['payload-cap']));
  set('cloneAnswers', values['clone-answers'] as LabOptions['cloneAnswers']);
  set('workDir', values['work-dir']);
  set('chroot', int('chroot', values.chroot));
  set('chrootRootfs', values['chroot-rootfs']);
  set('stnsDirectory', values['stns-users']);
  set('keepWorkDir', values.keep);
  set('modelHosts', values['model-hosts']);
  set('writeInventory', values['write-inventory']);
  return o;
}

function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Which inventory reaches this lab's STNS server: the written one(s), and whether the shipped one does. */
export function inventoryLines(lab: Lab, cwd: string): string[] {
  const { inventory: inv, stnsUrl } = lab.info();
  const rel = (f: string): string => {
    const r = path.relative(cwd, f);
    return r === '' || r.startsWith('..') ? f : r;
  };
  const lines = inv.written.map((f) => `  inventory:    ${rel(f)} (written for this lab): stns-fleet plan -i ${shq(rel(f))}`);
  if (inv.matches) lines.push(`  inventory:    ${rel(inv.shipped)} names this STNS server${inv.written.length > 0 ? ' too' : `: stns-fleet plan -i ${shq(rel(inv.shipped))}`}`);
  else {
    lines.push(
      `  inventory:    ${rel(inv.shipped)} does not match: its api_endpoint is ${inv.apiEndpoints.join(', ') || '(none)'}, not this lab's STNS server ${stnsUrl}` +
        (inv.written.length > 0 ? '' : '; start the lab with --write-inventory FILE and use FILE'),
    );
  }
  return lines;
}

export function banner(lab: Lab, cwd = process.env['INIT_CWD'] ?? process.cwd()): string {
  const hosts = lab.hosts;
  const ec2 = hosts.filter((h) => h.kind === 'ec2').length;
  // Every fault of the SPEC as given, with the hosts that carry it.
  const spec = lab.options.faults;
  const keys = (f: (h: (typeof hosts)[number]) => boolean): string => hosts.filter(f).map((h) => h.key).join(', ') || 'no host';
  const clones = hosts.filter((h) => h.cloneOf);
  const faults = [
    ...spec.hosts.map((f) => `${f.fault}=${f.percent !== undefined ? `${f.percent}%` : f.count}: ${keys((h) => h.fault === f.fault)}`),
    ...(spec.clones > 0 ? [`clones=${spec.clones}: ${keys((h) => h.cloneOf !== undefined)} (copies of ${clones[0]?.cloneOf ?? '?'})`] : []),
    ...(spec.throttlePercent > 0 ? [`throttle=${spec.throttlePercent}% of API calls`] : []),
  ];
  const exports = { ...lab.env, [TOKEN_ENV.web]: lab.tokens.web, [TOKEN_ENV.pi]: lab.tokens.pi, STNS_LAB_ENDPOINT: lab.stnsEndpoint };
  return [
    `stns-fleet lab: ${hosts.length} hosts (${ec2} EC2, ${hosts.length - ec2} Raspberry Pi) on ${lab.endpoint} (SSM and EC2), seed ${lab.options.seed}`,
    `  STNS server:  ${lab.stnsEndpoint}  (users: ${lab.stnsUsers.map((u) => u.name).join(', ')}; from ${lab.options.stnsSource})`,
    ...lab.stnsTokens().map((t) => `    token ${t.name.padEnd(4)} sees ${t.users.length === 0 ? 'every user' : `users ${t.users.join(', ')}`}; ${t.groups.length === 0 ? 'every group' : `groups ${t.groups.join(', ')}`}`),
    `  tokens also in SSM as SecureString ${TOKEN_PARAMETERS.web} and ${TOKEN_PARAMETERS.pi}`,
    `  faults:       ${faults.length > 0 ? faults.join('; ') : 'none'}`,
    ...inventoryLines(lab, cwd),
    `  hosts:        ${lab.endpoint}/_lab/hosts   stats: ${lab.endpoint}/_lab/stats   trees: ${lab.options.modelHosts ? `${lab.workDir}/model (one per model state)` : `${lab.workDir}/hosts`}`,
    '',
    ...Object.entries(exports).map(([k, v]) => `export ${k}=${shq(v)}`),
    '',
    'Ctrl-C stops the lab and removes its directory.',
  ].join('\n');
}
