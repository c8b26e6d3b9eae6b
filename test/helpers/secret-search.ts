// Is a secret anywhere in this text, however it was encoded on the way? For "no secret in anything AWS keeps"
// tests: a leak rarely shows as the plain value, it shows as the base64 of a file that holds it (at any byte
// offset, wrapped at 76 columns by base64(1)), or as the gzip+base64 blob of such a file (facts content,
// payloads). findSecret looks for:
//   - the plain value (and its JSON-escaped form);
//   - its base64, at each of the three byte alignments (standard and URL-safe alphabets), also across line
//     breaks (real ones, or the `\n` escapes of a JSON string);
//   - inside every base64-looking run (one line, or a block of wrapped lines): decoded at each of the four
//     character offsets, gunzipped when it holds gzip data (a truncated stream still gives what it has), and
//     the decoded text searched again, one level down (base64 in gzip, base64 in base64).
// What it cannot see is an encrypted value (sealed payloads) or a hash: by design.
import { constants, gunzipSync } from 'node:zlib';

export interface SecretHit {
  /** The encodings the secret was found under, outermost first: ['gzip+base64', 'plain']. */
  encoding: string[];
  /** Where in the haystack: the match itself, or the start of the blob that carried it. */
  offset: number;
  /** The haystack around `offset`, the secret's plain value masked as «SECRET». */
  excerpt: string;
  /** One line for a test failure: how and where. */
  description: string;
}

const MIN_SECRET = 4;
/** A shorter base64 run cannot carry a gzip stream or an interesting secret (24+ characters in the lab). */
const MIN_RUN = 16;
const DEPTH = 2;

const B64URL = (s: string): string => s.replace(/\+/g, '-').replace(/\//g, '_');

/**
 * The base64 text of `secret` as it shows inside any longer base64 string, one per byte alignment (0, 1, 2 bytes
 * before it in its 3-byte group): only the characters fully determined by the secret's own bytes (so the few
 * bits of its first and last bytes that share a character with their neighbours are not compared).
 */
export function base64Forms(secret: string | Buffer): string[] {
  const bytes = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
  const skip = [0, 2, 3];
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const n = k + bytes.length;
    const enc = Buffer.concat([Buffer.alloc(k), bytes, Buffer.alloc(2)]).toString('base64');
    const end = Math.floor(n / 3) * 4 + (n % 3);
    const form = enc.slice(skip[k], end);
    if (form.length >= 4) out.push(form);
  }
  return out;
}

function excerptAt(text: string, offset: number, length: number, secret: string): string {
  const from = Math.max(0, offset - 60);
  const to = Math.min(text.length, offset + length + 60);
  const s = text.slice(from, to).split(secret).join('«SECRET»').replace(/\s+/g, ' ');
  return `${from > 0 ? '…' : ''}${s}${to < text.length ? '…' : ''}`;
}

function hit(encoding: string[], offset: number, excerpt: string): SecretHit {
  return { encoding, offset, excerpt, description: `${encoding.join(' → ')} at offset ${offset}: ${excerpt}` };
}

const LINE_BREAK = /\r|\n|\\[nr]/g;

/** The text with line breaks removed (real ones and JSON's `\n` / `\r` escapes). */
function joinLines(text: string): string {
  return text.replace(LINE_BREAK, '');
}

/** The offset in `text` of character `i` of joinLines(text). */
function unjoin(text: string, i: number): number {
  let removed = 0;
  for (const m of text.matchAll(LINE_BREAK)) {
    if (m.index - removed > i) break;
    removed += m[0].length;
  }
  return i + removed;
}

/** Mostly printable ASCII: decoded bytes worth searching as text again (not random or compressed bytes). */
function looksLikeText(b: Buffer): boolean {
  let printable = 0;
  for (const c of b) if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
  return printable >= b.length * 0.9;
}

interface Run {
  text: string;
  offset: number;
}

/**
 * Base64-looking runs: every maximal run of base64 characters of at least MIN_RUN on a line, and where such a run
 * ends its line with a length that is a multiple of 4, the block it starts with the following lines that are
 * all base64 (a wrapped blob).
 */
export function base64Runs(text: string): Run[] {
  const lines: { start: number; text: string }[] = [];
  const sep = /\r?\n|\\r\\n|\\n/g;
  let last = 0;
  for (const m of text.matchAll(sep)) {
    lines.push({ start: last, text: text.slice(last, m.index) });
    last = m.index + m[0].length;
  }
  lines.push({ start: last, text: text.slice(last) });
  const runs: Run[] = [];
  const whole = /^[A-Za-z0-9+/]+={0,2}$/;
  lines.forEach((line, li) => {
    for (const m of line.text.matchAll(/[A-Za-z0-9+/]+={0,2}/g)) {
      if (m[0].length < MIN_RUN) continue;
      let t = m[0];
      const endsLine = m.index + m[0].length === line.text.length;
      if (endsLine && !t.endsWith('=')) {
        for (let j = li + 1; j < lines.length && t.length % 4 === 0 && whole.test(lines[j]!.text); j++) {
          t += lines[j]!.text;
          if (lines[j]!.text.endsWith('=')) break;
        }
      }
      runs.push({ text: t, offset: line.start + m.index });
    }
  });
  return runs;
}

function gunzipPartial(b: Buffer): Buffer | undefined {
  try {
    // Z_SYNC_FLUSH: a truncated stream (a blob cut by an output limit) still yields what it holds.
    return gunzipSync(b, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return undefined;
  }
}

/** Inside the decoded bytes of one base64 run: each secret plainly, in a gzip stream, or one level further down
 * (per secret, its first finding in that order). Each gzip stream is inflated once for all the secrets. */
function searchDecoded(bytes: Buffer, secrets: string[], depth: number): (string[] | undefined)[] {
  const needles = secrets.map((s) => Buffer.from(s, 'utf8'));
  const out: (string[] | undefined)[] = needles.map((n) => (bytes.includes(n) ? ['plain'] : undefined));
  const open = (): number[] => secrets.flatMap((_, i) => (out[i] ? [] : [i]));
  for (let p = bytes.indexOf(0x1f); p >= 0 && p < bytes.length - 2 && open().length > 0; p = bytes.indexOf(0x1f, p + 1)) {
    if (bytes[p + 1] !== 0x8b || bytes[p + 2] !== 0x08) continue;
    const unzipped = gunzipPartial(bytes.subarray(p));
    if (!unzipped) continue;
    const deeper: number[] = [];
    for (const i of open()) {
      if (unzipped.includes(needles[i]!)) out[i] = ['gzip', 'plain'];
      else deeper.push(i);
    }
    if (depth > 0 && deeper.length > 0) {
      const inner = findSecretsAt(unzipped.toString('latin1'), deeper.map((i) => secrets[i]!), depth - 1);
      deeper.forEach((i, j) => {
        if (inner[j]) out[i] = ['gzip', ...inner[j]!.encoding];
      });
    }
  }
  const rest = open();
  if (depth > 0 && rest.length > 0 && looksLikeText(bytes)) {
    const inner = findSecretsAt(bytes.toString('latin1'), rest.map((i) => secrets[i]!), depth - 1, false);
    rest.forEach((i, j) => {
      if (inner[j]) out[i] = inner[j]!.encoding;
    });
  }
  return out;
}

/** Each secret's first finding in `haystack`, as findSecret would report it for that secret alone. The work that
 * does not depend on the secret (joining lines, finding and decoding base64 runs, inflating gzip) is done once. */
function findSecretsAt(haystack: string, secrets: string[], depth: number, plain = true): (SecretHit | undefined)[] {
  const out: (SecretHit | undefined)[] = secrets.map(() => undefined);
  const open = (): number[] => secrets.flatMap((_, i) => (out[i] ? [] : [i]));
  if (plain) {
    for (const [n, secret] of secrets.entries()) {
      const i = haystack.indexOf(secret);
      if (i >= 0) {
        out[n] = hit(['plain'], i, excerptAt(haystack, i, secret.length, secret));
        continue;
      }
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) {
        const j = haystack.indexOf(escaped);
        if (j >= 0) out[n] = hit(['JSON-escaped'], j, excerptAt(haystack, j, escaped.length, secret));
      }
    }
  }
  // Its base64, wherever it sits in a longer base64 text, line breaks or not.
  let todo = open();
  if (todo.length === 0) return out;
  const joined = joinLines(haystack);
  for (const n of todo) {
    const secret = secrets[n]!;
    search: for (const form of base64Forms(secret)) {
      for (const [name, f] of [
        ['base64', form],
        ['base64url', B64URL(form)],
      ] as const) {
        if (name === 'base64url' && f === form) continue;
        const i = joined.indexOf(f);
        if (i >= 0) {
          const o = unjoin(haystack, i);
          const across = unjoin(haystack, i + f.length - 1) - o !== f.length - 1;
          out[n] = hit([across ? `${name} (across line breaks)` : name], o, excerptAt(haystack, o, f.length, secret));
          break search;
        }
      }
    }
  }
  // Inside blobs: decode every base64-looking run.
  todo = open();
  if (todo.length === 0) return out;
  for (const run of base64Runs(haystack)) {
    for (let k = 0; k < 4; k++) {
      const t = run.text.slice(k).replace(/=+$/, '');
      if (t.length < MIN_RUN) break;
      const bytes = Buffer.from(t.slice(0, t.length - (t.length % 4 === 1 ? 1 : 0)), 'base64');
      const inner = searchDecoded(bytes, todo.map((n) => secrets[n]!), depth);
      todo.forEach((n, j) => {
        const enc = inner[j];
        if (!enc) return;
        const encoding = enc[0] === 'gzip' ? ['gzip+base64', ...enc.slice(1)] : ['base64 blob', ...enc];
        out[n] = hit(encoding, run.offset, excerptAt(haystack, run.offset, Math.min(run.text.length, 40), secrets[n]!));
      });
      todo = open();
      if (todo.length === 0) return out;
    }
  }
  return out;
}

/** Where and how `secret` shows in `haystack` (first finding), or undefined when it does not. */
export function findSecret(haystack: string, secret: string): SecretHit | undefined {
  return findSecrets(haystack, [secret])[0];
}

/** findSecret for several secrets at once, in one pass over `haystack`: each secret's finding, in their order. */
export function findSecrets(haystack: string, secrets: string[]): (SecretHit | undefined)[] {
  for (const s of secrets) if (s.length < MIN_SECRET) throw new Error(`findSecret: a secret of ${s.length} characters cannot be searched for meaningfully`);
  return findSecretsAt(haystack, secrets, DEPTH);
}
