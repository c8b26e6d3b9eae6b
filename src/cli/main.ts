#!/usr/bin/env node
// The stns-fleet command line: parse arguments, run one command, map the outcome to an exit code.
// Everything the user can cause ends as a one-paragraph message and exit 1, never a stack trace.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { isFleetError } from '../errors.js';
import { OS_PROFILE_IDS } from '../profiles/ids.js';
import { profilesCommand } from '../commands/profiles.js';
import { renderCommand } from '../commands/render.js';
import { validateCommand } from '../inventory/validate.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function emit(r: { exitCode: number; stdout: string; stderr: string }): void {
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  process.exitCode = r.exitCode;
}

export function buildProgram(): Command {
  const program = new Command('stns-fleet')
    .description(
      'Turn a fleet of Linux machines (EC2 instances and hybrid-activated Raspberry Pis) into STNS clients\n' +
        'over AWS Systems Manager Run Command: no SSH, no S3.',
    )
    .version(pkg.version, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .addHelpText(
      'after',
      `
Typical session:
  $ stns-fleet validate -i inventories/prod.yaml       check the inventory (no AWS calls)
  $ stns-fleet render -i inventories/prod.yaml --os debian-12 --out out/ --diff
                                                        see every managed file for one OS, offline

Exit codes: 0 success, 1 error (the message says what and where).`,
    );

  program
    .command('validate')
    .description('check an inventory file: one line per problem as FILE:LINE:COL: field.path: message')
    .requiredOption('-i, --inventory <file>', 'inventory YAML (see inventories/example.yaml)')
    .option('--json', 'print the result as one JSON document on stdout', false)
    .addHelpText('after', '\nResolves no secret and calls no AWS API. Exit 0 when valid, 1 otherwise.')
    .action(async (o: { inventory: string; json: boolean }) => emit(await validateCommand(o.inventory, { json: o.json })));

  program
    .command('render')
    .description('write the desired content of every managed file for one OS profile, from a host tree or the stock files')
    .requiredOption('-i, --inventory <file>', 'inventory YAML')
    .addOption(new Option('--os <os>', 'OS profile').choices([...OS_PROFILE_IDS]).makeOptionMandatory())
    .requiredOption('--out <dir>', 'write each file at its absolute path under DIR (DIR/etc/nsswitch.conf, …)')
    .option('-g, --group <name>', "use this group's settings (default: the group for --os, else the first)")
    .option('--root <dir>', "current files from DIR, laid out like a host's / (default: the profile's stock files)")
    .option('--arch <arch>', 'host architecture: amd64, arm64, armhf (default: the profile\'s usual one)')
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
      emit(await renderCommand(o)),
    );

  program
    .command('profiles')
    .description('list the OS profiles stns-fleet supports')
    .option('--json', 'print JSON', false)
    .action(async (o: { json: boolean }) => emit({ exitCode: 0, stdout: await profilesCommand(o), stderr: '' }));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1; // commander already printed it
    if (isFleetError(e)) {
      process.stderr.write(`stns-fleet: error: ${e.message}\n`);
      for (const d of e.details) process.stderr.write(`${d}\n`);
      if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`stns-fleet: internal error: ${err.message}\n`);
    if (process.env['STNS_FLEET_DEBUG']) process.stderr.write(`${err.stack ?? ''}\n`);
    else process.stderr.write('This is a bug in stns-fleet; run again with STNS_FLEET_DEBUG=1 for a stack trace and report it.\n');
    return 1;
  }
}

process.exitCode = await main(process.argv);
