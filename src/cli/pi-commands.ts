// The Raspberry Pi commands on the command line (reactivate, tag, image-prep): their options and help, apart
// from program.ts so that file stays about the program. Each runs through its wrapper in run.ts, like the others.
import type { Command } from 'commander';
import type { Emitter } from '../output/emitter.js';
import type { TransportFactory } from '../commands/session.js';
import type { Interrupts } from './interrupt.js';
import { imagePrepCommand, reactivateCommand, tagCommand, type ReactivateCliOptions, type TagCliOptions } from './run.js';

interface PiCommandsContext {
  io: Emitter;
  sdk: () => Promise<TransportFactory>;
  interruptible: Interrupts['interruptible'];
  /** Adds the fleet options (-i, -g, --profile, --region, --templates, --json, -q) to a command. */
  fleetOptions: (c: Command) => Command;
}

export function addPiCommands(program: Command, { io, sdk, interruptible, fleetOptions }: PiCommandsContext): void {
  fleetOptions(
    program
      .command('reactivate')
      .description('find managed-node IDs shared by cloned Raspberry Pi SD cards and give every board its own ID, machine-id and SSH host keys')
      .option('--dry-run', 'detect and report only; change nothing', false)
      .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)', false)
      .option('--id <mi-id...>', 'treat these managed-node IDs as cloned whatever the identity polls show')
      .option('--polls <n>', 'identity polls per node (default 3)')
      .option('--interval <duration>', 'time between polls, e.g. 5s (default 5s)')
      .option('--wait <duration>', 'how long to wait for each moved board to come online under its new ID (default 4m)'),
  )
    .addHelpText(
      'after',
      `
Polls every online managed node with a read-only identity script, then, per cloned ID: creates a 1-hour
activation (the group's pi.iam_role), sends one board at a time a re-register script that carries the
activation sealed to the board's own key (never in clear), waits for the new ID, tags it (Name from
pi.names or pi.name_prefix), and deregisters the old ID once every board has moved. Boards that are off are
reported; the next run moves them. Activations are always deleted. See docs/raspberry-pi.md.

Exit codes: 0 nothing to do or every board moved, 2 something left for a later run (or --dry-run found
clones), 1 a board failed or declined, 130/143 interrupted (SIGINT/SIGTERM).

Examples:
  $ stns-fleet reactivate -i inventories/prod.yaml --dry-run
  $ stns-fleet reactivate -i inventories/prod.yaml -g edge-pi
  $ stns-fleet reactivate -i inventories/prod.yaml --id mi-0123456789abcdef0 --yes`,
    )
    .action(async (o: ReactivateCliOptions) =>
      interruptible('finishing the current step, then deleting the activation', async (signal) => reactivateCommand(o, await sdk(), io, signal)),
    );

  fleetOptions(
    program
      .command('tag')
      .description('set the Name tag of managed nodes and EC2 instances from the inventory (names:, pi.names, pi.name_prefix)')
      .option('--dry-run', 'show what would be renamed; change nothing', false),
  )
    .addHelpText(
      'after',
      `
Only hosts whose Name differs get a call; a second run makes none. Pis are named by serial (read with a
read-only identity script); a Name set by hand is only replaced when names: or pi.names says so.

Exit codes: 0 done or nothing to do, 2 --dry-run and names would change, 1 a tag call failed.

Examples:
  $ stns-fleet tag -i inventories/prod.yaml --dry-run
  $ stns-fleet tag -i inventories/prod.yaml -g edge-pi`,
    )
    .action(async (o: TagCliOptions) => void (process.exitCode = await tagCommand(o, await sdk(), io)));

  program
    .command('image-prep')
    .description('make a Raspberry Pi OS image safe to copy to many boards: no SSM registration, machine-id, host keys or seal key; a first-boot unit that registers from the boot partition')
    .option('--root <dir>', "the mounted image's root partition (run as root)")
    .option('--print-script', 'print the script to run on the source Pi itself before copying its card', false)
    .option('--backup <dir>', 'back up everything changed here (default ./stns-fleet-image-prep-backup; never inside the image)')
    .option('--no-backup', 'change without a backup')
    .option('--templates <dir>', 'override templates by file name from DIR')
    .option('--json', 'print the result as one JSON document', false)
    .addHelpText(
      'after',
      `
Then write /boot/firmware/ssm-activation (code=…, id=…, region=… lines from aws ssm create-activation) on
each card: at first boot the board registers as its own managed node and the file is shredded.
Calls no AWS API. Exit 0 done (or already prepared), 1 refused or failed.

Examples:
  $ sudo stns-fleet image-prep --root /mnt/rootfs --backup ~/pi-prep-backup
  $ stns-fleet image-prep --print-script > prep.sh   # on the Pi: sudo sh prep.sh /media/usb/bk && sudo poweroff`,
    )
    .action(async (o: { root?: string; printScript: boolean; backup?: string | false; templates?: string; json: boolean }) =>
      void (process.exitCode = await imagePrepCommand({ ...o, backup: typeof o.backup === 'string' ? o.backup : undefined, noBackup: o.backup === false }, await sdk(), io)),
    );
}
