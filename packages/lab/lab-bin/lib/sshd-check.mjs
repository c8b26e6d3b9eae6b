// The lab's sshd stand-in as a function: what `sshd -t|-T [-o K=V …] [-f FILE]` would answer on the host tree
// `root`. Run by lab-bin/sshd.mjs (a process per call) and served by the lab itself (POST /_lab/sshd, through
// lab-bin/served.sh: one curl instead of a node start per call, issue #15). How it reads the configuration:
// `sshd -T …` also prints the effective authorizedkeyscommand and authorizedkeyscommanduser.
// -f FILE is a path of the host, or one already inside its tree (the host script's staged copy, whose
// Include lines it points into the copy): see inRoot in lib/host.mjs.
// The configuration is read as OpenSSH reads it: -o options first, then sshd_config with each Include
// expanded in place (relative patterns under /etc/ssh, matches in byte order); a Match line ends the global
// section of the file it is in; the first value of a keyword wins. Every line must be "Keyword value" (or
// "Keyword=value") with a keyword sshd knows, else it fails as sshd does: one line per bad option, then
// "terminating, N bad configuration options", exit 255. On a host with the lab's "fail" fault it refuses
// every configuration, so the host script takes its restore path.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { hostEnv, inRoot, readHostFile } from './host.mjs';

const KEYWORDS = `AcceptEnv AddressFamily AllowAgentForwarding AllowGroups AllowStreamLocalForwarding AllowTcpForwarding
AllowUsers AuthenticationMethods AuthorizedKeysCommand AuthorizedKeysCommandUser AuthorizedKeysFile
AuthorizedPrincipalsCommand AuthorizedPrincipalsCommandUser AuthorizedPrincipalsFile Banner CASignatureAlgorithms
ChallengeResponseAuthentication ChannelTimeout ChrootDirectory Ciphers ClientAliveCountMax ClientAliveInterval
Compression DebianBanner DenyGroups DenyUsers DisableForwarding ExposeAuthInfo FingerprintHash ForceCommand
GatewayPorts GSSAPIAuthentication GSSAPICleanupCredentials GSSAPIEnablek5users GSSAPIKexAlgorithms
GSSAPIKeyExchange GSSAPIStoreCredentialsOnRekey GSSAPIStrictAcceptorCheck HostbasedAcceptedAlgorithms
HostbasedAcceptedKeyTypes HostbasedAuthentication HostbasedUsesNameFromPacketOnly HostCertificate HostKey
HostKeyAgent HostKeyAlgorithms IgnoreRhosts IgnoreUserKnownHosts Include IPQoS KbdInteractiveAuthentication
KerberosAuthentication KerberosGetAFSToken KerberosOrLocalPasswd KerberosTicketCleanup KexAlgorithms
KeyRegenerationInterval ListenAddress LoginGraceTime LogLevel LogVerbose MACs Match MaxAuthTries MaxSessions
MaxStartups ModuliFile PasswordAuthentication PermitEmptyPasswords PermitListen PermitOpen PermitRootLogin
PermitTTY PermitTunnel PermitUserEnvironment PermitUserRC PerSourceMaxStartups PerSourceNetBlockSize
PerSourcePenalties PerSourcePenaltyExemptList PidFile Port PrintLastLog PrintMotd Protocol
PubkeyAcceptedAlgorithms PubkeyAcceptedKeyTypes PubkeyAuthentication PubkeyAuthOptions RDomain RekeyLimit
RequiredRSASize RevokedKeys RSAAuthentication SecurityKeyProvider ServerKeyBits SetEnv StreamLocalBindMask
StreamLocalBindUnlink StrictModes Subsystem SyslogFacility TCPKeepAlive TrustedUserCAKeys
UnusedConnectionTimeout UseBlacklist UseDNS UseLogin UsePAM UsePrivilegeSeparation VersionAddendum
X11DisplayOffset X11Forwarding X11UseLocalhost XAuthLocation`;
const KNOWN = new Set(KEYWORDS.split(/\s+/).map((k) => k.toLowerCase()));
const MAX_DEPTH = 16;

/** sshd's refusal: each line on stderr, exit 255. */
function fail(lines) {
  return { code: 255, stdout: '', stderr: lines.map((l) => `${l}\n`).join('') };
}

/** Words as OpenSSH's argv_split reads them: quotes group, backslash escapes quotes and backslashes. */
function splitArgs(s) {
  const out = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length || s[i] === '#') break;
    let arg = '';
    let quote = null;
    for (; i < s.length; i++) {
      const c = s[i];
      if (quote === null && /\s/.test(c)) break;
      if (c === '\\' && (s[i + 1] === '\\' || s[i + 1] === '"' || s[i + 1] === "'")) {
        arg += s[++i];
        continue;
      }
      if (quote !== null && c === quote) { quote = null; continue; }
      if (quote === null && (c === '"' || c === "'")) { quote = c; continue; }
      arg += c;
    }
    out.push(arg);
  }
  return out;
}

/** @returns {{ code: number, stdout: string, stderr: string }} */
export function sshdCheck(args, root) {
  let stdout = '';
  let test = false;
  let dump = false;
  let main = '/etc/ssh/sshd_config';
  const options = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-t') test = true;
    else if (a === '-T') dump = true;
    else if (a === '-o') options.push(args[++i] ?? '');
    else if (a.startsWith('-o')) options.push(a.slice(2));
    else if (a === '-f') main = args[++i] ?? main;
    else if (a === '-C') i++;
    else if (/^-[dDeiq46]+$/.test(a)) continue;
    else return fail([`sshd: lab stand-in: unsupported argument ${a}`]);
  }
  if (!test && !dump) return fail(['sshd: lab stand-in: only -t and -T are supported (the lab runs no daemon)']);

  if (hostEnv(root).LAB_FAULT === 'fail') {
    return fail([`${main}: line 1: stns-fleet lab: this host carries the "fail" fault and refuses every configuration`, `${main}: terminating, 1 bad configuration options`]);
  }

  const bad = [];
  /** Global directives in the order sshd obtains them: [keyword, args]. */
  const global = [];

  function directive(line, where) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return undefined;
    const m = /^([A-Za-z0-9]+)(?:\s*=\s*|\s+|$)(.*)$/.exec(t);
    if (!m || !KNOWN.has(m[1].toLowerCase())) {
      bad.push(`${where}: Bad configuration option: ${m ? m[1] : t.split(/\s/)[0]}`);
      return undefined;
    }
    const keyword = m[1].toLowerCase();
    const a = splitArgs(m[2]);
    if (a.length === 0) {
      bad.push(`${where}: ${m[1]} missing argument.`);
      return undefined;
    }
    if (keyword === 'authorizedkeyscommand' && a[0] !== 'none' && !a[0].startsWith('/')) {
      bad.push(`${where}: AuthorizedKeysCommand must be an absolute path`);
      return undefined;
    }
    return { keyword, args: a };
  }

  function expand(pattern) {
    const abs = pattern.startsWith('/') ? pattern : path.posix.join('/etc/ssh', pattern);
    const dir = path.posix.dirname(abs);
    const base = path.posix.basename(abs);
    if (!/[*?[]/.test(base)) return readHostFile(abs, root) === undefined ? [] : [abs];
    const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    let names = [];
    try {
      names = readdirSync(inRoot(dir, root));
    } catch {
      return [];
    }
    return names.filter((n) => re.test(n)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map((n) => path.posix.join(dir, n));
  }

  function readConfig(file, depth, inheritedMatch) {
    const text = readHostFile(file, root);
    if (text === undefined) return false;
    let inMatch = inheritedMatch;
    text.split('\n').forEach((line, n) => {
      const d = directive(line, `${file}: line ${n + 1}`);
      if (!d) return;
      if (d.keyword === 'match') {
        inMatch = true;
        return;
      }
      if (d.keyword === 'include') {
        if (depth >= MAX_DEPTH) bad.push(`${file}: line ${n + 1}: Too many recursive configuration includes`);
        else for (const p of d.args) for (const f of expand(p)) readConfig(f, depth + 1, inMatch);
        return;
      }
      if (!inMatch) global.push(d);
    });
    return true;
  }

  for (const o of options) {
    const d = directive(o, 'command-line line 0');
    if (d) global.push(d);
  }
  if (!readConfig(main, 0, false)) return fail([`${main}: No such file or directory`]);
  if (bad.length > 0) return fail([...bad, `${main}: terminating, ${bad.length} bad configuration options`]);
  if (dump) {
    const first = (k) => global.find((d) => d.keyword === k);
    const akc = first('authorizedkeyscommand');
    const user = first('authorizedkeyscommanduser');
    stdout += `authorizedkeyscommand ${akc ? akc.args.join(' ') : 'none'}\n`;
    stdout += `authorizedkeyscommanduser ${user ? user.args[0] : 'none'}\n`;
  }
  return { code: 0, stdout, stderr: '' };
}
