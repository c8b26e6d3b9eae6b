// stns-fleet lab stand-in for amazon-ssm-agent's registration commands (docs/reference/ssm.md §6):
//   amazon-ssm-agent -register -code CODE -id ID -region REGION [-y]
//       asks the lab to register this board with the activation (POST /_lab/register), then writes the new
//       managed-node ID into Vault/Store/RegistrationKey (the identity the lab routes commands by) and
//       /var/lib/amazon/ssm/registration, and a new hardware fingerprint (Vault/Store/InstanceFingerprint) made
//       with the board's machine-id as it is now: the lab stops routing to a board whose machine-id changes
//       later (MachineFingerprintDoesNotMatch, docs/reference/ssm.md §6). Without -y an existing registration is kept unless
//       stdin says yes.
//       Every registration attempt, success or failure, ends with the agent recorded as (re)started
//       ("running <now>" in /var/lib/stns-fleet-lab/agent): on a real board the registration runs between
//       `service amazon-ssm-agent stop` and `start`, and scripts under STNS_FLEET_ROOT never call those (as
//       converge.sh), so the stand-in stands in for the restart. The lab routes a managed-node ID to a board
//       whose agent runs, and a board that restarted after an ID's last command answers that ID's next one
//       (src/fleet.ts): a board that put its old registration back after a failed attempt is heard at once.
//   amazon-ssm-agent -register -clear     (only without -code/-id, as the real agent)
//       empties the vault's registration key and fingerprint; the registration file stays (it is informational).
//   amazon-ssm-agent -version
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hostEnv, inRoot, readHostFile } from './lib/host.mjs';

const VAULT = '/var/lib/amazon/ssm/Vault/Store';
const REGISTRATION = '/var/lib/amazon/ssm/registration';
const VERSION = '3.3.1611.0';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`-${name}`) || args.includes(`--${name}`);
const value = (name) => {
  const i = args.findIndex((a) => a === `-${name}` || a === `--${name}`);
  return i >= 0 ? args[i + 1] ?? '' : '';
};

function write(p, content, mode) {
  mkdirSync(path.dirname(inRoot(p)), { recursive: true });
  writeFileSync(inRoot(p), content, { mode });
}

function say(s) {
  process.stdout.write(`${s}\n`);
}

if (flag('version')) {
  say(`SSM Agent version: ${VERSION}`);
  process.exit(0);
}
if (!flag('register')) {
  process.stderr.write('amazon-ssm-agent: lab stand-in: only -register and -version are supported (the lab runs no agent daemon)\n');
  process.exit(1);
}
const code = value('code');
const id = value('id');
const region = value('region');
if (code === '' || id === '' || region === '') {
  if (flag('clear')) {
    rmSync(inRoot(`${VAULT}/RegistrationKey`), { force: true });
    rmSync(inRoot(`${VAULT}/InstanceFingerprint`), { force: true });
    say('Registration information has been removed from the instance.');
    process.exit(0);
  }
  process.stderr.write('Activation Code, Activation ID and Region are required to register the instance\n');
  process.exit(1);
}

const existing = (() => {
  try {
    return JSON.parse(readFileSync(inRoot(`${VAULT}/RegistrationKey`), 'utf8')).InstanceID;
  } catch {
    return undefined;
  }
})();
if (existing && !flag('y')) {
  say(`Instance already registered. Would you like to override existing with new registration information? [Yes/No]`);
  let answer = '';
  try {
    answer = readFileSync(0, 'utf8').trim().toLowerCase();
  } catch {
    answer = '';
  }
  if (answer !== 'yes' && answer !== 'y') {
    say('Registration failed: the instance is already registered (use -y to override).');
    process.exit(1);
  }
}

const AGENT_STATE = '/var/lib/stns-fleet-lab/agent';
/** The agent (re)started now: after every registration attempt, whatever its outcome. */
function restarted() {
  try {
    write(AGENT_STATE, `running ${Date.now()}\n`, 0o644);
  } catch (e) {
    process.stderr.write(`amazon-ssm-agent (lab): cannot record the agent's restart: ${e.message}\n`);
  }
}
process.on('exit', restarted);

const env = hostEnv();
let res;
try {
  res = await fetch(`${env.LAB_URL}/_lab/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ host: env.LAB_HOST, code, id, region }),
  });
} catch (e) {
  process.stderr.write(`Registration failed due to error registering the instance with AWS SSM. ${e.message}\n`);
  process.exit(1);
}
const body = await res.json().catch(() => ({}));
if (!res.ok) {
  process.stderr.write(`Registration failed due to error registering the instance with AWS SSM. ${body.code ?? res.status}: ${body.message ?? ''}\n`);
  process.exit(1);
}
const now = new Date().toISOString();
write(`${VAULT}/RegistrationKey`, JSON.stringify({ InstanceID: body.InstanceId, Region: region, PrivateKey: 'lab-placeholder-not-a-key', PrivateKeyType: 'Rsa', PrivateKeyCreatedDate: now }), 0o600);
write(REGISTRATION, JSON.stringify({ ManagedInstanceID: body.InstanceId, Region: region }), 0o644);
// The fingerprint of the hardware as it is now (the lab compares the machine-id's hash; src/host-tree.ts).
const machineId = (readHostFile('/etc/machine-id') ?? readHostFile('/var/lib/dbus/machine-id') ?? '').trim();
const hardwareHash = machineId ? { 'machine-id': createHash('sha256').update(machineId).digest('hex') } : {};
write(`${VAULT}/InstanceFingerprint`, JSON.stringify({ fingerprint: randomUUID(), hardwareHash, similarityThreshold: 40 }), 0o600);
say(`Successfully registered the instance with AWS SSM using Managed instance-id: ${body.InstanceId}`);
