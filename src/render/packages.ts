// How a host gets libnss-stns-v2 (and cache-stnsd when the cache daemon is on): the STNS repository
// definition, its signing key (shipped in templates/keys, never fetched and piped into a trust store),
// and the install commands. The host script runs this only when a package is missing.
import { UserError } from '../errors.js';
import type { StnsSettings } from '../model/settings.js';
import type { HostIdentity, OsProfile } from '../profiles/types.js';
import type { Templates } from './templates.js';

const REPO_KEY_DATA = 'keys/stns-repo.asc';

/** The repository files stns-fleet writes (when packages must be installed), per package family. */
export const REPO_FILES = {
  debian: { keyring: '/etc/apt/keyrings/stns-fleet.gpg', source: '/etc/apt/sources.list.d/stns-fleet.list' },
  rhel: { keyring: '/etc/pki/rpm-gpg/RPM-GPG-KEY-stns-fleet', source: '/etc/yum.repos.d/stns-fleet.repo' },
} as const;

export interface PackagePlan {
  manager: 'apt' | 'yum' | 'dnf';
  packages: string[];
  /** Repository definition and key, written (with backup) only when an install is needed. */
  files: { path: string; content: Buffer; mode: number }[];
  /** Shell lines that install the packages. */
  commands: string[];
  /** The STNS repository release installed from (apt codename, or el9/el7/amzn2). */
  release: string;
  /** Why that repository, when it is not the host's own release (plan shows it as a note). */
  note?: string;
}

/** The binary OpenPGP key inside an ASCII-armored block (what apt's signed-by wants on every apt version). */
export function dearmor(armored: string): Buffer {
  const lines = armored.replace(/\r/g, '').split('\n');
  const start = lines.findIndex((l) => l.startsWith('-----BEGIN PGP PUBLIC KEY BLOCK-----'));
  const end = lines.findIndex((l) => l.startsWith('-----END PGP PUBLIC KEY BLOCK-----'));
  // The key is template data (--templates DIR may replace it): a wrong file is the user's to fix.
  if (start < 0 || end < 0) throw new UserError(`templates: ${REPO_KEY_DATA} is not an ASCII-armored OpenPGP public key`);
  let i = start + 1;
  while (i < end && lines[i]!.trim() !== '') i++; // armor headers end at the first blank line
  const body = lines.slice(i + 1, end).filter((l) => !l.startsWith('='));
  return Buffer.from(body.join(''), 'base64');
}

export function packagesFor(stns: StnsSettings): string[] {
  return stns.cached.enable ? ['libnss-stns-v2', 'cache-stnsd'] : ['libnss-stns-v2'];
}

export function planPackages(
  profile: OsProfile,
  identity: HostIdentity,
  stns: StnsSettings,
  t: Templates,
): PackagePlan | { unsupported: string } {
  const src = profile.packageSource(identity, stns.packageRelease);
  if ('unsupported' in src) return src;
  const why = { release: src.release, ...(src.note ? { note: src.note } : {}) };
  const base = stns.packageRepository.replace(/\/+$/, '');
  const packages = packagesFor(stns);
  const armored = t.data(REPO_KEY_DATA).toString('utf8');
  if (src.manager === 'apt') {
    const { keyring, source: list } = REPO_FILES.debian;
    const url = `${base}/${src.pathPrefix}/`;
    return {
      manager: 'apt',
      packages,
      files: [
        { path: keyring, content: dearmor(armored), mode: 0o644 },
        { path: list, content: Buffer.from(t.render('apt-source.list.hbs', { keyring, url, suite: src.suite, component: src.component })), mode: 0o644 },
      ],
      commands: [
        // Refresh only the STNS list: a broken unrelated source must not block us, nor we it.
        'apt-get update -o Dir::Etc::sourcelist=sources.list.d/stns-fleet.list -o Dir::Etc::sourceparts=- ' +
          '-o APT::Get::List-Cleanup=0 -o Acquire::Retries=1 -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20',
        `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold ${packages.join(' ')}`,
      ],
      ...why,
    };
  }
  const { keyring, source: repo } = REPO_FILES.rhel;
  return {
    manager: src.manager,
    packages,
    files: [
      { path: keyring, content: Buffer.from(armored), mode: 0o644 },
      { path: repo, content: Buffer.from(t.render('yum.repo.hbs', { url: `${base}/${src.path}`, keyring })), mode: 0o644 },
    ],
    commands: [`${src.manager} install -y ${packages.join(' ')}`],
    ...why,
  };
}
