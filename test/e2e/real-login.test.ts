// The sentence everything stns-fleet claims ends in: after `apply`, an STNS user can log in by SSH and gets a
// home directory. Shown here with real components end to end: the stns-fleet commands (in-process, through the
// AWS SDK and the lab's SSM endpoint) converge a lab chroot host, a Debian 12 root filesystem carrying the REAL
// libnss-stns-v2 built from upstream source (scripts/stns-real-rootfs.sh); then that host's real sshd, started
// as its systemd unit would start it, is asked by the real OpenSSH client (the Debian 12 openssh-client, in a
// root of its own) to let in a user that exists only in the lab's STNS server, with a key pair made here:
// sshd runs the real stns-key-wrapper, glibc NSS loads the real libnss_stns.so.2, PAM runs pam_mkhomedir.
// Then three ways it must fail (nsswitch.conf without stns, sshd's AuthorizedKeysCommand pointing elsewhere,
// pam_mkhomedir removed), each undone afterwards and followed by a login that works again.
//
// What is not real: cache-stnsd. It is Go 1.25 and its modules cannot be fetched here, so it cannot be built;
// the inventory sets `stns: { cached: { enable: false } }` (with cached on, the real module talks only to
// cache-stnsd's socket and would find nothing). The host is a chroot, not a booted system: no systemd, so sshd
// is started by this test with the unit's ExecStart, and the host's network is the machine's loopback.
//
// Root only; in CI (CI=true) this suite fails rather than skips when it cannot run (as the chroot suites do).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { applyCommand } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import { planCommand } from '../../src/cli/run.js';
import { verifyCommand } from '../../src/cli/run.js';
import { sdkTransport } from '../../src/cli/transport.js';
import { snapshotFromRoot } from '../../src/model/host-snapshot.js';
import { startLab, type Lab } from '@stns-fleet/lab';
import { effectiveExecStart, unitWatch } from '../../src/sshd/systemd.js';
import { freshRoot, hostPath, readFileIn, runInChroot, writeFileIn, type FreshRoot, type RunResult } from '../chroot/harness.js';
import { BUILD_TIMEOUT_MS, ensureRealRootfs, freePort, requireRealStnsOrSkip } from '../real/real-stns.js';
import { capture } from '../helpers/capture.js';

const describeReal = requireRealStnsOrSkip(['setpriv', 'unshare']);

const USER = 'yuki';
const UID = 5001;
const DEV_GID = 5100;
const SKEL_MARKER = '.stns-fleet-skel-marker';
/** Generous limits for waiting on events (the machine may be loaded): never a measure of speed. */
const LONG = 10 * 60_000;


/** An sshd running in the host's root (own mount and pid namespace, own process group). */
interface Sshd {
  child: ChildProcess;
  port: number;
  log: () => string;
  stop: () => Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let escalate: NodeJS.Timeout | undefined;
    child.once('exit', () => {
      clearTimeout(escalate);
      live.delete(child);
      resolve();
    });
    const kill = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    kill('SIGTERM');
    escalate = setTimeout(() => kill('SIGKILL'), 30_000);
  });
}

describeReal('an STNS-only user logs in over SSH after apply (real libnss-stns-v2, sshd, PAM, OpenSSH client)', () => {
  let lab: Lab;
  let inv: string;
  let host: string; // the chroot host's root directory
  let client: FreshRoot; // the ssh client's own Debian 12 root
  let goodKey = ''; // the public key STNS serves for USER
  const running = new Set<Sshd>();

  const inHost = (script: string): Promise<RunResult> => runInChroot(host, script);
  const inClient = (script: string): Promise<RunResult> => runInChroot(client.dir, script);

  /** sshd as its unit starts it (ExecStart with EnvironmentFile's SSHD_OPTS), in the foreground, logging to
   * stderr, listening on 127.0.0.1:PORT. ExecStartPre's `sshd -t` first. Resolves once it is listening. */
  async function startSshd(): Promise<Sshd> {
    const exec = effectiveExecStart(await snapshotFromRoot(host, unitWatch('ssh')), 'ssh');
    if (!exec) throw new Error('the host has no ssh.service ExecStart');
    const envFile = (await readFileIn(host, '/etc/default/ssh').catch(() => '')).split('\n');
    const env = new Map(envFile.flatMap((l) => {
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l);
      return m ? [[m[1]!, m[2]!.replace(/^"(.*)"$/, '$1')] as const] : [];
    }));
    // systemd: $VAR splits into words, ${VAR} is one word; unset or empty leaves nothing.
    const argv = exec.argv.flatMap((a) => {
      const m = /^\$(?:\{(\w+)\}|(\w+))$/.exec(a);
      if (!m) return [a];
      const v = env.get(m[1] ?? m[2]!) ?? '';
      return m[1] ? (v === '' ? [] : [v]) : v.split(/\s+/).filter(Boolean);
    });
    expect(argv.slice(0, 2)).toEqual(['/usr/sbin/sshd', '-D']);
    const pre = await inHost('/usr/sbin/sshd -t\n');
    expect(pre, pre.stderr).toMatchObject({ code: 0 });
    const port = await freePort();
    // Every way out stops it: stop() kills the process group; unshare's --kill-child takes sshd (pid 1 of its
    // pid namespace, so everything in it) along when unshare dies; setpriv's --pdeathsig kills unshare when this
    // worker dies without running its exit hooks (vitest ends workers with a signal).
    const child = spawn(
      'setpriv',
      ['--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', `--mount-proc=${path.join(host, 'proc')}`, 'chroot', host, ...argv, '-e', '-p', String(port), '-o', 'ListenAddress=127.0.0.1'],
      { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' }, cwd: '/', detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    live.add(child);
    let log = '';
    const listening = new Promise<void>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (c: string) => {
        log += c;
        if (/Server listening on 127\.0\.0\.1 port \d+/.test(log)) resolve();
      });
      child.once('exit', (code, sig) => reject(new Error(`sshd exited before listening (${code ?? sig}):\n${log}`)));
      child.once('error', reject);
    });
    let timer: NodeJS.Timeout | undefined;
    const s: Sshd = {
      child,
      port,
      log: () => log,
      stop: async () => {
        running.delete(s);
        await stopGroup(child);
      },
    };
    running.add(s);
    try {
      await Promise.race([listening, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`sshd did not listen within ${LONG} ms:\n${log}`)), LONG)))]);
    } catch (e) {
      await s.stop();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return s;
  }

  /** The real OpenSSH client, in its own root: ssh -i KEY USER@127.0.0.1 -p PORT COMMAND. */
  const ssh = (s: Sshd, user: string, key: string, command: string): Promise<RunResult> =>
    inClient(
      `exec ssh -F /dev/null -i /root/.ssh/${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ` +
        `-o ConnectTimeout=120 -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -o LogLevel=ERROR -p ${s.port} ${user}@127.0.0.1 '${command}'\n`,
    );

  /** Runs f with sshd started now (so it reads the configuration as it is), and stops it whatever happens. */
  async function withSshd<T>(f: (s: Sshd) => Promise<T>): Promise<T> {
    const s = await startSshd();
    try {
      return await f(s);
    } finally {
      await s.stop();
    }
  }

  /** Edits a host file for the duration of f, then puts the original bytes (and mode) back. */
  async function editing<T>(file: string, edit: (text: string) => string, f: () => Promise<T>): Promise<T> {
    const original = await readFileIn(host, file);
    const mode = (await stat(await hostPath(host, file))).mode & 0o7777;
    const changed = edit(original);
    expect(changed, `${file} unchanged by the edit`).not.toBe(original);
    await writeFileIn(host, file, changed, mode);
    try {
      return await f();
    } finally {
      await writeFileIn(host, file, original, mode);
    }
  }

  /** The real module caches every answer (404s included) under /var/cache/stns/<euid>/ for cache_ttl (600 s),
   * keyed by the query path only. After a root lookup (a test's getent, an earlier login) the root cache holds
   * `users?name=yuki`, so sshd's lookups and its key-wrapper run would be answered from it and never reach the
   * server. A test that wants to see the login's own requests clears it first. */
  const dropModuleCache = async (): Promise<void> => {
    expect((await inHost('rm -rf /var/cache/stns\n')).code).toBe(0);
  };

  async function loginWorks(s: Sshd): Promise<void> {
    const r = await ssh(s, USER, 'id_stns', 'id -u');
    expect(r, `${r.stderr}\nsshd:\n${s.log()}`).toMatchObject({ code: 0, stdout: `${UID}\n` });
  }

  beforeAll(async () => {
    const rootfs = await ensureRealRootfs();
    client = await freshRoot(); // the plain Debian 12 rootfs: openssh-client comes with openssh-server
    const keygen = await inClient(
      'set -e\nmkdir -p -m 700 /root/.ssh\nssh-keygen -q -t ed25519 -N "" -C yuki@real-login-test -f /root/.ssh/id_stns\nssh-keygen -q -t ed25519 -N "" -C stranger@real-login-test -f /root/.ssh/id_other\ncat /root/.ssh/id_stns.pub\n',
    );
    expect(keygen, keygen.stderr).toMatchObject({ code: 0 });
    goodKey = keygen.stdout.trim();
    lab = await startLab({
      hosts: 0,
      pis: 0,
      chroot: 1,
      chrootRootfs: rootfs,
      seed: 'real-login',
      executionTimeoutMs: LONG,
      deliveryTimeoutMs: 60_000,
      stnsDirectory: {
        users: [{ name: USER, id: UID, gecos: 'Yuki (in STNS only)', keys: [goodKey] }],
        groups: [
          { name: USER, id: UID, users: [USER] },
          { name: 'developers', id: DEV_GID, users: [USER] },
        ],
      },
    });
    Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '500' });
    host = lab.hosts.find((h) => h.chroot)!.dir;
    // The image's skeleton: pam_mkhomedir copies it into a new home.
    await writeFileIn(host, `/etc/skel/${SKEL_MARKER}`, 'made from /etc/skel\n');
    inv = path.join(lab.workDir, 'inventory.yaml');
    writeFileSync(
      inv,
      `version: 1
aws: { region: ${lab.region} }
stns:
  api_endpoint: ${lab.stnsEndpoint}
  allow_insecure_http: true
  auth_token: { ssm_parameter: /stns-fleet/lab/web-token }
  # cache-stnsd (Go 1.25) cannot be built here: its Go modules are unreachable offline. With [cached] enable the
  # real module asks only cache-stnsd's socket, so the host must ask the STNS server directly.
  cached: { enable: false }
rollout: { canary: 1, max_concurrency: 1, max_errors: 0 }
verify: { users: [${USER}] }
groups:
  web: { targets: [ { tags: { Env: lab, Role: web } } ] }
`,
    );
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    for (const s of [...running]) await s.stop();
    await lab?.stop();
    await client?.cleanup();
  }, LONG);

  test('the host is an STNS stranger before apply: the real package is on the image, nsswitch and sshd know nothing of it', async () => {
    const r = await inHost(
      "dpkg-query -W -f='${Status} ${Version}\\n' libnss-stns-v2; head -c 4 /usr/lib/stns/stns-key-wrapper | od -An -c | tr -d ' '; " +
        'test -e /usr/local/bin/getent || echo "no stand-in getent"; grep -c stns /etc/nsswitch.conf; getent passwd yuki; echo "getent=$?"\n',
    );
    // The lab kept the image's package (it installs a dummy one only where the image has none).
    expect(r.stdout).toBe('install ok installed 2.6.10-1\n177ELF\nno stand-in getent\n0\ngetent=2\n');
  }, LONG);

  test('plan (2) → apply --yes (0) → verify (0) → plan (0), through the SDK and the lab\'s SSM endpoint', async () => {
    const out: string[] = [];
    const step = async (f: (io: Io) => Promise<number>): Promise<number> => {
      const c = capture();
      const code = await f(c.io);
      out.push(c.text());
      return code;
    };
    expect(await step((io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io)), out.at(-1)).toBe(2);
    expect(out[0]).toMatch(/Plan: 1 to change/);
    expect(await step((io) => applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, io)), out.at(-1)).toBe(0);
    expect(out[1]).toMatch(/Apply: 1 changed/);
    expect(await step((io) => verifyCommand({ inventory: inv, quiet: true }, sdkTransport, io)), out.at(-1)).toBe(0);
    expect(out[2]).toMatch(/Verify: 1 passed, 0 failed/);
    expect(await step((io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io)), out.at(-1)).toBe(0);
    expect(out[3]).toMatch(/Plan: 0 to change, 1 unchanged/);
    for (const o of out) expect(o).not.toContain(lab.tokens.web);
    // The real module never met a refused connection on the way (it would have left /var/tmp/.stns.lock and
    // failed every lookup for request_locktime, 60 s), and the host asks the lab with the web token.
    expect((await inHost('test -e /var/tmp/.stns.lock && echo locked || echo none\n')).stdout).toBe('none\n');
    expect(lab.stnsRequests().filter((r) => r.token === 'web' && r.url === `/v1/users?name=${USER}`).length).toBeGreaterThan(0);
    expect(lab.stats().stns.unauthorized).toBe(0);
    // verify looks up as an unused euid (templates/host/verify.sh), past any cached answer: root's cache, the one
    // sshd's lookups read, holds nothing of it (and the host script emptied it when it wrote stns.conf).
    expect((await inHost('ls /var/cache/stns/0/ 2>/dev/null; true\n')).stdout).not.toContain(`users%3Fname%3D${USER}`);
  }, LONG);

  test('getent resolves the user through libnss_stns.so.2 (glibc loads it); `getent -s files` does not find it', async () => {
    const r = await inHost(`getent passwd ${USER}; getent -s stns passwd ${USER}; getent group developers; getent -s files passwd ${USER}; echo "files=$?"\n`);
    const line = `${USER}:x:${UID}:${UID}:Yuki (in STNS only):/home/${USER}:/bin/bash`;
    expect(r.stdout).toBe(`${line}\n${line}\ndevelopers:x:${DEV_GID}:${USER}\nfiles=2\n`);
    const loaded = await inHost(`LD_DEBUG=libs getent passwd ${USER} 2>&1 >/dev/null | grep -o "calling init: [^ ]*libnss_stns.so.2" | sed "s|.*/||"\n`);
    expect(loaded.stdout).toBe('libnss_stns.so.2\n');
    expect((await inHost(`/usr/sbin/sshd -T -C user=${USER},host=h,addr=127.0.0.1 | grep -i "^authorizedkeyscommand"\n`)).stdout).toBe(
      'authorizedkeyscommand /usr/lib/stns/stns-key-wrapper\nauthorizedkeyscommanduser root\n',
    );
  }, LONG);

  test('the STNS user logs in with its key: id shows the STNS uid, gid and groups; pam_mkhomedir made the home from /etc/skel', async () => {
    // No home, so no ~/.ssh/authorized_keys: a key sshd accepts can only come from its AuthorizedKeysCommand.
    expect((await inHost(`test -e /home/${USER} && echo exists || echo absent\n`)).stdout).toBe('absent\n');
    const fingerprint = (await inClient('ssh-keygen -l -f /root/.ssh/id_stns.pub\n')).stdout.split(' ')[1]!;
    await dropModuleCache();
    await withSshd(async (s) => {
      const n = lab.stnsRequests().length;
      const r = await ssh(s, USER, 'id_stns', `id; pwd; ls -A; cat ${SKEL_MARKER}; stat -c "%U:%G %a" .`);
      expect(r, `${r.stderr}\nsshd:\n${s.log()}`).toMatchObject({ code: 0 });
      expect(r.stdout).toBe(
        `uid=${UID}(${USER}) gid=${UID}(${USER}) groups=${UID}(${USER}),${DEV_GID}(developers)\n/home/${USER}\n` +
          `${readdirSkel(host)}made from /etc/skel\n${USER}:${USER} 755\n`,
      );
      // sshd ran the real key wrapper (user agent stns/…), and the login's id enumerated the groups.
      const seen = lab.stnsRequests().slice(n);
      expect(seen.some((q) => q.url === `/v1/users?name=${USER}` && q.status === 200 && /^stns\//.test(q.userAgent))).toBe(true);
      expect(seen.some((q) => q.url === '/v1/groups' && q.status === 200)).toBe(true);
      expect(s.log()).toMatch(new RegExp(`Accepted publickey for ${USER} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519 ${fingerprint.replace(/[+/]/g, '\\$&')}`));
    });
  }, LONG);

  test('a key STNS does not have, and a user STNS does not know, are refused', async () => {
    await withSshd(async (s) => {
      const other = await ssh(s, USER, 'id_other', 'id');
      expect(other.code).toBe(255);
      expect(other.stderr).toMatch(/Permission denied \(publickey\b/);
      const ghost = await ssh(s, 'ghost', 'id_stns', 'id');
      expect(ghost.code).toBe(255);
      expect(ghost.stderr).toMatch(/Permission denied \(publickey\b/);
      expect(s.log()).toMatch(/Invalid user ghost from 127\.0\.0\.1/);
      expect(s.log()).not.toMatch(new RegExp(`Accepted publickey for ${USER}`));
      await loginWorks(s); // the refusals were about the key and the user, not about sshd
    });
  }, LONG);

  test('negative: nsswitch.conf without stns: sshd does not know the user (login refused), getent does not find it', async () => {
    await editing('/etc/nsswitch.conf', (t) => t.replace(/^((?:passwd|group|shadow):.*?)\s+stns\b/gm, '$1'), async () => {
      expect((await inHost(`getent passwd ${USER}; echo "getent=$?"\n`)).stdout).toBe('getent=2\n');
      await withSshd(async (s) => {
        const r = await ssh(s, USER, 'id_stns', 'id');
        expect(r.code).toBe(255);
        expect(r.stderr).toMatch(/Permission denied \(publickey\b/);
        expect(s.log()).toMatch(new RegExp(`Invalid user ${USER} from 127\\.0\\.0\\.1`));
      });
    });
    await withSshd(loginWorks);
  }, LONG);

  test('negative: sshd\'s AuthorizedKeysCommand pointing elsewhere: the STNS key is not offered, login refused', async () => {
    const dropIn = '/etc/ssh/sshd_config.d/00-stns-fleet.conf';
    await editing(dropIn, (t) => t.replace(/^AuthorizedKeysCommand\s+\/usr\/lib\/stns\/stns-key-wrapper\b.*$/m, 'AuthorizedKeysCommand /bin/true'), async () => {
      expect((await inHost('/usr/sbin/sshd -T | grep "^authorizedkeyscommand "\n')).stdout).toBe('authorizedkeyscommand /bin/true\n');
      await dropModuleCache();
      await withSshd(async (s) => {
        const n = lab.stnsRequests().length;
        const r = await ssh(s, USER, 'id_stns', 'id');
        expect(r.code).toBe(255);
        expect(r.stderr).toMatch(/Permission denied \(publickey\b/);
        // NSS still knows the user (sshd looked it up through libnss_stns: the request; the wrapper is not
        // involved now); only the key source is gone.
        expect(s.log()).not.toMatch(new RegExp(`Invalid user ${USER}`));
        expect(lab.stnsRequests().slice(n).some((q) => q.url === `/v1/users?name=${USER}`)).toBe(true);
      });
    });
    await withSshd(loginWorks);
  }, LONG);

  test('negative: pam_mkhomedir removed: the login itself works, but no home is made (sshd: "Could not chdir"; the shell starts in /)', async () => {
    const pamFiles = ['/etc/pam.d/sshd', '/etc/pam.d/common-session'];
    const withMk = [];
    for (const f of pamFiles) if (/^\s*session\s+\S+\s+pam_mkhomedir\.so/m.test(await readFileIn(host, f))) withMk.push(f);
    expect(withMk.length).toBeGreaterThan(0);
    await inHost(`rm -rf /home/${USER}\n`);
    const strip = (t: string) => t.replace(/^\s*session\s+\S+\s+pam_mkhomedir\.so.*\n/gm, '');
    const run = async (files: string[]): Promise<void> => {
      if (files.length === 0) {
        await withSshd(async (s) => {
          const r = await ssh(s, USER, 'id_stns', 'id -u; pwd');
          expect(r, s.log()).toMatchObject({ code: 0, stdout: `${UID}\n/\n` });
          expect(r.stderr).toMatch(new RegExp(`Could not chdir to home directory /home/${USER}: No such file or directory`));
        });
        expect((await inHost(`test -e /home/${USER} && echo exists || echo absent\n`)).stdout).toBe('absent\n');
        return;
      }
      await editing(files[0]!, strip, () => run(files.slice(1)));
    };
    await run(withMk);
    await withSshd(async (s) => {
      const r = await ssh(s, USER, 'id_stns', `pwd; test -e ${SKEL_MARKER} && echo marker`);
      expect(r, s.log()).toMatchObject({ code: 0, stdout: `/home/${USER}\nmarker\n` });
    });
  }, LONG);

  test('after the negative cases the host is as apply left it: plan (0), verify (0)', async () => {
    const c = capture();
    expect(await planCommand({ inventory: inv, quiet: true }, sdkTransport, c.io), c.text()).toBe(0);
    const v = capture();
    expect(await verifyCommand({ inventory: inv, quiet: true }, sdkTransport, v.io), v.text()).toBe(0);
  }, LONG);
});

/** `ls -A` of a home made from /etc/skel: the skeleton's names, in byte order (the session has no LANG). */
function readdirSkel(root: string): string {
  return readdirSync(path.join(root, 'etc/skel'))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((n) => `${n}\n`)
    .join('');
}
