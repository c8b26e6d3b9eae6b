#!/usr/bin/env node
// The stns-fleet command line: parse arguments, run one command, map the outcome to an exit code (the
// meanings and their precedence are in src/exit-codes.ts). Everything the user can cause ends as a
// one-paragraph message and exit 1 (130/143 when it came after an interrupt), never a stack trace.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { isFleetError } from '../errors.js';
import { errorExitCode, EXIT, EXIT_CODES_HELP, exitCode, Interrupted, signalExitCode, type InterruptSignal } from '../exit-codes.js';
import { OS_PROFILE_IDS } from '../profiles/ids.js';
import { processIo } from '../output/io.js';
// Types only: each command's module (and the AWS SDK behind it) loads when that command runs, so `--help`
// and `validate` start fast.
import type { ApplyCliOptions } from '../commands/apply.js';
import type { PlanOptions } from '../commands/plan.js';
import type { ReactivateCliOptions } from '../commands/reactivate.js';
import type { CommonOptions, TransportFactory } from '../commands/session.js';
import type { TagCliOptions } from '../commands/tag.js';
import type { VerifyCliOptions } from '../commands/verify.js';

const sdk = async (): Promise<TransportFactory> => (await import('./transport.js')).sdkTransport;

/** The signal that interrupted the running command, if one did: an error after it still exits 130/143. */
let interruptedBy: InterruptSignal | undefined;

/** Runs a long command whose first SIGINT (Ctrl-C) or SIGTERM asks it to stop cleanly: no new work, in-flight
 * commands cancelled, every host reported, exit 130/143. A second signal quits at once. */
async function interruptible(what: string, run: (signal: AbortSignal) => Promise<number>): Promise<void> {
  const ctl = new AbortController();
  const handler = (sig: InterruptSignal) => (): void => {
    if (ctl.signal.aborted) process.exit(signalExitCode(sig));
    interruptedBy = sig;
    process.stderr.write(`\nstns-fleet: interrupted: ${what} (${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to quit at once)\n`);
    ctl.abort(new Interrupted(sig));
  };
  const onSigint = handler('SIGINT');
  const onSigterm = handler('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    const code = await run(ctl.signal);
    process.exitCode = interruptedBy ? exitCode({ interrupted: interruptedBy }) : code;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function emit(r: { exitCode: number; stdout: string; stderr: string }): void {
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  process.exitCode = r.exitCode;
}

export function buildProgram(): Command {
  const program = new Command('stns-fleet')
    .description(
      'Turn a fleet of Linux machines (EC2 instances and hybrid-activated Raspberry Pis) into STNS clients over AWS Systems Manager Run Command: no SSH, no S3.',
    )
    .version(pkg.version, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .addHelpText(
      'after',
      `
Typical session:
  $ stns-fleet validate -i inventories/prod.yaml       check the inventory (no AWS calls)
  $ stns-fleet hosts -i inventories/prod.yaml          which hosts the inventory selects, and which answer
  $ stns-fleet plan -i inventories/prod.yaml           what would change, per file, on every host (dry run)
  $ stns-fleet apply -i inventories/prod.yaml          the same plan, then a canary-first rollout
  $ stns-fleet verify -i inventories/prod.yaml         every host resolves STNS users and keys
  $ stns-fleet reactivate -i inventories/prod.yaml     cloned Raspberry Pi cards: one managed node per board

No AWS account? \`npm run demo\` runs all of it against the built-in local lab.
AWS settings: --profile/--region (or the inventory's aws:), the default credential chain, and
AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_SSM / _EC2) for a local endpoint.

${EXIT_CODES_HELP.program}
Other commands: see their --help; 1 is always an error.`,
    );

  program
    .command('validate')
    .description('check an inventory file: one line per problem as FILE:LINE:COL: field.path: message')
    .requiredOption('-i, --inventory <file>', 'inventory YAML (see inventories/example.yaml)')
    .option('--json', 'print the result as one JSON document on stdout', false)
    .addHelpText('after', '\nResolves no secret and calls no AWS API. Exit 0 when valid, 1 otherwise.')
    .action(async (o: { inventory: string; json: boolean }) => emit(await (await import('../inventory/validate.js')).validateCommand(o.inventory, { json: o.json })));

  program
    .command('render')
    .description('write the desired content of every managed file for one OS profile, from a host tree or the stock files')
    .requiredOption('-i, --inventory <file>', 'inventory YAML')
    .addOption(new Option('--os <os>', 'OS profile, or auto to detect it from --root').choices(['auto', ...OS_PROFILE_IDS]).makeOptionMandatory())
    .requiredOption('--out <dir>', 'write each file at its absolute path under DIR (DIR/etc/nsswitch.conf, …)')
    .option('-g, --group <name>', "use this group's settings (default: the group for --os, else the first)")
    .option('--root <dir>', "current files from DIR, laid out like a host's / (default: the profile's stock files)")
    .option('--arch <arch>', 'host architecture: amd64, arm64, armhf (default: read from --root, else the profile\'s usual one)')
    .option('--script <file>', 'also write the host script that converges a host to this result (mode 0700)')
    .option('--templates <dir>', 'override templates by file name from DIR (see templates/)')
    .option('--diff', 'print a unified diff of every change (secrets shown as (sensitive))', false)
    .option('--packages-present', 'assume libnss-stns-v2 is already installed on the host', false)
    .addHelpText(
      'after',
      `
Examples:
  $ stns-fleet render -i inventories/example.yaml --os ubuntu-24.04 --out out/ubuntu --diff
  $ stns-fleet render -i inventories/example.yaml --os debian-12 --root /mnt/image --out out/ --script out/converge.sh

Files that carry the auth token are written 0600 under --out. Exit 1 when the host cannot be converged
(the reasons are printed); the files that could be rendered are still written.`,
    )
    .action(async (o: { inventory: string; os: string; out: string; group?: string; root?: string; arch?: string; script?: string; templates?: string; diff: boolean; packagesPresent: boolean }) =>
      emit(await (await import('../commands/render.js')).renderCommand(o)),
    );

  const fleetOptions = (c: Command, inventoryRequired = true): Command => {
    (inventoryRequired ? c.requiredOption('-i, --inventory <file>', 'inventory YAML (see inventories/example.yaml)') : c.option('-i, --inventory <file>', 'inventory YAML (default: the one the plan file names)'))
      .option('-g, --group <name...>', 'only these groups (default: every group)')
      .option('--profile <name>', 'AWS profile (default: the inventory\'s aws.profile, else the credential chain)')
      .option('--region <region>', 'AWS region (default: the inventory\'s aws.region)')
      .option('--templates <dir>', 'override templates by file name from DIR')
      .option('--json', 'print one JSON document on stdout, no progress', false)
      .option('-q, --quiet', 'no progress output', false);
    return c;
  };
  const io = processIo();

  fleetOptions(
    program
      .command('hosts')
      .description('list every host the inventory selects: ID, Name, group, OS, SSM ping status, agent version'),
  )
    .addHelpText('after', '\nHosts that match but cannot be reached (stopped, offline, no agent) are listed as skipped, with the reason.')
    .action(async (o: CommonOptions) =>
      interruptible('stopping after discovery', async (signal) => (await import('../commands/hosts.js')).hostsCommand(o, await sdk(), io, signal)),
    );

  fleetOptions(
    program
      .command('plan')
      .description('show what apply would change on every host: per group of hosts sharing a change, a diff of each file')
      .option('--out <file>', 'save the plan (no secrets in it) for `stns-fleet apply FILE`'),
  )
    .addHelpText(
      'after',
      `
Gathers facts with one read-only Run Command per 50 hosts, reads full file contents once per distinct host
state, renders, and prints unified diffs (secrets shown as (sensitive)), the AuthorizedKeysCommand sshd will
really use before → after, the NSS source order, and the packages to install.

${EXIT_CODES_HELP.plan}

Examples:
  $ stns-fleet plan -i inventories/prod.yaml
  $ stns-fleet plan -i inventories/prod.yaml -g web --out web.plan.json`,
    )
    .action(async (o: PlanOptions) =>
      interruptible('cancelling in-flight commands', async (signal) => (await import('../commands/plan.js')).planCommand(o, await sdk(), io, signal)),
    );

  fleetOptions(
    program
      .command('apply')
      .description('plan, confirm, then roll out: canary first, verify it, then the rest within the concurrency and error budget')
      .argument('[plan-file]', 'a plan saved by `plan --out`: apply exactly that plan')
      .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)', false)
      .option('--canary <n>', 'hosts changed first, alone, and verified (number or N%; default: inventory rollout.canary)')
      .option('--max-concurrency <n>', 'hosts changed at once after the canary (number or N%; default: inventory)')
      .option('--max-errors <n>', 'failures tolerated before every in-flight command is cancelled (number or N%)')
      .option('--timeout <duration>', 'total deadline, e.g. 15m: what is still running then is cancelled'),
    false,
  )
    .addHelpText(
      'after',
      `
Every host script backs up each file it changes (/var/backups/stns-fleet/), refuses if a file changed since
the plan (drift), validates with sshd -t before reloading, and restores everything byte-identical on any
failure. The auth token reaches each host sealed to that host's own key: never in clear in SSM history.
Ctrl-C (or SIGTERM), at any phase, stops new work: nothing more is sent, the in-flight commands are cancelled,
and what each host ended as is reported. A second Ctrl-C quits at once.

${EXIT_CODES_HELP.apply}

Examples:
  $ stns-fleet apply -i inventories/prod.yaml
  $ stns-fleet apply -i inventories/prod.yaml --yes --max-concurrency 10% --max-errors 1
  $ stns-fleet plan -i inventories/prod.yaml --out prod.plan.json && stns-fleet apply prod.plan.json`,
    )
    .action(async (planFile: string | undefined, o: ApplyCliOptions) =>
      interruptible('cancelling in-flight commands', async (signal) =>
        (await import('../commands/apply.js')).applyCommand({ ...o, ...(planFile ? { planFile } : {}) }, await sdk(), io, signal),
      ),
    );

  fleetOptions(
    program
      .command('verify')
      .description('prove every host resolves STNS users and keys (stns-key-wrapper, getent) and sshd uses the keys command')
      .option('-u, --user <name...>', 'users to check (default: the inventory\'s verify.users)'),
  )
    .addHelpText('after', `\nEach failure names the user and why (no keys, user unknown, endpoint unreachable, token rejected).\n\n${EXIT_CODES_HELP.verify}`)
    .action(async (o: VerifyCliOptions) =>
      interruptible('cancelling in-flight commands', async (signal) => (await import('../commands/verify.js')).verifyCommand(o, await sdk(), io, signal)),
    );

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
      interruptible('finishing the current step, then deleting the activation', async (signal) =>
        (await import('../commands/reactivate.js')).reactivateCommand(o, await sdk(), io, signal),
      ),
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
    .action(async (o: TagCliOptions) => void (process.exitCode = await (await import('../commands/tag.js')).tagCommand(o, await sdk(), io)));

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
      void (process.exitCode = await (await import('../commands/image-prep.js')).imagePrepCommand(
        { ...o, backup: typeof o.backup === 'string' ? o.backup : undefined, noBackup: o.backup === false },
        await sdk(),
        io,
      )));

  program
    .command('profiles')
    .description('list the OS profiles stns-fleet supports')
    .option('--json', 'print JSON', false)
    .action(async (o: { json: boolean }) => emit({ exitCode: 0, stdout: await (await import('../commands/profiles.js')).profilesCommand(o), stderr: '' }));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  // A closed pipe (`stns-fleet plan | head`) ends the output, not the program with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : errorExitCode(); // commander already printed it
    if (isFleetError(e)) {
      process.stderr.write(`stns-fleet: error: ${e.message}\n`);
      for (const d of e.details) process.stderr.write(`${d}\n`);
      if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
      return errorExitCode(interruptedBy);
    }
    const err = e as Error;
    process.stderr.write(`stns-fleet: internal error: ${err.message}\n`);
    if (process.env['STNS_FLEET_DEBUG']) process.stderr.write(`${err.stack ?? ''}\n`);
    else process.stderr.write('This is a bug in stns-fleet; run again with STNS_FLEET_DEBUG=1 for a stack trace and report it.\n');
    return errorExitCode(interruptedBy);
  }
}

process.exitCode = await main(process.argv);
