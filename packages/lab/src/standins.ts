// The stand-in executables lab hosts find first on PATH. The programs live in lab-bin/ (plain sh, or
// self-contained .mjs run by the lab's own node); the lab writes one small wrapper per command name into
// its bin directory, so PATH needs no node and no knowledge of where the repository is.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_BIN = fileURLToPath(new URL('../lab-bin/', import.meta.url));

/** Command name → how the wrapper runs it. */
const STANDINS: Record<string, { mjs: string; served?: true } | { sh: string; as: string }> = {
  // Served: asked of the lab process (served.sh, one curl) when the host's environment names the lab
  // (STNS_FLEET_LAB_URL, set by the lab's runner); a node process per call otherwise (a tree in a test).
  sshd: { mjs: 'sshd.mjs', served: true },
  'stns-key-wrapper': { mjs: 'stns-key-wrapper.mjs', served: true },
  getent: { mjs: 'getent.mjs', served: true },
  'amazon-ssm-agent': { mjs: 'amazon-ssm-agent.mjs' },
  'dpkg-query': { sh: 'packages.sh', as: 'dpkg-query' },
  dpkg: { sh: 'packages.sh', as: 'dpkg' },
  rpm: { sh: 'packages.sh', as: 'rpm' },
  'apt-get': { sh: 'packages.sh', as: 'apt-get' },
  yum: { sh: 'packages.sh', as: 'yum' },
  dnf: { sh: 'packages.sh', as: 'dnf' },
  systemctl: { sh: 'services.sh', as: 'systemctl' },
  service: { sh: 'services.sh', as: 'service' },
  uname: { sh: 'uname.sh', as: 'uname' },
  // The host script enters a tree (STNS_FLEET_ROOT) to run its own package manager and sshd: the tree's tools are these.
  chroot: { sh: 'tree-chroot.sh', as: 'chroot' },
};

export const STANDIN_NAMES = Object.keys(STANDINS);

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function wrapperFor(name: string, nodePath = process.execPath, labBin = LAB_BIN): string {
  const s = STANDINS[name];
  if (!s) throw new Error(`no stand-in ${name}`);
  const exec = 'mjs' in s ? `exec ${shq(nodePath)} ${shq(path.join(labBin, s.mjs))} "$@"` : `exec /bin/sh ${shq(path.join(labBin, s.sh))} ${s.as} "$@"`;
  const served = 'mjs' in s && s.served ? `if [ -n "\${STNS_FLEET_LAB_URL:-}" ]; then exec /bin/sh ${shq(path.join(labBin, 'served.sh'))} ${name} "$@"; fi\n` : '';
  return `#!/bin/sh\n# stns-fleet lab stand-in for ${name}\n${served}${exec}\n`;
}

export async function writeStandins(binDir: string): Promise<void> {
  await mkdir(binDir, { recursive: true });
  for (const name of STANDIN_NAMES) {
    const p = path.join(binDir, name);
    await writeFile(p, wrapperFor(name));
    await chmod(p, 0o755);
  }
}
