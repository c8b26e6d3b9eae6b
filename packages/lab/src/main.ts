#!/usr/bin/env node
// `npm run lab -- --port 4566 --hosts 50 [--os a,b] [--faults SPEC] [--seed N] [--latency-ms N]`: runs a lab in
// the foreground, prints the endpoint and the export lines that point the AWS SDK (and so stns-fleet) at it,
// and on Ctrl-C stops it and removes its directory.
import { banner, optionsFromArgs, USAGE } from './cli.js';
import { startLab, type Lab } from './lab.js';
import { LabOptionsError } from './options.js';

async function main(): Promise<void> {
  let lab: Lab;
  try {
    lab = await startLab(optionsFromArgs(process.argv.slice(2)));
  } catch (e) {
    const usage = e instanceof LabOptionsError || (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`stns-fleet lab: ${e instanceof Error ? e.message : String(e)}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(usage ? 2 : 1);
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nstns-fleet lab: stopping\n');
    void lab.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // After the handlers: whoever reads the banner may stop the lab at once.
  process.stdout.write(`${banner(lab)}\n`);
}

await main();
