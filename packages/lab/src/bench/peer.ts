// The Ansible peer for side-by-side figures (packages/lab/bench/peer-ansible, copied from the shared peers with
// its source noted there): the same job with ansible-playbook's local connection on N directory hosts made
// from the stock Debian 12 tree, run twice (first: fresh hosts; second: nothing to do). For `npm run bench`.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { STOCK_DIR } from 'stns-fleet';

const RUN_SH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/peer-ansible/run.sh');

export type PeerRun = { hosts: number; forks: number; firstS: number; secondS: number } | { skipped: string };

export async function runAnsiblePeer(hosts: number, forks: number): Promise<PeerRun> {
  try {
    const { stdout } = await promisify(execFile)('bash', [RUN_SH, String(hosts), String(forks), path.join(STOCK_DIR, 'debian-12')], { maxBuffer: 1 << 20 });
    const m = /first=([\d.]+)s second=([\d.]+)s/.exec(stdout);
    if (!m) return { skipped: `the peer printed no times: ${stdout.trim().slice(0, 200)}` };
    return { hosts, forks, firstS: Number(m[1]), secondS: Number(m[2]) };
  } catch (e) {
    const err = e as { code?: number; stderr?: string; message: string };
    if (err.code === 3) return { skipped: 'ansible-playbook is not installed (Debian: apt-get install -y ansible-core)' };
    return { skipped: `the peer failed: ${(err.stderr ?? err.message).trim().split('\n').slice(0, 3).join(' / ')}` };
  }
}
