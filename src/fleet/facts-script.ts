// The facts script: templates/host/facts.sh plus the lists of what to read. One script for every host
// (the union of every profile's watch list), so a whole batch shares one SendCommand and one payload.
import { IDENTITY_FILES, watchFor } from '../render/watch.js';
import { PROFILES } from '../profiles/index.js';
import type { Templates } from '../render/templates.js';
import { shq } from '../host-script/generate.js';
import { KEY_WRAPPER } from '../sshd/strategy.js';

export const FACTS_LIB = 'host/facts.sh';
export const FACTS_OUT = '/var/lib/stns-fleet/facts.out';
export const FACT_PACKAGES = ['libnss-stns-v2', 'cache-stnsd'] as const;
/** Paths whose existence matters but whose content does not. */
export const FACT_PROBES = [KEY_WRAPPER, '/etc/rpi-issue', ...new Set(PROFILES.flatMap((p) => p.eicCommands))];
/** Read as a file too: the device-tree model names a Raspberry Pi (/proc is not under STNS_FLEET_ROOT on a tree). */
export const PI_MODEL = '/proc/device-tree/model';

export function factWatch(): { paths: string[]; dirs: string[] } {
  const paths = new Set<string>([...IDENTITY_FILES, PI_MODEL]);
  const dirs = new Set<string>();
  for (const p of PROFILES) {
    const w = watchFor(p);
    for (const x of w.paths) paths.add(x);
    for (const d of w.dirs) {
      if (d.suffix !== '.conf') throw new Error(`facts.sh reads *.conf only, not *${d.suffix} in ${d.dir}`);
      dirs.add(d.dir);
    }
  }
  return { paths: [...paths].sort(), dirs: [...dirs].sort() };
}

export function factsScript(t: Templates): string {
  const w = factWatch();
  // As the host script: the library, then its data, then the one call that runs it.
  return [
    t.data(FACTS_LIB).toString('utf8').trimEnd(),
    '',
    `SF_PACKAGES=${shq(FACT_PACKAGES.join(' '))}`,
    `SF_PROBES=${shq(FACT_PROBES.join(' '))}`,
    `SF_PATHS=${shq(w.paths.join(' '))}`,
    `SF_DIRS=${shq(w.dirs.join(' '))}`,
    'sf_facts',
    '',
  ].join('\n');
}

/** Reads back part of a host's last facts output (when SSM truncated it). */
export function factsChunkScript(offset: number, length: number): string {
  return [
    '#!/bin/sh',
    '# stns-fleet: read back part of this host\'s last facts output (SSM truncates long outputs).',
    'R="${STNS_FLEET_ROOT:-}"',
    `tail -c +${offset + 1} "\${R%/}${FACTS_OUT}" | head -c ${length}`,
    '',
  ].join('\n');
}
