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

const HEADER = /^STNS_FLEET_FACTS v1 ([0-9a-f]{64}) (\S+)$/m;
const SECRET_LINE = 'STNS_FLEET_SECRET ';

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
  for (; i < lines.length && !lines[i]!.startsWith('STNS_FLEET_CONTENT ') && !lines[i]!.startsWith('STNS_FLEET_END '); i++) body.push(lines[i]!);
  const digest = createHash('sha256').update(body.map((l) => `${l}\n`).join('')).digest('hex');
  if (digest !== header.digest) return { error: 'the facts body does not match its digest' };

  let machine = '';
  const packages: Record<string, boolean> = {};
  const probes = new Set<string>();
  const listed = new Map<string, string>();
  for (const l of body) {
    const [kind, a = '', b = ''] = l.split(' ');
    if (kind === 'arch') machine = l.slice(5);
    else if (kind === 'pkg') packages[a] = b === '1';
    else if (kind === 'probe') probes.add(l.slice(6));
    else if (kind === 'file') listed.set(l.slice(5 + 65), a);
  }
  const files = new Map<string, Buffer>();
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.startsWith('STNS_FLEET_CONTENT ')) continue;
    const path = l.slice('STNS_FLEET_CONTENT '.length);
    let bytes: Buffer;
    try {
      bytes = gunzipSync(Buffer.from(lines[i + 1] ?? '', 'base64'));
    } catch {
      return { error: `the content of ${path} cannot be decoded` };
    }
    if (createHash('sha256').update(bytes).digest('hex') !== listed.get(path)) return { error: `the content of ${path} does not match its sha256` };
    files.set(path, bytes);
    i++;
  }
  for (const p of listed.keys()) if (!files.has(p)) return { error: `no content for ${p}` };
  // fullSha marks the snapshot as the facts' view (secret-bearing files redacted); plan fills it per host.
  return { digest: header.digest, arch: archOf(machine), machine, packages, probes, snapshot: { files, fullSha: new Map() } };
}
