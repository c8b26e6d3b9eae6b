// The change set of one host: for every managed file, what it is now (sha256 or absent) and what it must
// become. This is what the host script enforces with compare-and-swap, and what `plan` shows.
import { createHash } from 'node:crypto';
import type { HostSnapshot } from '../model/host-snapshot.js';
import type { DesiredFile, DesiredState } from '../render/desired.js';
import { redactStnsConf } from '../render/redact-stns-conf.js';
import { materialize, redact, type SecretValues } from '../render/secrets.js';

export type FileAction = 'create' | 'update' | 'delete' | 'noop';

export interface FileChange {
  file: DesiredFile;
  action: FileAction;
  /** Current content as it may be shown (a secret-bearing file redacted); null when absent. */
  before: Buffer | null;
  /** sha256 of `before`: what the host script's compare-and-swap checks ('absent' when absent). */
  beforeSha256: string;
  /** sha256 of the desired bytes with secrets filled in. */
  afterSha256: string;
  /** The desired bytes as they may be shown: secrets "(sensitive)". */
  shownAfter: Buffer | null;
}

export interface HostPlan {
  desired: DesiredState;
  changes: FileChange[];
}

export const ABSENT = 'absent';

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export function planHost(desired: DesiredState, current: HostSnapshot, secrets: SecretValues): HostPlan {
  const changes = desired.files.map((file): FileChange => {
    const real = current.files.get(file.path) ?? null;
    // stns.conf is compared and shown redacted (the host does the same with the same function); whether its
    // secrets are already right is known from its real sha256 alone: read here, or reported sealed by the host.
    const secretBearing = file.role === 'stns-conf';
    const shown = (b: Buffer): Buffer => (secretBearing ? redactStnsConf(b, desired.stnsConfComments) : Buffer.from(redact(b.toString('latin1')), 'latin1'));
    const before = real && secretBearing ? shown(real) : real;
    const beforeSha256 = before ? sha256(before) : ABSENT;
    const afterSha256 = file.content ? sha256(materialize(file.content, secrets)) : ABSENT;
    const realSha = real === null ? ABSENT : secretBearing && current.fullSha ? current.fullSha.get(file.path) : sha256(real);
    const action: FileAction = realSha === afterSha256 ? 'noop' : real === null ? 'create' : file.content === null ? 'delete' : 'update';
    return { file, action, before, beforeSha256, afterSha256, shownAfter: file.content ? shown(file.content) : null };
  });
  return { desired, changes };
}

export function hasChanges(p: HostPlan): boolean {
  return p.changes.some((c) => c.action !== 'noop');
}
