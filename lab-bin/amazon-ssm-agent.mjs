// stns-fleet lab stand-in for amazon-ssm-agent's registration commands (ssm.md §6):
//   amazon-ssm-agent -register -code CODE -id ID -region REGION [-y]
//       asks the lab to register this board with the activation (POST /_lab/register), then writes the new
//       managed-node ID into Vault/Store/RegistrationKey (the identity the lab routes commands by) and
//       /var/lib/amazon/ssm/registration. Without -y an existing registration is kept unless stdin says yes.
//   amazon-ssm-agent -register -clear     (only without -code/-id, as the real agent)
//       empties the vault's registration key and fingerprint; the registration file stays (it is informational).
//   amazon-ssm-agent -version
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
if (readHostFile(`${VAULT}/InstanceFingerprint`) !== undefined) rmSync(inRoot(`${VAULT}/InstanceFingerprint`), { force: true });
say(`Successfully registered the instance with AWS SSM using Managed instance-id: ${body.InstanceId}`);
