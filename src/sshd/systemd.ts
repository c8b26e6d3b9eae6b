// The command line sshd is really started with: its systemd unit plus drop-ins, resolved as systemd does
// (a drop-in name in /etc masks the same name in /run and /usr/lib; drop-ins apply in file-name order
// across all directories; an empty `ExecStart=` clears the list). On Ubuntu EC2 images, EC2 Instance
// Connect sets AuthorizedKeysCommand here with `-o`, which beats anything in sshd_config.
import path from 'node:path';
import { byteOrder, listDir, readText, type HostSnapshot, type WatchList } from '../model/host-snapshot.js';
import { splitWords } from './config.js';

/** Highest priority first. */
const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

export interface ExecStart {
  /** Unit file or drop-in that set the winning ExecStart. */
  origin: string;
  argv: string[];
  /** Values of `-o` options, in order (e.g. "AuthorizedKeysCommand /x %u %f"). */
  sshdOptions: string[];
}

export function unitWatch(service: string): WatchList {
  return {
    paths: UNIT_DIRS.map((d) => `${d}/${service}.service`),
    dirs: UNIT_DIRS.map((d) => ({ dir: `${d}/${service}.service.d`, suffix: '.conf' })),
  };
}

/** Splits a systemd command line (quotes, backslash escapes) and resolves the `%%` specifier. */
function splitCommandLine(line: string): string[] {
  const out = splitWords(line, { escapeAll: true, comments: false }).map((a) => a.replace(/%%/g, '%'));
  if (out[0]) out[0] = out[0].replace(/^[-@:+!]+/, '');
  return out;
}

/** Quotes one argument for a systemd command line (inverse of splitCommandLine for our needs). */
export function quoteSystemdArg(arg: string): string {
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(arg)) return arg; // environment expansion stays unquoted
  const escaped = arg.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function sshdOptionsOf(argv: string[]): string[] {
  const opts: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-o' && i + 1 < argv.length) opts.push(argv[++i]!);
    else if (a.startsWith('-o') && a.length > 2) opts.push(a.slice(2));
  }
  return opts;
}

/** `ExecStart` values of one unit file's [Service] section, in order; '' marks a reset. */
function execStartsIn(text: string): string[] {
  const out: string[] = [];
  let section = '';
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const t = raw.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(t);
    if (sec) { section = sec[1]!; continue; }
    const kv = /^ExecStart\s*=\s*(.*)$/.exec(t);
    if (section === 'Service' && kv) out.push(kv[1]!.trim());
  }
  return out;
}

/** Drop-in files that apply to the service, in the order systemd applies them. */
function dropInsOf(s: HostSnapshot, service: string): string[] {
  const byName = new Map<string, string>();
  for (const dir of [...UNIT_DIRS].reverse()) {
    for (const f of listDir(s, `${dir}/${service}.service.d`)) {
      if (f.endsWith('.conf')) byName.set(path.posix.basename(f), f); // later (higher priority) dirs win
    }
  }
  return [...byName.keys()].sort(byteOrder).map((k) => byName.get(k)!);
}

export function effectiveExecStart(s: HostSnapshot, service: string): ExecStart | undefined {
  const unit = UNIT_DIRS.map((d) => `${d}/${service}.service`).find((p) => s.files.has(p));
  let current: { line: string; origin: string } | undefined;
  for (const file of [...(unit ? [unit] : []), ...dropInsOf(s, service)]) {
    for (const v of execStartsIn(readText(s, file) ?? '')) {
      current = v === '' ? undefined : { line: v, origin: file };
    }
  }
  if (!current) return undefined;
  const argv = splitCommandLine(current.line);
  return { origin: current.origin, argv, sshdOptions: sshdOptionsOf(argv) };
}
