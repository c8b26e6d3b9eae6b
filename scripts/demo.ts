// `npm run demo`: stns-fleet's main job, offline. Validates the example inventory, renders every OS
// profile from its stock files, shows the full (redacted) diff for Ubuntu 24.04 on EC2, then converges a
// copy of Debian 12's stock tree with the generated host script, twice: the second run changes nothing.
// Runs on Node >= 22.18 directly (type stripping); no AWS account, no network.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist/cli/main.js');
const inventory = 'inventories/example.yaml';
const work = mkdtempSync(path.join(tmpdir(), 'stns-fleet-demo-'));
const env = { ...process.env, STNS_AUTH_TOKEN: process.env['STNS_AUTH_TOKEN'] ?? 'demo-token-not-a-secret' };
const bold = (s: string): string => (process.stdout.isTTY && !process.env['NO_COLOR'] ? `\x1b[1m${s}\x1b[0m` : s);

function run(title: string, args: string[], opts: { env?: NodeJS.ProcessEnv; expect?: number[] } = {}): number {
  console.log(`\n${bold(`── ${title}`)}\n$ stns-fleet ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, env: opts.env ?? env, encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stdout.write(r.stderr);
  const ok = opts.expect ?? [0];
  if (!ok.includes(r.status ?? -1)) {
    console.error(`demo: unexpected exit code ${r.status}`);
    process.exit(1);
  }
  return r.status ?? -1;
}

try {
  run('1. Validate the inventory (no AWS, no secrets resolved)', ['validate', '-i', inventory]);
  run('2. The OS profiles', ['profiles']);
  const profiles = ['debian-11', 'debian-12', 'ubuntu-20.04', 'ubuntu-22.04', 'amazon-linux-2', 'raspberry-pi-os', 'amazon-linux-2023'];
  for (const os of profiles) {
    // Amazon Linux 2023's stock files are incomplete (stock/SOURCES.md): render says which and exits 1.
    run(`3. Render ${os} from its stock files`, ['render', '-i', inventory, '--os', os, '--out', path.join(work, os)], {
      expect: os === 'amazon-linux-2023' ? [1] : [0],
    });
  }
  run('4. Ubuntu 24.04 on EC2: EC2 Instance Connect sets the keys command with sshd -o options; the diff', [
    'render', '-i', inventory, '--os', 'ubuntu-24.04', '--out', path.join(work, 'ubuntu-24.04'), '--diff',
  ]);

  // 5. Converge a directory tree with the real host script. sshd and dpkg-query are stand-ins here (a
  // directory is not a running host); the test suite runs the same script in a real Debian 12 chroot.
  const root = path.join(work, 'host-debian-12');
  cpSync(path.join(repo, 'stock/debian-12'), root, { recursive: true });
  const script = path.join(work, 'converge-debian-12.sh');
  run('5. The host script for Debian 12', [
    'render', '-i', inventory, '--os', 'debian-12', '--root', root, '--out', path.join(work, 'debian-12-out'), '--script', script, '--packages-present',
  ]);
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'sshd'), '#!/bin/sh\necho "(stand-in for sshd -t: a directory tree has no sshd)" >&2\nexit 0\n', { mode: 0o755 });
  writeFileSync(path.join(bin, 'dpkg-query'), "#!/bin/sh\nprintf 'install ok installed'\n", { mode: 0o755 });
  for (const pass of ['first run: converges', 'second run: nothing to do']) {
    console.log(`\n${bold(`── 6. Host script, ${pass}`)}\n$ STNS_FLEET_ROOT=${root} sh ${path.basename(script)}`);
    const r = spawnSync('sh', [script], { env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, STNS_FLEET_ROOT: root }, encoding: 'utf8' });
    process.stdout.write(r.stdout + r.stderr);
    if (r.status !== 0) { console.error(`demo: host script exited ${r.status}`); process.exit(1); }
  }
  console.log(`\n${bold('Done.')} Rendered files are under ${work} (removed now). Next: npm test`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
