// stns-fleet lab stand-in for sshd: `sshd -t|-T [-o K=V …] [-f FILE]` on the host tree ($STNS_FLEET_ROOT)
// (the checks: lib/sshd-check.mjs). A process per call; the lab serves the same answer without one (served.sh).
import { ROOT } from './lib/host.mjs';
import { sshdCheck } from './lib/sshd-check.mjs';

const r = sshdCheck(process.argv.slice(2), ROOT);
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.exitCode = r.code;
