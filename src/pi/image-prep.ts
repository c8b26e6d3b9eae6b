// `image-prep`: make a Raspberry Pi OS image safe to copy to many boards (templates/host/pi-image-prep.sh):
// no SSM registration, an empty machine-id, no SSH host keys, no stns-fleet seal key, and a first-boot unit
// that registers each board from an activation file on its boot partition (templates/host/pi-firstboot.sh).
// The same script serves a mounted image (`--root DIR`, run here with STNS_FLEET_ROOT=DIR) and the source
// Pi itself (`--print-script`, run there as root before switching it off and copying its card).
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Templates } from '../render/templates.js';

export const PI_IMAGE_PREP_LIB = 'host/pi-image-prep.sh';
export const PI_FIRSTBOOT_LIB = 'host/pi-firstboot.sh';
export const FIRSTBOOT_SCRIPT = '/usr/local/sbin/stns-fleet-firstboot';
export const FIRSTBOOT_UNIT = '/etc/systemd/system/stns-fleet-firstboot.service';
const ACTIVATION_FILES = ['/boot/firmware/ssm-activation', '/boot/ssm-activation'];

/** Runs before the agent (so it starts registered) and after the network (registering needs it), only when
 * there is something to do: an activation file, or no SSH host keys yet. */
export function firstbootUnit(): string {
  return [
    '# Installed by stns-fleet image-prep: registers this board with AWS SSM from the boot partition\'s',
    '# ssm-activation file (code=, id=, region= lines), then shreds the file. See stns-fleet-firstboot.',
    '[Unit]',
    'Description=stns-fleet first boot: SSH host keys, and SSM registration from the boot partition',
    'Wants=network-online.target',
    'After=network-online.target',
    'Before=amazon-ssm-agent.service',
    ...ACTIVATION_FILES.map((f) => `ConditionPathExists=|${f}`),
    'ConditionPathExistsGlob=|!/etc/ssh/ssh_host_*_key',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${FIRSTBOOT_SCRIPT}`,
    'TimeoutStartSec=5min',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

function heredoc(text: string): string {
  if (/^SF_EOF$/m.test(text)) throw new Error('a file to stage contains the heredoc delimiter');
  return `${text.endsWith('\n') ? text : `${text}\n`}SF_EOF`;
}

/** The complete prep script: the template, then the first-boot script and unit it installs. */
export function imagePrepScript(t: Templates): string {
  return [
    t.data(PI_IMAGE_PREP_LIB).toString('utf8').trimEnd(),
    `sf_stage ${FIRSTBOOT_SCRIPT} 0755 <<'SF_EOF'`,
    heredoc(t.data(PI_FIRSTBOOT_LIB).toString('utf8')),
    `sf_stage ${FIRSTBOOT_UNIT} 0644 <<'SF_EOF'`,
    heredoc(firstbootUnit()),
    'sf_main "$@"',
    '',
  ].join('\n');
}

interface PrepAction {
  /** removed, emptied, created, installed, enabled, stopped, kept */
  verb: string;
  /** The path (or unit) it is about. */
  path: string;
  /** The whole line after the verb, for people. */
  text: string;
}

export interface PrepResult {
  code: number;
  actions: PrepAction[];
  backup?: string;
  /** Set when the script refused (nothing changed) or failed midway. */
  error?: { kind: 'refused' | 'failed'; message: string };
  stderr: string;
}

/** Reads the STNS_FLEET_PREP lines. */
export function parsePrepOutput(code: number, stdout: string, stderr = ''): PrepResult {
  const r: PrepResult = { code, actions: [], stderr };
  for (const m of stdout.matchAll(/^STNS_FLEET_PREP (\S+) ?(.*)$/gm)) {
    const verb = m[1]!;
    const text = m[2] ?? '';
    if (verb === 'refused' || verb === 'failed') r.error = { kind: verb, message: text };
    else if (verb === 'backup') {
      if (text !== 'none') r.backup = text;
    } else if (verb !== 'done') {
      const p = /(^|\s)(\/\S*)/.exec(text)?.[2] ?? text.split(' ')[0] ?? '';
      r.actions.push({ verb, path: p, text });
    }
  }
  if (code !== 0 && !r.error) r.error = { kind: 'failed', message: `the script ended with exit ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
  return r;
}

/** Where the backup may go: not inside the image (it would be copied with it). Throws a message otherwise. */
export function checkBackupDir(root: string, backup: string): void {
  const r = realpathSync(root);
  let b = path.resolve(backup);
  // The backup directory may not exist yet: resolve its nearest existing parent.
  let probe = b;
  for (;;) {
    try {
      b = path.join(realpathSync(probe), path.relative(probe, b));
      break;
    } catch {
      const up = path.dirname(probe);
      if (up === probe) break;
      probe = up;
    }
  }
  if (b === r || b.startsWith(`${r}${path.sep}`)) throw new UserError(`the backup directory ${backup} is inside the image ${root}; it would be copied to every board`);
}

/** Runs the prep script on a mounted image (as root on this machine). */
export function runImagePrep(script: string, root: string, backup: string | null): Promise<PrepResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('/bin/sh', ['-s', '--', backup ?? '--no-backup'], { env: { ...process.env, STNS_FLEET_ROOT: root }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => resolve(parsePrepOutput(code ?? 1, out, err)));
    p.stdin.on('error', () => undefined); // a shell that exits early reports through its exit code
    p.stdin.end(script);
  });
}
