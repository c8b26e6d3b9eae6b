// The facts script: templates/host/facts.sh plus the lists of what to read. One script for every host
// (the union of every profile's watch list), so a whole batch shares one SendCommand and one payload.
import { PI_MODEL } from '../model/host-identity.js';
import { IDENTITY_FILES, watchFor } from '../render/watch.js';
import { PROFILES } from '../profiles/index.js';
import type { Templates } from '../render/templates.js';
import { shq } from '../host-script/shq.js';
import { KEY_WRAPPER } from '../sshd/strategy.js';
import { SECRET_BEARING } from '../render/redact-stns-conf.js';
import { redactorData } from '../host-script/redactor-data.js';
import { hostLibrary } from '../host-script/compact.js';

export const FACTS_LIB = 'host/facts.sh';
const FACTS_OUT = '/var/lib/stns-fleet/facts.out';
const FACT_PACKAGES = ['libnss-stns-v2', 'cache-stnsd'] as const;
/** Paths whose existence matters but whose content does not. (authselect is detected from files the watch
 * lists read, /etc/authselect/authselect.conf and nsswitch.conf's header, so it needs no probe.) */
const FACT_PROBES = [KEY_WRAPPER, '/etc/rpi-issue', ...new Set(PROFILES.flatMap((p) => p.eicCommands))];
/** The device-tree model, read as a file (src/model/host-identity.ts). */
export { PI_MODEL };

/** What the facts read: exact paths; directories whose *.conf files are all read (SF_DIRS); directories whose
 * every regular file is read (SF_ANY_DIRS: /etc/sudoers.d, whose files sudo reads only when the name has no dot). */
export function factWatch(): { paths: string[]; dirs: string[]; anyDirs: string[] } {
  const paths = new Set<string>([...IDENTITY_FILES, PI_MODEL]);
  const dirs = new Set<string>();
  const anyDirs = new Set<string>();
  for (const p of PROFILES) {
    const w = watchFor(p);
    for (const x of w.paths) paths.add(x);
    for (const d of w.dirs) {
      if (d.suffix === '') anyDirs.add(d.dir);
      else if (d.suffix === '.conf') dirs.add(d.dir);
      else throw new Error(`facts.sh reads *.conf or every file, not *${d.suffix} in ${d.dir}`);
    }
  }
  return { paths: [...paths].sort(), dirs: [...dirs].sort(), anyDirs: [...anyDirs].sort() };
}


/** `reportKeyPem`: this run's report key (see report-key.ts); without it hosts report no real digests. */
export function factsScript(t: Templates, reportKeyPem = ''): string {
  const w = factWatch();
  const lib = hostLibrary(t.data(FACTS_LIB));
  // As the host script: the library, then its data, then the one call that runs it.
  return [
    lib,
    '',
    `SF_PACKAGES=${shq(FACT_PACKAGES.join(' '))}`,
    `SF_PROBES=${shq(FACT_PROBES.join(' '))}`,
    `SF_PATHS=${shq(w.paths.join(' '))}`,
    `SF_DIRS=${shq(w.dirs.join(' '))}`,
    `SF_ANY_DIRS=${shq(w.anyDirs.join(' '))}`,
    ...redactorData(t),
    `SF_SECRET_PATHS=${shq(SECRET_BEARING.join(' '))}`,
    `SF_REPORT_KEY=${shq(reportKeyPem.trim())}`,
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
