// stns-fleet lab stand-in for getent, as a process (lib/getent.mjs; the lab answers it without one: served.sh).
import { ROOT } from './lib/host.mjs';
import { getent } from './lib/getent.mjs';

const r = await getent(process.argv.slice(2), ROOT);
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.exitCode = r.code;
