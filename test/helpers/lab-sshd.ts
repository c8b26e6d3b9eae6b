// An sshd oracle independent of src/sshd: the lab's sshd stand-in (packages/lab/lab-bin/sshd.mjs, which shares
// no code with the product's evaluator) run as `sshd -T [-o …]` on a tree holding these files. The real sshd -T
// runs in the chroot suites (test/chroot: Debian 12, 13, arm64); this covers every profile without root.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LAB_SSHD = path.resolve(import.meta.dirname, '../../packages/lab/lab-bin/sshd.mjs');

/** The effective AuthorizedKeysCommand and its user, as the stand-in reads them ('(unset)' when absent). */
export function labSshdKeys(files: Iterable<[string, string | Buffer]>, options: readonly string[] = []): { command: string; user: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'sf-lab-sshd-'));
  try {
    for (const [p, c] of files) {
      mkdirSync(path.join(root, path.dirname(p)), { recursive: true });
      writeFileSync(path.join(root, p), c);
    }
    const out = execFileSync(process.execPath, [LAB_SSHD, '-T', ...options.flatMap((o) => ['-o', o])], { env: { ...process.env, STNS_FLEET_ROOT: root }, encoding: 'utf8' });
    const value = (k: string): string => new RegExp(`^${k} (.*)$`, 'm').exec(out)?.[1] ?? '(unset)';
    return { command: value('authorizedkeyscommand'), user: value('authorizedkeyscommanduser') };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
