// Amazon Linux: sshd service `sshd`, RHEL-style PAM. AL2 (OpenSSH 7.4) has no Include in sshd_config and
// its AMIs append EC2 Instance Connect's two lines to sshd_config itself. AL2023 has the RHEL 9 layout (Include
// right after the header, 50-redhat.conf); its standard AMI carries EIC in sshd_config.d/60-ec2-instance-connect.conf
// (the minimal AMI has no EIC). The sshd strategy is decided from each host's files, never from here.
import { rpmRelease } from './package-releases.js';
import type { OsProfile, PackageSource } from './types.js';

const rhelPam: OsProfile['pam'] = {
  file: '/etc/pam.d/sshd',
  control: 'optional',
  after: [/^session\s+include\s+password-auth\s*$/, /^session\s+/],
  alsoCheck: ['/etc/pam.d/password-auth', '/etc/pam.d/system-auth'],
};

function rpmSource(own: string, label: string, manager: 'yum' | 'dnf') {
  return (_h: unknown, override?: string): PackageSource | { unsupported: string } => {
    const r = rpmRelease(own, label, override);
    if ('unsupported' in r) return r;
    return { manager, path: r.path, release: r.release, ...(r.note ? { note: r.note } : {}) };
  };
}

const AL2_END_OF_SUPPORT =
  'Amazon Linux 2 reached end of support on 2026-06-30: no more security updates from AWS. stns-fleet still ' +
  'converges it; plan a move to Amazon Linux 2023';

export const amazonLinux2: OsProfile = {
  id: 'amazon-linux-2',
  label: 'Amazon Linux 2',
  family: 'rhel',
  stockLayers: () => ['amazon-linux-2'],
  stockVariants: [{ id: 'ami', description: 'Amazon Linux 2 AMI (EIC lines in sshd_config)', layers: () => ['amazon-linux-2'] }],
  matches: (h) => h.osRelease['ID'] === 'amzn' && h.osRelease['VERSION_ID'] === '2',
  defaultArch: 'amd64',
  sshd: { service: 'sshd', openssh: '7.4p1', programs: ['sshd'] },
  sudo: 'sudo',
  notes: [AL2_END_OF_SUPPORT],
  pam: rhelPam,
  // The STNS yum repo's centos/<arch>/2 tree carries the el7 builds for Amazon Linux 2.
  packageSource: rpmSource('amzn2', 'Amazon Linux 2', 'yum'),
  eicCommands: ['/opt/aws/bin/eic_run_authorized_keys', '/opt/aws/bin/curl_authorized_keys'],
};

const al2023Standard = {
  id: 'standard',
  description: 'AL2023 standard AMI (EC2 Instance Connect in sshd_config.d/60-ec2-instance-connect.conf)',
  layers: (): string[] => ['amazon-linux-2023', 'amazon-linux-2023-eic'],
};
const al2023Minimal = { id: 'minimal', description: 'AL2023 minimal AMI (no EC2 Instance Connect)', layers: (): string[] => ['amazon-linux-2023'] };

export const amazonLinux2023: OsProfile = {
  id: 'amazon-linux-2023',
  label: 'Amazon Linux 2023',
  family: 'rhel',
  stockVariants: [al2023Standard, al2023Minimal],
  stockLayers: (_arch, variant) => (variant === 'minimal' ? al2023Minimal.layers() : al2023Standard.layers()),
  matches: (h) => h.osRelease['ID'] === 'amzn' && h.osRelease['VERSION_ID'] === '2023',
  defaultArch: 'amd64',
  sshd: { service: 'sshd', openssh: '8.7p1', programs: ['sshd'] },
  sudo: 'sudo',
  notes: [],
  pam: rhelPam,
  // yum-repo.sh would compute centos/<arch>/2023, which is not built; the el9 builds fit AL2023 (package-releases.ts).
  packageSource: rpmSource('amzn2023', 'Amazon Linux 2023', 'dnf'),
  eicCommands: ['/opt/aws/bin/eic_run_authorized_keys'],
};
