// `stns-fleet image-prep`: make a Raspberry Pi OS image safe to copy to many boards (src/pi/image-prep.ts).
//   --root DIR        prepare the image mounted at DIR (its root filesystem), here, as root
//   --print-script    print the script to run on the source Pi itself before copying its card
// Needs no inventory and no AWS (the transport factory is not used). What it did reaches the view the CLI
// chose as one result. Exit 0 done, 1 refused or failed.
import { stat } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { ImagePrepView } from '../output/views/image-prep.js';
import { checkBackupDir, imagePrepScript, PI_FIRSTBOOT_LIB, PI_IMAGE_PREP_LIB, runImagePrep as prepareImage } from '../pi/image-prep.js';
import { loadTemplates } from '../render/templates.js';
import type { TransportFactory } from './session.js';

export interface ImagePrepOptions {
  root?: string;
  printScript?: boolean;
  /** Where to back up what changes (default ./stns-fleet-image-prep-backup); never inside the image. */
  backup?: string;
  noBackup?: boolean;
  templates?: string;
}

const DEFAULT_BACKUP_DIR = 'stns-fleet-image-prep-backup';

export async function runImagePrep(o: ImagePrepOptions, _makeTransport: TransportFactory, view: ImagePrepView): Promise<number> {
  if (Boolean(o.root) === Boolean(o.printScript)) {
    throw new UserError('image-prep needs exactly one of --root DIR (a mounted image) or --print-script (to run on the source Pi)');
  }
  const t = await loadTemplates(o.templates, [PI_IMAGE_PREP_LIB, PI_FIRSTBOOT_LIB]);
  const script = imagePrepScript(t);
  if (o.printScript) {
    view.result({ kind: 'script', script });
    return 0;
  }
  const root = o.root!;
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new UserError(`--root ${root}: not a directory (mount the image's root partition and give its mount point)`);
  if (realpathSync(root) === '/') throw new UserError('--root /: that is this machine; to prepare the Pi you are on, use --print-script and run the script there');
  const etc = await stat(path.join(root, 'etc')).catch(() => undefined);
  if (!etc?.isDirectory()) throw new UserError(`--root ${root}: no etc/ there; give the root partition (the boot partition is the small FAT one)`);
  if (process.getuid?.() !== 0) throw new UserError('image-prep --root must run as root (the image\'s files belong to root): sudo stns-fleet image-prep …');
  if (o.noBackup && o.backup) throw new UserError('--backup and --no-backup contradict each other');
  const backup = o.noBackup ? null : path.resolve(o.backup ?? DEFAULT_BACKUP_DIR);
  if (backup) {
    try {
      checkBackupDir(root, backup);
    } catch (e) {
      throw new UserError((e as Error).message, { hint: 'give --backup a directory outside the image' });
    }
  }
  const r = await prepareImage(script, root, backup);
  view.result({ kind: 'prepared', root, prep: r });
  return r.code === 0 && !r.error ? 0 : 1;
}
