// Every file the renderers read on a host, per profile: what `render --root` reads from disk and what
// fact gathering must fetch.
import { PI_MODEL } from '../model/host-identity.js';
import type { WatchList } from '../model/host-snapshot.js';
import type { OsProfile } from '../profiles/types.js';
import { SSHD_CONFIG } from '../sshd/config.js';
import { CHAIN_WRAPPER } from '../sshd/strategy.js';
import { unitWatch } from '../sshd/systemd.js';
import { AUTHSELECT_WATCH } from './authselect.js';
import { NSSWITCH } from './desired.js';
import { REPO_FILES } from './packages.js';
import { STNS_CONF } from './stns-conf.js';
import { SUDOERS_DIR_WATCH, SUDOERS_WATCH } from './sudoers.js';

export const IDENTITY_FILES = ['/etc/os-release', '/usr/lib/os-release', '/etc/rpi-issue', PI_MODEL];

export function watchFor(profile: OsProfile): WatchList {
  const units = unitWatch(profile.sshd.service);
  return {
    paths: [
      ...IDENTITY_FILES, NSSWITCH, profile.pam.file, ...profile.pam.alsoCheck, SSHD_CONFIG, STNS_CONF, CHAIN_WRAPPER, ...units.paths, ...SUDOERS_WATCH,
      // authselect (RHEL family): whether nsswitch.conf is authselect's to write (src/render/authselect.ts).
      ...(profile.family === 'rhel' ? AUTHSELECT_WATCH : []),
      // Read so that plan shows the repository files as diffs against what is there.
      ...Object.values(REPO_FILES[profile.family]),
    ],
    // sudoers.d: every file (sudo reads names without a dot), not *.conf: suffix '' (see factWatch).
    dirs: [{ dir: '/etc/ssh/sshd_config.d', suffix: '.conf' }, ...units.dirs, SUDOERS_DIR_WATCH],
  };
}
