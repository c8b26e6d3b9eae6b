// Amazon Linux: sshd service `sshd`, RHEL-style PAM. AL2 (OpenSSH 7.4) has no Include in sshd_config and
// its AMIs append EC2 Instance Connect's two lines to sshd_config itself. For AL2023 the EIC wiring is not
// confirmed (stock/SOURCES.md), so the sshd strategy is decided from the host's files.
import type { OsProfile, PackageSource } from './types.js';

const rhelPam: OsProfile['pam'] = {
  file: '/etc/pam.d/sshd',
  control: 'optional',
  after: [/^session\s+include\s+password-auth\s*$/, /^session\s+/],
  alsoCheck: ['/etc/pam.d/password-auth', '/etc/pam.d/system-auth'],
};

function rpmSource(path: string, manager: 'yum' | 'dnf') {
  return (): PackageSource => ({ manager, path });
}

export const amazonLinux2: OsProfile = {
  id: 'amazon-linux-2',
  label: 'Amazon Linux 2',
  family: 'rhel',
  stockLayers: () => ['amazon-linux-2'],
  matches: (h) => h.osRelease['ID'] === 'amzn' && h.osRelease['VERSION_ID'] === '2',
  defaultArch: 'amd64',
  sshd: { service: 'sshd', openssh: '7.4p1' },
  pam: rhelPam,
  // The STNS yum repo's centos/<arch>/2 tree carries the el7 builds for Amazon Linux 2.
  packageSource: rpmSource('centos/$basearch/2', 'yum'),
  eicCommands: ['/opt/aws/bin/eic_run_authorized_keys', '/opt/aws/bin/curl_authorized_keys'],
};

export const amazonLinux2023: OsProfile = {
  id: 'amazon-linux-2023',
  label: 'Amazon Linux 2023',
  family: 'rhel',
  stockLayers: () => ['amazon-linux-2023'],
  matches: (h) => h.osRelease['ID'] === 'amzn' && h.osRelease['VERSION_ID'] === '2023',
  defaultArch: 'amd64',
  sshd: { service: 'sshd', openssh: '8.7p1' },
  pam: rhelPam,
  // yum-repo.sh would compute centos/<arch>/2023, which is not built; the el9 builds fit AL2023.
  packageSource: rpmSource('almalinux/$basearch/9', 'dnf'),
  eicCommands: ['/opt/aws/bin/eic_run_authorized_keys'],
};
