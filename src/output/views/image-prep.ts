// `image-prep`'s view: with --root, each change made to the image, where the backup is, and the next steps
// (or why it refused or failed); or that as one JSON document ({ root, ...the script's result }). With
// --print-script the script itself is the output in either form (it is meant for `> prep.sh`), and how to
// run it goes to stderr.
import type { PrepResult } from '../../pi/image-prep.js';
import type { Emitter } from '../emitter.js';
import { BaseView, type View } from './view.js';

export type ImagePrepResult =
  /** --print-script: the script to run on the source Pi. */
  | { kind: 'script'; script: string }
  /** --root: what the script did to the image mounted at `root`. */
  | { kind: 'prepared'; root: string; prep: PrepResult };

export type ImagePrepView = View<ImagePrepResult>;

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

const HOW_TO_RUN =
  'Run it on the source Pi as root, with a backup directory that is NOT on its SD card (or --no-backup):\n  sudo sh stns-fleet-image-prep.sh /media/usb/prep-backup && sudo poweroff\nthen copy the card without booting it again.\n';

function prepText(r: PrepResult, root: string): string {
  const lines = r.actions.map((a) => `  ${a.verb} ${a.text}`);
  if (r.error) {
    return `${lines.length ? `${lines.join('\n')}\n` : ''}image-prep ${r.error.kind === 'refused' ? 'refused (nothing changed)' : 'FAILED midway'}: ${r.error.message}\n${r.backup ? `Backup: ${r.backup}\n` : ''}`;
  }
  const head = r.actions.length === 0 ? `${root} was already prepared: nothing to change.` : `Prepared ${root}:`;
  return `${head}\n${lines.join('\n')}${lines.length ? '\n' : ''}${r.backup ? `Backup of everything removed or replaced: ${r.backup}\n` : 'No backup (--no-backup).\n'}${NEXT_STEPS}`;
}

abstract class ImagePrepBase extends BaseView<ImagePrepResult> {
  result(r: ImagePrepResult): void {
    if (r.kind === 'script') {
      this.emitter.out(r.script);
      this.emitter.err(HOW_TO_RUN);
    } else this.prepared(r.root, r.prep);
  }
  protected abstract prepared(root: string, r: PrepResult): void;
}

class ImagePrepTextView extends ImagePrepBase {
  protected prepared(root: string, r: PrepResult): void {
    this.emitter.out(prepText(r, root));
  }
}

class ImagePrepJsonView extends ImagePrepBase {
  protected prepared(root: string, r: PrepResult): void {
    this.json({ root, ...r });
  }
}

export function imagePrepView(json: boolean, emitter: Emitter): ImagePrepView {
  // No progress: the work is one local script.
  return json ? new ImagePrepJsonView(emitter, { machine: true }) : new ImagePrepTextView(emitter, { quiet: true });
}
