// Shared by the stns-fleet lab's .mjs stand-ins: where the host's tree is and what the lab wrote about it.
// Self-contained on purpose: stand-ins run outside the TypeScript build.
import { readFileSync } from 'node:fs';

/** The host's / ($STNS_FLEET_ROOT without a trailing slash; "" for a real root). */
export const ROOT = (process.env.STNS_FLEET_ROOT ?? '').replace(/\/+$/, '');

/** A path of the host, in the lab's file system. One that already lies in the host's tree is taken as is:
 * the host script passes its staged copies that way (`sshd -t -f $STNS_FLEET_ROOT/var/lib/…/sshd_config`). */
export function inRoot(p, root = ROOT) {
  if (root !== '' && (p === root || p.startsWith(`${root}/`))) return p;
  return root + p;
}

export function readHostFile(p, root = ROOT) {
  try {
    return readFileSync(inRoot(p, root), 'utf8');
  } catch {
    return undefined;
  }
}

/** The LAB_* assignments of var/lib/stns-fleet-lab/host.env (single-quoted shell words). */
export function hostEnv(root = ROOT) {
  const out = {};
  for (const line of (readHostFile('/var/lib/stns-fleet-lab/host.env', root) ?? '').split('\n')) {
    const m = /^(LAB_[A-Z_]+)='(.*)'$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/'\\''/g, "'");
  }
  return out;
}
