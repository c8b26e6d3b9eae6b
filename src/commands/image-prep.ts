// `stns-fleet image-prep`: make a Raspberry Pi OS image safe to copy to many boards (src/pi/image-prep.ts).
//   --root DIR        prepare the image mounted at DIR (its root filesystem), here, as root
//   --print-script    print the script to run on the source Pi itself before copying its card
// Needs no inventory and no AWS (the transport factory is not used). Exit 0 done, 1 refused or failed.
import { stat } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { checkBackupDir, imagePrepScript, PI_FIRSTBOOT_LIB, PI_IMAGE_PREP_LIB, runImagePrep, type PrepResult } from '../pi/image-prep.js';
import { loadTemplates } from '../render/templates.js';
import type { Io } from '../output/io.js';
import type { TransportFactory } from './session.js';

export interface ImagePrepOptions {
  root?: string;
  printScript?: boolean;
  /** Where to back up what changes (default ./stns-fleet-image-prep-backup); never inside the image. */
  backup?: string;
  noBackup?: boolean;
  templates?: string;
  json?: boolean;
}

export const DEFAULT_BACKUP_DIR = 'stns-fleet-image-prep-backup';

const NEXT_STEPS = `
Next, for each batch of boards:
  1. aws ssm create-activation --iam-role ROLE --registration-limit N --expiration-date <in a few hours>
  2. on each card's boot partition (FAT, readable from any computer), create ssm-activation with:
       code=<ActivationCode>
       id=<ActivationId>
       region=<region>
  3. boot: stns-fleet-firstboot.service registers the board (its own ID, machine-id and SSH host keys) and
     shreds the file; then \`aws ssm delete-activation --activation-id <ActivationId>\`.
`;

export function prepText(r: PrepResult, root: string): string {
  const lines = r.actions.map((a) => `  ${a.verb} ${a.text}`);
  if (r.error) {
    return `${lines.length ? `${lines.join('\n')}\n` : ''}image-prep ${r.error.kind === 'refused' ? 'refused (nothing changed)' : 'FAILED midway'}: ${r.error.message}\n${r.backup ? `Backup: ${r.backup}\n` : ''}`;
  }
  const head = r.actions.length === 0 ? `${root} was already prepared: nothing to change.` : `Prepared ${root}:`;
  return `${head}\n${lines.join('\n')}${lines.length ? '\n' : ''}${r.backup ? `Backup of everything removed or replaced: ${r.backup}\n` : 'No backup (--no-backup).\n'}${NEXT_STEPS}`;
}

export async function imagePrepCommand(o: ImagePrepOptions, _makeTransport: TransportFactory, io: Io): Promise<number> {
  if (Boolean(o.root) === Boolean(o.printScript)) {
    throw new FleetError('USAGE', 'image-prep needs exactly one of --root DIR (a mounted image) or --print-script (to run on the source Pi)');
  }
  const t = await loadTemplates(o.templates, [PI_IMAGE_PREP_LIB, PI_FIRSTBOOT_LIB]);
  const script = imagePrepScript(t);
  if (o.printScript) {
    io.out(script);
    io.err('Run it on the source Pi as root, with a backup directory that is NOT on its SD card (or --no-backup):\n  sudo sh stns-fleet-image-prep.sh /media/usb/prep-backup && sudo poweroff\nthen copy the card without booting it again.\n');
    return 0;
  }
  const root = o.root!;
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new FleetError('USAGE', `--root ${root}: not a directory (mount the image's root partition and give its mount point)`);
  if (realpathSync(root) === '/') throw new FleetError('USAGE', '--root /: that is this machine; to prepare the Pi you are on, use --print-script and run the script there');
  const etc = await stat(path.join(root, 'etc')).catch(() => undefined);
  if (!etc?.isDirectory()) throw new FleetError('USAGE', `--root ${root}: no etc/ there; give the root partition (the boot partition is the small FAT one)`);
  if (process.getuid?.() !== 0) throw new FleetError('USAGE', 'image-prep --root must run as root (the image\'s files belong to root): sudo stns-fleet image-prep …');
  if (o.noBackup && o.backup) throw new FleetError('USAGE', '--backup and --no-backup contradict each other');
  const backup = o.noBackup ? null : path.resolve(o.backup ?? DEFAULT_BACKUP_DIR);
  if (backup) {
    try {
      checkBackupDir(root, backup);
    } catch (e) {
      throw new FleetError('USAGE', (e as Error).message, { hint: 'give --backup a directory outside the image' });
    }
  }
  const r = await runImagePrep(script, root, backup);
  if (o.json) io.out(`${JSON.stringify({ root, ...r }, null, 2)}\n`);
  else io.out(prepText(r, root));
  return r.code === 0 && !r.error ? 0 : 1;
}
