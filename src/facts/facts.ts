// Parses what the facts script printed. The header line alone (it fits in the 2,500 characters that
// ListCommandInvocations returns) tells a host's state digest and seal key; the full output of one host per
// distinct digest gives the state itself. Every file's content is checked against its listed sha256 and the
// END line against the header, so a truncated or mixed-up output can never be mistaken for a host's state.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { archOf } from '../model/host-identity.js';
import type { HostSnapshot } from '../model/host-snapshot.js';
import type { Arch } from '../profiles/types.js';
import { isSealKey } from '../host-script/seal.js';

export interface FactsHeader {
  digest: string;
  /** The host's seal public key (base64 DER), or null when the host has no openssl. */
  sealKey: string | null;
  /** Per secret-bearing file: the sha256 of its real bytes, sealed to the run's report key (base64). */
  sealedDigests: Map<string, string>;
}

/** One distinct host state: everything plan needs to render for it. */
export interface HostState {
  digest: string;
  arch: Arch;
  machine: string;
  packages: Record<string, boolean>;
  probes: Set<string>;
  /** Every watched file's bytes (absent = absent on the host). */
  snapshot: HostSnapshot;
}

const HEADER = /^STNS_FLEET_FACTS v2 ([0-9a-f]{64}) (\S+)$/m;
const SECRET_LINE = 'STNS_FLEET_SECRET ';
/** Then the byte count of every listed file, in order; the base64 lines after it are the gzip members of all of them. */
const CONTENT = 'STNS_FLEET_CONTENT';
const END = 'STNS_FLEET_END ';

export function parseFactsHeader(output: string): FactsHeader | undefined {
  const m = HEADER.exec(output);
  if (!m) return undefined;
  const seal = m[2]!;
  const sealedDigests = new Map<string, string>();
  for (const l of output.slice(m.index).split('\n').slice(1)) {
    if (!l.startsWith(SECRET_LINE)) break;
    const [path = '', c = ''] = l.slice(SECRET_LINE.length).split(' ');
    if (c !== 'none') sealedDigests.set(path, c);
  }
  return { digest: m[1]!, sealKey: seal !== 'none' && isSealKey(seal) ? seal : null, sealedDigests };
}

/** True when `output` holds the whole facts document (header through END). */
export function factsComplete(output: string): boolean {
  const h = HEADER.exec(output);
  return h !== null && output.includes(`\nSTNS_FLEET_END ${h[1]}`);
}

export function parseFacts(output: string): HostState | { error: string } {
  const header = parseFactsHeader(output);
  if (!header) return { error: 'no STNS_FLEET_FACTS header in the output' };
  if (!factsComplete(output)) return { error: 'the facts output is incomplete (truncated)' };
  const lines = output.slice(output.search(HEADER)).split('\n');
  const body: string[] = [];
  let i = 1;
  while (i < lines.length && lines[i]!.startsWith(SECRET_LINE)) i++;
  const bodyEnds = (l: string): boolean => l === CONTENT || l.startsWith(`${CONTENT} `) || l.startsWith(END);
  for (; i < lines.length && !bodyEnds(lines[i]!); i++) body.push(lines[i]!);
  const digest = createHash('sha256').update(body.map((l) => `${l}\n`).join('')).digest('hex');
  if (digest !== header.digest) return { error: 'the facts body does not match its digest' };

  let machine = '';
  const packages: Record<string, boolean> = {};
  const probes = new Set<string>();
  /** [path, sha256] per file line, in order (the CONTENT sizes follow it). */
  const listed: [string, string][] = [];
  for (const l of body) {
    const [kind, a = '', b = ''] = l.split(' ');
    if (kind === 'arch') machine = l.slice(5);
    else if (kind === 'pkg') packages[a] = b === '1';
    else if (kind === 'probe') probes.add(l.slice(6));
    else if (kind === 'file') listed.push([l.slice(5 + 65), a]);
  }
  const files = splitContent(lines, i, listed);
  if ('error' in files) return files;
  // fullSha marks the snapshot as the facts' view (secret-bearing files redacted); plan fills it per host.
  return { digest: header.digest, arch: archOf(machine), machine, packages, probes, snapshot: { files, fullSha: new Map() } };
}

/** The CONTENT block from line `i` on: every listed file's bytes, each checked against its sha256. */
function splitContent(lines: string[], i: number, listed: [string, string][]): Map<string, Buffer> | { error: string } {
  const files = new Map<string, Buffer>();
  if (listed.length === 0) return files;
  const head = lines[i] ?? '';
  if (!head.startsWith(CONTENT)) return { error: `no content for ${listed[0]![0]}` };
  const sizes = head.slice(CONTENT.length).split(' ').filter((w) => w !== '');
  if (!sizes.every((w) => /^[0-9]+$/.test(w))) return { error: 'the content sizes are malformed' };
  const b64: string[] = [];
  for (i++; i < lines.length && !lines[i]!.startsWith(END); i++) b64.push(lines[i]!);
  let all: Buffer;
  try {
    if (b64.length === 0) throw new Error('no content lines');
    all = gunzipSync(Buffer.from(b64.join(''), 'base64'));
  } catch {
    return { error: 'the file contents cannot be decoded' };
  }
  let at = 0;
  for (const [k, [path, sha]] of listed.entries()) {
    const size = sizes[k];
    if (size === undefined) return { error: `no content for ${path}` };
    const bytes = all.subarray(at, at + Number(size));
    at += Number(size);
    if (createHash('sha256').update(bytes).digest('hex') !== sha) return { error: `the content of ${path} does not match its sha256` };
    files.set(path, Buffer.from(bytes));
  }
  if (sizes.length !== listed.length || at !== all.length) return { error: 'the content does not match the files listed' };
  return files;
}
