// Decides how to make sshd ask STNS for keys on one host, from the host's own files:
//  - a drop-in in sshd_config.d, when sshd_config includes that directory before anything sets the keys command;
//  - else a managed block at the top of sshd_config (Amazon Linux 2: OpenSSH 7.4 has no Include);
//  - else, when the keys command comes from `-o` options on sshd's command line (EC2 Instance Connect on
//    Ubuntu), a systemd drop-in that restarts sshd with our options.
// Where EC2 Instance Connect is the current keys command, a chain wrapper keeps it working behind STNS.
// Every decision is checked by evaluating the result: if sshd would not use our command, it is an error.
import path from 'node:path';
import { listDir, readText, type HostSnapshot } from '../model/host-snapshot.js';
import type { HostSettings } from '../model/settings.js';
import type { Templates } from '../render/templates.js';
import { describeSource, effective, evaluateSshd, optionDirectives, SSHD_CONFIG, type Directive } from './config.js';
import { effectiveExecStart, quoteSystemdArg, type ExecStart } from './systemd.js';

export const KEY_WRAPPER = '/usr/lib/stns/stns-key-wrapper';
/** Under /usr/lib, not /usr/local/bin: sshd refuses a keys command in a group-writable directory, and
 * /usr/local/bin is root:staff 2775 on some Debian systems. */
export const CHAIN_WRAPPER = '/usr/lib/stns-fleet/stns-fleet-keys';
const SSHD_CONFIG_D = '/etc/ssh/sshd_config.d';
export const SSHD_DROPIN = `${SSHD_CONFIG_D}/00-stns-fleet.conf`;
export const overridePath = (service: string): string => `/etc/systemd/system/${service}.service.d/zz-stns-fleet.conf`;

const BLOCK_BEGIN = '# BEGIN stns-fleet managed block';
const BLOCK_END = '# END stns-fleet managed block';
const DISABLED = '#[stns-fleet] ';
const EIC_COMMANDS = new Set(['eic_run_authorized_keys', 'curl_authorized_keys']);

export interface KeysCommand {
  command: string;
  user: string;
  source: string;
}

export interface SshdOutcome {
  strategy: 'dropin' | 'sshd_config' | 'systemd' | 'unchanged';
  /** Desired content of every file this module owns; null = must be absent. */
  files: Map<string, { content: string | null; mode: number }>;
  before: KeysCommand | undefined;
  after: KeysCommand | undefined;
  chainsEic: boolean;
  /** `-o` options sshd is started with after the change (for `sshd -t`). */
  testOptions: string[];
  warnings: string[];
  error?: string;
}

/** The host as it would be without anything stns-fleet wrote, so that rendering is idempotent. */
export function stripManaged(s: HostSnapshot, service: string): HostSnapshot {
  const files = new Map(s.files);
  files.delete(SSHD_DROPIN);
  files.delete(CHAIN_WRAPPER);
  files.delete(overridePath(service));
  const main = files.get(SSHD_CONFIG);
  if (main) files.set(SSHD_CONFIG, Buffer.from(stripBlock(main.toString('utf8'))));
  return { files };
}

function stripBlock(text: string): string {
  const out: string[] = [];
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(BLOCK_BEGIN)) { inBlock = true; continue; }
    if (inBlock) { if (line.startsWith(BLOCK_END)) inBlock = false; continue; }
    out.push(line.startsWith(DISABLED) ? line.slice(DISABLED.length) : line);
  }
  return out.join('\n');
}

function keysCommandOf(s: HostSnapshot, service: string): { kc: KeysCommand | undefined; akc?: Directive; akcu?: Directive; exec?: ExecStart } {
  const exec = effectiveExecStart(s, service);
  const ev = evaluateSshd(s, { options: exec ? optionDirectives(exec.sshdOptions, exec.origin) : [] });
  const akc = effective(ev, 'authorizedkeyscommand');
  const akcu = effective(ev, 'authorizedkeyscommanduser');
  const kc = akc && akc.args[0] !== 'none'
    ? { command: akc.args.join(' '), user: akcu?.args.join(' ') ?? '(unset)', source: describeSource(akc.source) }
    : undefined;
  return { kc, ...(akc ? { akc } : {}), ...(akcu ? { akcu } : {}), ...(exec ? { exec } : {}) };
}

function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** The chain wrapper: sshd calls it with `%u` first, then the tokens the EIC command wanted. */
function chainFor(eicArgs: string[], t: Templates): { akc: string[]; script: string } {
  const tokens = eicArgs.filter((a) => a.includes('%'));
  const shift = tokens[0] !== '%u';
  const akc = [CHAIN_WRAPPER, ...(shift ? ['%u'] : []), ...tokens];
  let n = 0;
  const eicCommand = eicArgs.map((a) => (a.includes('%') ? `"$${++n}"` : shellWord(a))).join(' ');
  const script = t.render('stns-fleet-keys.sh.hbs', { akc: akc.join(' '), shift, keyWrapper: KEY_WRAPPER, eicCommand });
  return { akc, script };
}

function withDisabledLines(text: string): string {
  // Disable global AuthorizedKeysCommand(User) lines of sshd_config itself (Match blocks stay as they are).
  let inMatch = false;
  return text
    .split('\n')
    .map((line) => {
      const t = line.trim().toLowerCase();
      if (/^match\s/.test(t)) inMatch = true;
      if (!inMatch && /^authorizedkeyscommand(user)?[\s=]/.test(t)) return DISABLED + line;
      return line;
    })
    .join('\n');
}

export function planSshd(current: HostSnapshot, service: string, settings: HostSettings, t: Templates): SshdOutcome {
  const baseline = stripManaged(current, service);
  const before = keysCommandOf(current, service).kc;
  const base = keysCommandOf(baseline, service);
  const out: SshdOutcome = { strategy: 'unchanged', files: new Map(), before, after: before, chainsEic: false, testOptions: [], warnings: [] };
  if (!baseline.files.has(SSHD_CONFIG)) {
    return { ...out, error: `${SSHD_CONFIG} is absent; stns-fleet edits an existing sshd configuration and will not invent one` };
  }
  // Files we own start from "absent"; sshd_config starts from its baseline (our block removed).
  const owned = new Map<string, { content: string | null; mode: number }>([
    [SSHD_DROPIN, { content: null, mode: 0o644 }],
    [CHAIN_WRAPPER, { content: null, mode: 0o755 }],
    [overridePath(service), { content: null, mode: 0o644 }],
    [SSHD_CONFIG, { content: baseline.files.get(SSHD_CONFIG)!.toString('utf8'), mode: 0o600 }],
  ]);

  let command: string[];
  let user = settings.sshd.keysCommandUser;
  const cur = base.akc?.args ?? [];
  if (cur.length === 0 || cur[0] === 'none' || cur[0] === KEY_WRAPPER) {
    command = [KEY_WRAPPER];
  } else if (cur.some((a) => EIC_COMMANDS.has(path.posix.basename(a)))) {
    const chain = chainFor(cur, t);
    command = chain.akc;
    user = base.akcu?.args[0] ?? 'ec2-instance-connect'; // EIC's script insists on running as its own user
    owned.set(CHAIN_WRAPPER, { content: chain.script, mode: 0o755 });
    out.chainsEic = true;
  } else {
    return {
      ...out,
      error:
        `AuthorizedKeysCommand is already "${cur.join(' ')}" (${describeSource(base.akc!.source)}); ` +
        'stns-fleet chains only EC2 Instance Connect and will not replace another keys command',
    };
  }

  const want = { command: command.join(' '), user };
  const already = base.kc && base.kc.command === want.command && base.kc.user === want.user;
  const fromOptions = base.akc?.source.kind === 'option' || base.akcu?.source.kind === 'option';

  if (already && !out.chainsEic) {
    out.strategy = 'unchanged';
  } else if (fromOptions && base.exec) {
    out.strategy = 'systemd';
    owned.set(overridePath(service), { content: renderOverride(base.exec, want, t), mode: 0o644 });
  } else {
    const dropin = t.render('sshd-dropin.conf.hbs', want);
    const trial = new Map(baseline.files);
    trial.set(SSHD_DROPIN, Buffer.from(dropin));
    const viaDropin = keysCommandOf({ files: trial }, service).kc;
    if (viaDropin?.source.startsWith(`${SSHD_DROPIN}:`) && viaDropin.command === want.command && viaDropin.user === want.user) {
      out.strategy = 'dropin';
      owned.set(SSHD_DROPIN, { content: dropin, mode: 0o644 });
    } else {
      out.strategy = 'sshd_config';
      const block = t.render('sshd-managed-block.hbs', want);
      owned.set(SSHD_CONFIG, { content: block + withDisabledLines(owned.get(SSHD_CONFIG)!.content!), mode: 0o600 });
    }
  }

  // Check the result the way sshd will read it.
  const result = new Map(baseline.files);
  for (const [p, f] of owned) {
    if (f.content === null) result.delete(p);
    else result.set(p, Buffer.from(f.content));
  }
  const after = keysCommandOf({ files: result }, service);
  out.after = after.kc;
  out.testOptions = after.exec?.sshdOptions ?? [];
  out.files = owned;
  const ev = evaluateSshd({ files: result }, { options: after.exec ? optionDirectives(after.exec.sshdOptions, after.exec.origin) : [] });
  for (const d of ev.inMatch) {
    if (d.keyword === 'authorizedkeyscommand' || d.keyword === 'authorizedkeyscommanduser') {
      out.warnings.push(`${d.keyword} is also set inside a Match block at ${describeSource(d.source)}; it wins for connections that match`);
    }
  }
  // A drop-in that sets a keys command but that sshd never reads: e.g. EC2 Instance Connect's
  // 60-ec2-instance-connect.conf on an AL2023 host whose sshd_config lost its Include line. It does not work now.
  for (const f of listDir(baseline, SSHD_CONFIG_D)) {
    if (!f.endsWith('.conf') || ev.filesRead.includes(f)) continue;
    if (/^\s*AuthorizedKeysCommand[\s=]/im.test(readText(baseline, f) ?? '')) {
      out.warnings.push(`${f} sets AuthorizedKeysCommand, but sshd does not read it (nothing includes ${SSHD_CONFIG_D}): what it configures (EC2 Instance Connect?) does not work on this host, before or after this change`);
    }
  }
  if (!after.kc || after.kc.command !== want.command || after.kc.user !== want.user) {
    out.error = `sshd would ignore the change: its AuthorizedKeysCommand would still be ${after.kc ? `"${after.kc.command}" from ${after.kc.source}` : 'unset'}`;
  }
  return out;
}

function renderOverride(exec: ExecStart, want: { command: string; user: string }, t: Templates): string {
  const argv = [...exec.argv];
  const set = (keyword: string, value: string): void => {
    for (let i = 1; i < argv.length; i++) {
      const opt = argv[i] === '-o' ? argv[i + 1] : argv[i]!.startsWith('-o') ? argv[i]!.slice(2) : undefined;
      if (opt !== undefined && opt.trim().toLowerCase().split(/[\s=]/)[0] === keyword.toLowerCase()) {
        if (argv[i] === '-o') argv[i + 1] = `${keyword} ${value}`;
        else argv[i] = `-o${keyword} ${value}`;
        return;
      }
    }
    argv.splice(1, 0, '-o', `${keyword} ${value}`);
  };
  set('AuthorizedKeysCommandUser', want.user);
  set('AuthorizedKeysCommand', want.command);
  return t.render('sshd-systemd-override.conf.hbs', { origin: exec.origin, execStart: argv.map(quoteSystemdArg).join(' ') });
}
