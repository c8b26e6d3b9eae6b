// The stns-fleet command line: parse arguments, run one command (with the view its options choose: run.ts),
// map the outcome to an exit code (the meanings and their precedence are in src/exit-codes.ts). Everything
// the user can cause ends as a one-paragraph message and exit 1 (130/143 when it came after an interrupt),
// never a stack trace. Every byte, commander's and the notices here included, goes through one Emitter.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { errorReport } from './error-report.js';
import { errorExitCode, EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { OS_PROFILE_IDS } from '../profiles/ids.js';
import { Emitter } from '../output/emitter.js';
import { processIo } from '../output/io.js';
import { PLAN_FORMATS } from '../output/views/formats.js';
import { interrupts } from './interrupt.js';
import { addPiCommands } from './pi-commands.js';
import { addCompletionCommand } from './completion.js';
import { deferMandatoryOptions, limitOption } from './options.js';
// run.ts loads each command's module (and the AWS SDK behind it) when that command runs, so `--help` and
// `validate` start fast.
import { applyCommand, hostsCommand, planCommand, profilesCommand, renderCommand, validateCommand, verifyCommand, type ApplyCliOptions, type PlanOptions, type VerifyCliOptions } from './run.js';
import type { CommonOptions, TransportFactory } from '../commands/session.js';

const sdk = async (): Promise<TransportFactory> => (await import('./transport.js')).sdkTransport;

/** The run's one output seam, over the process's stdout and stderr. */
const io = new Emitter(processIo());
const { interruptible, by: interruptedBy } = interrupts(io);

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function buildProgram(): Command {
  const program = new Command('stns-fleet')
    .description(
      'Turn a fleet of Linux machines (EC2 instances and hybrid-activated Raspberry Pis) into STNS clients over AWS Systems Manager Run Command: no SSH, no S3.',
    )
    .version(pkg.version, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) })
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

No AWS account? In a clone of the stns-fleet repository, \`npm run demo\` runs all of it on a local lab.
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
    .addHelpText(
      'after',
      `
Resolves no secret and calls no AWS API. Exit 0 when valid, 1 otherwise.

Examples:
  $ stns-fleet validate -i inventories/prod.yaml
  $ stns-fleet validate -i inventories/prod.yaml --json | jq '.problems[] | .message'`,
    )
    .action(async (o: { inventory: string; json: boolean }) => void (process.exitCode = await validateCommand(o, io)));

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
      void (process.exitCode = await renderCommand(o, io)),
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
  fleetOptions(
    program
      .command('hosts')
      .description('list every host the inventory selects: ID, Name, group, OS, SSM ping status, agent version'),
  )
    .addOption(limitOption())
    .addHelpText(
      'after',
      `
Hosts that match but cannot be reached (stopped, offline, no agent) are listed as skipped, with the reason.
A host's name is its Name tag, else the computer name SSM reports; the same name in every command.

Examples:
  $ stns-fleet hosts -i inventories/prod.yaml
  $ stns-fleet hosts -i inventories/prod.yaml -g edge-pi --limit 'lab-0*'
  $ stns-fleet hosts -i inventories/prod.yaml --json | jq -r '.hosts[].id'`,
    )
    .action(async (o: CommonOptions) =>
      interruptible('stopping after discovery', async (signal) => hostsCommand(o, await sdk(), io, signal)),
    );

  fleetOptions(
    program
      .command('plan')
      .description('show what apply would change on every host: per group of hosts sharing a change, a diff of each file')
      .option('--out <file>', 'save the plan (no secrets in it) for `stns-fleet apply FILE`')
      .addOption(new Option('--format <format>', 'text, json (the same as --json) or markdown (collapsed per unit, for a pull request or a CI step summary)').choices(PLAN_FORMATS))
      .option('-v, --verbose', 'list every host of each unit and reason (default: the first few and how many more)', false),
  )
    .addOption(limitOption())
    .addHelpText(
      'after',
      `
Gathers facts with one read-only Run Command per 50 hosts, reads full file contents once per distinct host
state, renders, and prints unified diffs (secrets shown as (sensitive)), the AuthorizedKeysCommand sshd will
really use before → after, the NSS source order, and the packages to install.

${EXIT_CODES_HELP.plan}

Examples:
  $ stns-fleet plan -i inventories/prod.yaml
  $ stns-fleet plan -i inventories/prod.yaml -g web --out web.plan.json
  $ stns-fleet plan -i inventories/prod.yaml --limit web-1,web-2 --limit 'db-*'
  $ stns-fleet plan -i inventories/prod.yaml --format markdown >> "$GITHUB_STEP_SUMMARY"`,
    )
    .action(async (o: PlanOptions) =>
      interruptible('cancelling in-flight commands', async (signal) => planCommand(o, await sdk(), io, signal)),
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
      .option('--timeout <duration>', 'total deadline, e.g. 15m: what is still running then is cancelled')
      .option('-v, --verbose', 'show the full plan and list every host (default: the plan in short unless asked to confirm, the first few hosts of each group)', false),
    false,
  )
    .addOption(limitOption(true))
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
  $ stns-fleet plan -i inventories/prod.yaml --out prod.plan.json && stns-fleet apply prod.plan.json
  $ stns-fleet apply prod.plan.json --limit 'lab-01*'     only those hosts of the saved plan`,
    )
    .action(async (planFile: string | undefined, o: ApplyCliOptions) =>
      interruptible('cancelling in-flight commands', async (signal) =>
        applyCommand({ ...o, ...(planFile ? { planFile } : {}) }, await sdk(), io, signal),
      ),
    );

  fleetOptions(
    program
      .command('verify')
      .description('prove every host resolves STNS users and keys (stns-key-wrapper, getent) and sshd uses the keys command')
      .option('-u, --user <name...>', 'users to check (default: the inventory\'s verify.users)')
      .option('-v, --verbose', 'list every host of each result (default: the first few and how many more)', false),
  )
    .addOption(limitOption())
    .addHelpText(
      'after',
      `
Each failure names the user and why (no keys, user unknown, endpoint unreachable, token rejected).

${EXIT_CODES_HELP.verify}

Examples:
  $ stns-fleet verify -i inventories/prod.yaml
  $ stns-fleet verify -i inventories/prod.yaml -u alice -u bob --limit 'web-*'
  $ stns-fleet verify -i inventories/prod.yaml --json | jq '.hosts[] | select(.ok | not)'`,
    )
    .action(async (o: VerifyCliOptions) =>
      interruptible('cancelling in-flight commands', async (signal) => verifyCommand(o, await sdk(), io, signal)),
    );

  addPiCommands(program, { io, sdk, interruptible, fleetOptions });

  program
    .command('profiles')
    .description('list the OS profiles stns-fleet supports')
    .option('--json', 'print JSON', false)
    .addHelpText('after', '\nExamples:\n  $ stns-fleet profiles\n  $ stns-fleet profiles --json')
    .action(async (o: { json: boolean }) => void (process.exitCode = await profilesCommand(o, io)));

  addCompletionCommand(program, (t) => io.out(t));
  deferMandatoryOptions(program);

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
    const r = errorReport(e, interruptedBy());
    for (const l of r.lines) io.err(`${l}\n`);
    return r.exitCode;
  }
}

process.exitCode = await main(process.argv);
