// HostPlan → the POSIX sh script that converges one host (templates/host/converge.sh plus a data section).
// Deterministic: the same plan gives the same bytes, so hosts with identical changes share one payload.
// Content travels gzip+base64 inside the script; the script checks every decoded file against the
// plan's sha256 before it touches anything. Files that carry a secret are left as markers in a draft
// (safe to save in plan.json) and filled in at the edge: sealed to each host for apply, or inline for a
// script written to a local file by `render --script`.
import { gzipSync } from 'node:zlib';
import { ABSENT, sha256, type HostPlan } from './host-plan.js';
import { materialize, secretsIn, type SecretValues } from '../render/secrets.js';
import type { Templates } from '../render/templates.js';
import { hostLibrary } from '../host-script/compact.js';
import { shq } from '../host-script/shq.js';
import { redactorData } from '../host-script/redactor-data.js';
import { sealContent, sealedDigest, sealTable, type RunKey } from '../host-script/seal.js';

const CONVERGE_LIB = 'host/converge.sh';
const SAFE_PATH = /^\/[A-Za-z0-9_.@+/-]+$/;


function lines76(b64: string): string {
  return (b64.match(/.{1,76}/g) ?? []).join('\n');
}

function payload(content: Buffer): string {
  return lines76(gzipSync(content, { level: 9 }).toString('base64'));
}

const SEAL_TABLE = '@@STNS_FLEET_SEAL_TABLE@@';
const sealedMarker = (i: number): string => `@@STNS_FLEET_SEALED:${i}@@`;
/** Where a sealed file's after-digest goes: an HMAC under the run key (sealed) or its sha256 (inline). */
const digestMarker = (i: number): string => `@@STNS_FLEET_DIGEST:${i}@@`;

/** A host script with the secret-bearing files left out: no secret, safe to store and show. */
interface ScriptDraft {
  text: string;
  /** Rendered content (with secret placeholders) of each file the script receives sealed. */
  sealed: Buffer[];
}

type ScriptSecrets =
  | { kind: 'inline'; values: SecretValues }
  | { kind: 'sealed'; values: SecretValues; runKey: RunKey; recipients: string[] };

function mode(m: number): string {
  return m.toString(8).padStart(4, '0');
}

function checkPath(p: string): string {
  if (!SAFE_PATH.test(p)) throw new Error(`unsafe path for the host script: ${p}`);
  return p;
}

/** The cache_dir the rendered stns.conf names, as libnss-stns reads it (default /var/cache/stns, one trailing
 * slash trimmed): sf_stns_refresh empties its per-euid directories when stns.conf changes. Our renderer writes
 * it as a TOML basic string whose escapes are all JSON escapes too. */
export function stnsCacheDir(plan: HostPlan): string {
  const conf = plan.desired.files.find((f) => f.role === 'stns-conf')?.content?.toString('utf8') ?? '';
  const top = conf.split(/^\s*\[/m)[0] ?? '';
  const m = /^\s*cache_dir\s*=\s*("(?:[^"\\]|\\.)*")/m.exec(top);
  const dir = m ? (JSON.parse(m[1]!) as string) : '/var/cache/stns';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

/** The complete script for a local file: secrets inline (the file must be kept 0700). */
export function generateHostScript(plan: HostPlan, t: Templates, secrets: SecretValues): string {
  return finishHostScript(draftHostScript(plan, t), { kind: 'inline', values: secrets });
}

/** Fills a draft's secret-bearing files in: sealed to `recipients` (seal public keys) or inline. */
export function finishHostScript(draft: ScriptDraft, s: ScriptSecrets): string {
  let text = draft.text.replace(
    SEAL_TABLE,
    s.kind === 'sealed' ? sealTable(s.runKey, s.recipients).join('\n') : '',
  );
  draft.sealed.forEach((content, i) => {
    const bytes = materialize(content, s.values);
    const body = s.kind === 'sealed' ? lines76(sealContent(bytes, s.runKey).toString('base64')) : payload(bytes);
    text = text.replace(sealedMarker(i), body).replace(digestMarker(i), s.kind === 'sealed' ? sealedDigest(bytes, s.runKey) : sha256(bytes));
  });
  if (s.kind === 'inline') text = text.replace(/^sf_sealed_file /gm, 'sf_file ');
  return text;
}

/** The script for `plan`, with every secret-bearing file as a marker. */
export function draftHostScript(plan: HostPlan, t: Templates): ScriptDraft {
  const d = plan.desired;
  const sealed: Buffer[] = [];
  const lines: string[] = [hostLibrary(t.data(CONVERGE_LIB)), '', '# --- the plan ---'];
  const pk = d.packages;
  lines.push(
    `SF_PKG_MANAGER=${d.profile.family === 'debian' ? 'apt' : 'rpm'}`,
    `SF_PKGS=${shq((pk?.packages ?? (d.cacheStnsd ? ['libnss-stns-v2', 'cache-stnsd'] : ['libnss-stns-v2'])).join(' '))}`,
    `SF_PKG_UNSUPPORTED=${shq(d.packagesUnsupported ?? '')}`,
    `SF_SSHD_SERVICE=${shq(d.profile.sshd.service)}`,
    `SF_SSHD_SOCKET=${shq(d.profile.sshd.socket ?? '')}`,
    `SF_CACHE_STNSD=${d.cacheStnsd ? 1 : 0}`,
    `SF_STNS_CACHE_DIR=${shq(stnsCacheDir(plan))}`,
    'sf_install() {',
    // sf_pkg_run: on this host, or inside a tree (STNS_FLEET_ROOT) with chroot, by the tree's own package manager.
    ...(pk ? pk.commands.map((c) => `\tsf_pkg_run ${shq(c)}`) : ['\treturn 1']),
    '}',
    'sf_sshd_test() {',
    `\t"$1" -t${d.sshd.testOptions.map((o) => ` -o ${shq(o)}`).join('')}`,
    '}',
  );
  for (const f of pk?.files ?? []) {
    lines.push(`sf_repo_file ${checkPath(f.path)} ${mode(f.mode)} ${sha256(f.content)} <<'SF_EOF'`, payload(f.content), 'SF_EOF');
  }
  const secretFiles = plan.changes.filter((c) => c.action !== 'noop' && c.file.content && secretsIn(c.file.content).length > 0);
  // stns.conf's compare-and-swap is on its redacted form, as the facts saw it: the host needs the redactor.
  if (plan.changes.some((c) => c.action !== 'noop' && c.file.role === 'stns-conf')) lines.push(...redactorData(t));
  if (secretFiles.length > 0) lines.push(SEAL_TABLE);
  for (const c of plan.changes) {
    if (c.action === 'noop') continue; // nothing to write, nothing to guard: keeps identical hosts' payloads identical
    if (c.file.role === 'repo') continue; // written by sf_repo_file, before the install
    const f = c.file;
    let fn = 'sf_file';
    let body: string[] = [];
    let after = c.afterSha256;
    if (f.content && secretFiles.includes(c)) {
      fn = 'sf_sealed_file';
      body = [sealedMarker(sealed.length)];
      after = digestMarker(sealed.length);
      sealed.push(f.content);
    } else if (f.content) body = [payload(f.content)];
    lines.push(`${fn} ${checkPath(f.path)} ${mode(f.mode)} ${f.ownership} ${c.beforeSha256} ${after} ${f.role} <<'SF_EOF'`, ...body, 'SF_EOF');
  }
  lines.push('sf_main', '');
  return { text: lines.join('\n'), sealed };
}

export { ABSENT };
