// stns-fleet lab stand-in for stns-key-wrapper, as a process (lib/key-wrapper.mjs; the lab answers it
// without one: served.sh).
import { ROOT } from './lib/host.mjs';
import { keyWrapper } from './lib/key-wrapper.mjs';

const r = await keyWrapper(process.argv.slice(2), ROOT);
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.exitCode = r.code;
