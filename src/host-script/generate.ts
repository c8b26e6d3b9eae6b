// HostPlan → the POSIX sh script that converges one host (templates/host/converge.sh plus a data section).
// Deterministic: the same plan gives the same bytes, so hosts with identical changes share one payload.
// Content travels gzip+base64 inside the script; the script checks every decoded file against the
// plan's sha256 before it touches anything.
import { gzipSync } from 'node:zlib';
import { ABSENT, sha256, type HostPlan } from '../plan/host-plan.js';
import { materialize, type SecretValues } from '../render/secrets.js';
import type { Templates } from '../render/templates.js';

export const CONVERGE_LIB = 'host/converge.sh';
const SAFE_PATH = /^\/[A-Za-z0-9_.@+/-]+$/;

/** Single-quotes a word for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function payload(content: Buffer): string {
  const b64 = gzipSync(content, { level: 9 }).toString('base64');
  return (b64.match(/.{1,76}/g) ?? []).join('\n');
}

function mode(m: number): string {
  return m.toString(8).padStart(4, '0');
}

function checkPath(p: string): string {
  if (!SAFE_PATH.test(p)) throw new Error(`unsafe path for the host script: ${p}`);
  return p;
}

export function generateHostScript(plan: HostPlan, t: Templates, secrets: SecretValues): string {
  const d = plan.desired;
  const lines: string[] = [t.data(CONVERGE_LIB).toString('utf8').trimEnd(), '', '# --- the plan ---'];
  const pk = d.packages;
  lines.push(
    `SF_PKG_MANAGER=${d.profile.family === 'debian' ? 'apt' : 'rpm'}`,
    `SF_PKGS=${shq((pk?.packages ?? (d.cacheStnsd ? ['libnss-stns-v2', 'cache-stnsd'] : ['libnss-stns-v2'])).join(' '))}`,
    `SF_PKG_UNSUPPORTED=${shq(d.packagesUnsupported ?? '')}`,
    `SF_SSHD_SERVICE=${shq(d.profile.sshd.service)}`,
    `SF_CACHE_STNSD=${d.cacheStnsd ? 1 : 0}`,
    'sf_install() {',
    ...(pk ? pk.commands.map((c) => `\t${c}`) : ['\treturn 1']),
    '}',
    'sf_sshd_test() {',
    `\t"$1" -t${d.sshd.testOptions.map((o) => ` -o ${shq(o)}`).join('')}`,
    '}',
  );
  for (const f of pk?.files ?? []) {
    lines.push(`sf_repo_file ${checkPath(f.path)} ${mode(f.mode)} ${sha256(f.content)} <<'SF_EOF'`, payload(f.content), 'SF_EOF');
  }
  for (const c of plan.changes) {
    if (c.action === 'noop') continue; // nothing to write, nothing to guard: keeps identical hosts' payloads identical
    const f = c.file;
    const body = f.content ? payload(materialize(f.content, secrets)) : '';
    lines.push(
      `sf_file ${checkPath(f.path)} ${mode(f.mode)} ${f.ownership} ${c.beforeSha256} ${c.afterSha256} ${f.role} <<'SF_EOF'`,
      ...(f.content ? [body] : []),
      'SF_EOF',
    );
  }
  lines.push('sf_main', '');
  return lines.join('\n');
}

export { ABSENT };
