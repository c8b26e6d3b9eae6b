// Reads sshd configuration the way OpenSSH does, for the few keywords we decide on: the first value obtained
// wins; `-o` options on sshd's command line come before every file; `Include` files are read where the
// Include line stands (relative patterns are under /etc/ssh, matches in byte order); a `Match` line ends the
// global section of the file it is in. Values inside Match blocks are recorded separately: for connections
// that match, they override the global value.
import { globRegExp } from '../model/glob.js';
import path from 'node:path';
import { listDir, readText, type HostSnapshot } from '../model/host-snapshot.js';

export const SSHD_CONFIG = '/etc/ssh/sshd_config';
const MAX_INCLUDE_DEPTH = 16;

type Source =
  | { kind: 'file'; file: string; line: number }
  | { kind: 'option'; origin: string };

export interface Directive {
  keyword: string; // lower-case
  args: string[];
  source: Source;
}

interface IncludeLine {
  file: string;
  line: number;
  patterns: string[];
  inMatch: boolean;
  matched: string[];
}

interface SshdEvaluation {
  /** Global directives in the order sshd obtains them (command-line options first). */
  global: Directive[];
  /** Directives inside Match blocks. */
  inMatch: Directive[];
  includes: IncludeLine[];
  /** The files read, in order. */
  filesRead: string[];
  mainMissing: boolean;
}

export function describeSource(s: Source): string {
  return s.kind === 'file' ? `${s.file}:${s.line}` : `sshd -o option in ${s.origin}`;
}

/** Splits words as a shell-like config reader does: quotes group, backslash escapes (every character, or
 * only quotes and backslashes as in OpenSSH's argv_split), and optionally `#` ends the line. */
export function splitWords(s: string, o: { escapeAll: boolean; comments: boolean }): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length || (o.comments && s[i] === '#')) break;
    let arg = '';
    let quote: string | null = null;
    for (; i < s.length; i++) {
      const c = s[i]!;
      if (quote === null && /\s/.test(c)) break;
      const next = s[i + 1];
      if (c === '\\' && next !== undefined && (o.escapeAll || next === '\\' || next === '"' || next === "'")) {
        arg += next;
        i++;
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

/** sshd_config arguments, as OpenSSH's argv_split reads them. */
export function splitArgs(s: string): string[] {
  return splitWords(s, { escapeAll: false, comments: true });
}

/** One config line → keyword and arguments (`Keyword args`, `Keyword=args`), or undefined for blanks/comments. */
function parseLine(line: string): { keyword: string; args: string[] } | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  const m = /^([A-Za-z0-9]+)(?:\s*=\s*|\s+|$)(.*)$/.exec(t);
  if (!m) return undefined;
  return { keyword: m[1]!.toLowerCase(), args: splitArgs(m[2] ?? '') };
}

/** Expands an Include pattern against the snapshot (wildcards in the last path element only). */
function expandInclude(s: HostSnapshot, pattern: string): string[] {
  const abs = pattern.startsWith('/') ? pattern : path.posix.join('/etc/ssh', pattern);
  const dir = path.posix.dirname(abs);
  const base = path.posix.basename(abs);
  if (!/[*?]/.test(base)) return s.files.has(abs) ? [abs] : [];
  const re = globRegExp(base, { path: true });
  return listDir(s, dir).filter((p) => re.test(path.posix.basename(p)));
}

/** Parses `-o "Keyword value"` style options into directives. */
export function optionDirectives(options: string[], origin: string): Directive[] {
  const out: Directive[] = [];
  for (const o of options) {
    const parsed = parseLine(o);
    if (parsed) out.push({ ...parsed, source: { kind: 'option', origin } });
  }
  return out;
}

export function evaluateSshd(s: HostSnapshot, opts: { options?: Directive[]; main?: string } = {}): SshdEvaluation {
  const main = opts.main ?? SSHD_CONFIG;
  const ev: SshdEvaluation = {
    global: [...(opts.options ?? [])],
    inMatch: [],
    includes: [],
    filesRead: [],
    mainMissing: !s.files.has(main),
  };
  const readFile = (file: string, depth: number, inheritedMatch: boolean): void => {
    const text = readText(s, file);
    if (text === undefined) return;
    ev.filesRead.push(file);
    let inMatch = inheritedMatch;
    text.split('\n').forEach((raw, idx) => {
      const d = parseLine(raw);
      if (!d) return;
      const source: Source = { kind: 'file', file, line: idx + 1 };
      if (d.keyword === 'match') { inMatch = true; return; }
      if (d.keyword === 'include') {
        const inc: IncludeLine = { file, line: idx + 1, patterns: d.args, inMatch, matched: [] };
        ev.includes.push(inc);
        if (depth >= MAX_INCLUDE_DEPTH) return;
        for (const p of d.args) {
          for (const f of expandInclude(s, p)) {
            inc.matched.push(f);
            readFile(f, depth + 1, inMatch);
          }
        }
        return;
      }
      (inMatch ? ev.inMatch : ev.global).push({ ...d, source });
    });
  };
  readFile(main, 0, false);
  return ev;
}

/** The value sshd uses outside Match blocks: the first one obtained. */
export function effective(ev: SshdEvaluation, keyword: string): Directive | undefined {
  const k = keyword.toLowerCase();
  return ev.global.find((d) => d.keyword === k);
}

/** The index in processing order at which a file's directives would be read (undefined: never read). */
function includedGlobally(ev: SshdEvaluation, file: string): boolean {
  return ev.includes.some((i) => !i.inMatch && i.matched.includes(file));
}
