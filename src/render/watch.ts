// Every file the renderers read on a host, per profile: what `render --root` reads from disk and what
// fact gathering must fetch.
import type { WatchList } from '../host/snapshot.js';
import type { OsProfile } from '../profiles/types.js';
import { SSHD_CONFIG } from '../sshd/config.js';
import { CHAIN_WRAPPER } from '../sshd/strategy.js';
import { unitWatch } from '../sshd/systemd.js';
import { NSSWITCH } from './desired.js';
import { STNS_CONF } from './stns-conf.js';
import { SUDOERS_WATCH } from './sudoers.js';

export const IDENTITY_FILES = ['/etc/os-release', '/usr/lib/os-release', '/etc/rpi-issue'];

export function watchFor(profile: OsProfile): WatchList {
  const units = unitWatch(profile.sshd.service);
  return {
    paths: [...IDENTITY_FILES, NSSWITCH, profile.pam.file, ...profile.pam.alsoCheck, SSHD_CONFIG, STNS_CONF, CHAIN_WRAPPER, ...units.paths, ...SUDOERS_WATCH],
    dirs: [{ dir: '/etc/ssh/sshd_config.d', suffix: '.conf' }, ...units.dirs],
  };
}
