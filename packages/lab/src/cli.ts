// The lab command line's pieces: arguments → LabOptions, and the banner with the export lines.
import { parseArgs } from 'node:util';
import { TOKEN_ENV, TOKEN_PARAMETERS, type Lab } from './lab.js';
import { LabOptionsError, type LabOptions } from './options.js';

export const USAGE = `usage: stns-fleet-lab [options]   (in the repository: npm run lab -- [options])
  --port N                 API port on 127.0.0.1 (default 4566; 0 = any free port)
  --hosts N                lab hosts, EC2 and Raspberry Pi together (default 10)
  --pis N                  how many of them are Raspberry Pis (default one in ten)
  --os a,b,...             OS profiles, the inventory's os: names (default: every profile); EC2 hosts take
                           the EC2 ones round-robin, raspberry-pi-os the Pis (at least one when named)
  --faults SPEC            e.g. offline=2,undeliverable=1,timeout=1,fail=5%,slow=10%,stopped=1,throttle=20%,clones=3
  --seed N                 seed for IDs, tokens and fault assignment (default 1)
  --latency-ms N           added to every API call
  --stns-port N            STNS server port (default the API port + 1, e.g. 4567; any free port with --port 0)
  --region R               (default us-east-1)
  --delivery-timeout-ms N  cap on TimeoutSeconds (default 5000)
  --execution-timeout-ms N cap on executionTimeout (default 10000)
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
  --work-dir DIR           where the lab makes its directory (default the temp dir)
  --keep                   keep the lab directory after Ctrl-C`;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new LabOptionsError(`--${name} takes a whole number (got "${v}")`);
  return Number(v);
}

export function optionsFromArgs(argv: string[]): LabOptions {
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
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const port = int('port', values.port) ?? 4566;
  const o: LabOptions = { port, stnsPort: port === 0 ? 0 : port + 1 };
  const set = <K extends keyof LabOptions>(k: K, v: LabOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('hosts', int('hosts', values.hosts));
  set('pis', int('pis', values.pis));
  set('os', values.os?.split(',').map((s) => s.trim()).filter(Boolean));
  set('faults', values.faults);
  set('seed', values.seed);
  set('latencyMs', int('latency-ms', values['latency-ms']));
  set('stnsPort', int('stns-port', values['stns-port']));
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
  return o;
}

function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function banner(lab: Lab): string {
  const hosts = lab.hosts;
  const ec2 = hosts.filter((h) => h.kind === 'ec2').length;
  const faulty = hosts.filter((h) => h.fault).map((h) => `${h.key}=${h.fault}`);
  const exports = { ...lab.env, [TOKEN_ENV.web]: lab.tokens.web, [TOKEN_ENV.pi]: lab.tokens.pi, STNS_LAB_ENDPOINT: lab.stnsEndpoint };
  return [
    `stns-fleet lab: ${hosts.length} hosts (${ec2} EC2, ${hosts.length - ec2} Raspberry Pi) on ${lab.endpoint} (SSM and EC2), seed ${lab.options.seed}`,
    `  STNS server:  ${lab.stnsEndpoint}  (users: ${lab.stnsUsers.map((u) => u.name).join(', ')}; from ${lab.options.stnsSource})`,
    ...lab.stnsTokens().map((t) => `    token ${t.name.padEnd(4)} sees ${t.users.length === 0 ? 'every user' : `users ${t.users.join(', ')}`}; ${t.groups.length === 0 ? 'every group' : `groups ${t.groups.join(', ')}`}`),
    `  tokens also in SSM as SecureString ${TOKEN_PARAMETERS.web} and ${TOKEN_PARAMETERS.pi}`,
    `  faults:       ${faulty.length > 0 ? faulty.join(' ') : 'none on hosts'}${lab.options.faults.throttlePercent ? `; throttle ${lab.options.faults.throttlePercent}% of API calls` : ''}`,
    `  hosts:        ${lab.endpoint}/_lab/hosts   stats: ${lab.endpoint}/_lab/stats   trees: ${lab.workDir}/hosts`,
    '',
    ...Object.entries(exports).map(([k, v]) => `export ${k}=${shq(v)}`),
    '',
    'Ctrl-C stops the lab and removes its directory.',
  ].join('\n');
}
