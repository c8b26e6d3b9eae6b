// `npm run demo`: stns-fleet's main job on the built-in local lab, offline, no AWS account. Starts a lab of
// mixed OS hosts (EC2-like directory hosts and Raspberry Pis, plus a real Debian 12 chroot with sshd when
// run as root with the cached root filesystem), then runs the real CLI against it through AWS_ENDPOINT_URL:
//   plan (diff) → apply --yes → verify → plan (nothing to do)
// and stops the lab. Runs on Node >= 22.18 directly (type stripping), after `npm ci` built dist/ (the CLI's and
// the lab's). The CLI is the `stns-fleet` package's own command, found through its package.json.
import { startLab, chrootSupport } from '@stns-fleet/lab';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const labDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliPackage = createRequire(import.meta.url).resolve('stns-fleet/package.json');
const cli = path.join(path.dirname(cliPackage), (JSON.parse(readFileSync(cliPackage, 'utf8')) as { bin: Record<string, string> }).bin['stns-fleet']!);
const bold = (s: string): string => (process.stdout.isTTY && !process.env['NO_COLOR'] ? `\x1b[1m${s}\x1b[0m` : s);
const started = Date.now();

// Every OS profile: the lab's default. 12 EC2 instances rotate through the 9 EC2 profiles (two Amazon Linux 2023
// ones: the standard AMI with EC2 Instance Connect and the minimal one); 2 Raspberry Pis, a bookworm board and a
// trixie board whose first user cloud-init made.
// Shown and passed relative to where the demo was started (`npm run demo` from the repository: packages/lab/…).
const cwd = process.env['INIT_CWD'] ?? process.cwd();
const inventory = path.relative(cwd, path.join(labDir, 'inventories/lab.yaml'));

// One host with a real Debian 12 root filesystem and real sshd, when this machine can (root, and the test
// suite's cached rootfs: `npm test` builds it); otherwise the demo says why and goes on without it.
const chroot = chrootSupport();
if (!chroot.ok) console.log(`(no chroot host in this demo: ${chroot.reason})`);
const base = { hosts: 14, pis: 2, port: 0, seed: 'demo', chroot: chroot.ok ? 1 : 0 };

let inv = inventory;
const work = mkdtempSync(path.join(tmpdir(), 'stns-fleet-demo-'));
// STNS on 4567, the port the shipped inventory names; when it is taken, any free port and a copy of the
// inventory that names it (the lab writes it: lab.writeInventory).
const lab = await startLab({ ...base, stnsPort: 4567, stnsPortFallback: true });
if (!lab.info().inventory.matches) {
  inv = path.join(work, 'lab.yaml');
  lab.writeInventory(inv);
}

const env = { ...process.env, ...lab.env, STNS_FLEET_POLL_MS: '150', STNS_FLEET_MAX_POLL_MS: '500' };
// Asynchronous on purpose: the lab answers from this very process, so the CLI must not block its event loop.
async function run(title: string, args: string[], expect: number[]): Promise<void> {
  console.log(`\n${bold(`── ${title}`)}\n$ stns-fleet ${args.join(' ')}`);
  const status = await new Promise<number | null>((resolve) => {
    spawn(process.execPath, [cli, ...args], { cwd, env, stdio: 'inherit' }).on('close', resolve);
  });
  if (!expect.includes(status ?? -1)) {
    console.error(`demo: "stns-fleet ${args.join(' ')}" exited ${status}, expected ${expect.join(' or ')}`);
    process.exitCode = 1;
    throw new Error('demo step failed');
  }
}

try {
  console.log(bold(`stns-fleet demo: a local lab of ${lab.hosts.length} hosts on ${lab.endpoint} (SSM + EC2 APIs), STNS server ${lab.stnsEndpoint}`));
  for (const h of lab.hosts) console.log(`  ${String(h.id).padEnd(20)} ${String(h.tags['Name']).padEnd(9)} Role=${h.role.padEnd(4)} ${h.os}${h.variant ? ` (${h.variant})` : ''}${h.firstUser ? `, first user ${h.firstUser}` : ''}${h.chroot ? ' (Debian 12 root filesystem, real sshd)' : ''}`);
  await run('1. Which hosts does the inventory select?', ['hosts', '-i', inv], [0]);
  await run('2. Plan: what would change, per file, on every host (exit 2: changes)', ['plan', '-i', inv], [2]);
  await run('3. Apply: canary first, verified, then the rest', ['apply', '-i', inv, '--yes'], [0]);
  await run('4. Verify: every host resolves STNS users and keys, sshd runs the keys command', ['verify', '-i', inv], [0]);
  await run('5. Plan again: nothing to do (exit 0)', ['plan', '-i', inv], [0]);
  const s = lab.stats();
  console.log(`\n${bold('Done')} in ${((Date.now() - started) / 1000).toFixed(1)} s. The lab answered ${Object.values(s.calls).reduce((a, b) => a + b, 0)} API calls and ran ${s.hostCommands} commands on hosts.`);
  console.log('Next: `npm test`, or `npm run lab` to keep a lab running and try the commands yourself.');
} catch (e) {
  if (process.exitCode !== 1) throw e;
} finally {
  await lab.stop();
  rmSync(work, { recursive: true, force: true });
}
