// Chroot hosts: a copy of the cached Debian 12 rootfs per host, commands run with chroot, so the project's
// host script meets the real dash, dpkg and sshd. Skipped (saying why) where that is impossible: not root,
// or no cached rootfs (scripts/debian-rootfs.sh builds it).
import { describe, expect, test } from 'vitest';
import { chrootSupport } from '../src/chroot-hosts.js';
import { startLab, type Lab } from '../src/lab.js';
import { resolveOptions } from '../src/options.js';
import { clients, hostScript, run, stdoutOf } from './helpers.js';

const support = chrootSupport();

test('without support, chroot hosts are a usage error that says why', () => {
  if (support.ok) expect(resolveOptions({ chroot: 1 }).chroot).toBe(1);
  else expect(() => resolveOptions({ chroot: 1 })).toThrow(support.reason);
});

describe.skipIf(!support.ok)(`chroot hosts${support.ok ? '' : ` [skipped: ${support.reason}]`}`, () => {
  test('the host script converges a real Debian 12 root (dpkg, sshd -t); keys and users come from the lab STNS server', async () => {
    const lab: Lab = await startLab({ hosts: 1, pis: 0, chroot: 1, executionTimeoutMs: 30_000 });
    try {
      const { ssm } = clients(lab);
      const h = lab.hosts.find((x) => x.chroot)!;
      expect(h).toMatchObject({ os: 'debian-12', kind: 'ec2', pingStatus: 'Online' });
      const probe = await run(ssm, { ids: [h.id!] }, 'echo "root=${STNS_FLEET_ROOT:-/}"; command -v sshd; dpkg-query -W -f=\'${Status}\\n\' openssh-server libnss-stns-v2');
      expect(probe.invocations[0]?.CommandPlugins?.[0]?.Output).toBe('root=/\n/usr/sbin/sshd\ninstall ok installed\ninstall ok installed\n');
      const script = await hostScript('debian-12', lab.stnsEndpoint, lab.tokens.web);
      const r = await run(ssm, { ids: [h.id!] }, script, { Parameters: { commands: [script], executionTimeout: ['60'] } });
      const full = await stdoutOf(ssm, r.command.CommandId!, h.id!);
      expect(r.invocations[0]?.Status, full.out + full.err).toBe('Success');
      expect(full.out).toContain('stns-fleet: sshd -t accepts the new configuration');
      expect(full.out.trim().split('\n').pop()).toBe('STNS_FLEET_RESULT=changed');
      const check = await run(ssm, { ids: [h.id!] }, '/usr/lib/stns/stns-key-wrapper alice; getent passwd bob; sshd -T | grep "^authorizedkeyscommand "');
      const alice = lab.stnsUsers.find((u) => u.name === 'alice')!.keys[0]!;
      expect(check.invocations[0]?.CommandPlugins?.[0]?.Output).toBe(`${alice}\n\nbob:x:2002:2002:Bob Lab:/home/bob:/bin/bash\nauthorizedkeyscommand /usr/lib/stns/stns-key-wrapper\n`);
    } finally {
      await lab.stop();
    }
  }, 120_000);
});
