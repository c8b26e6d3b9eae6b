// The change set of one host: for every managed file, what it is now (sha256 or absent) and what it must
// become. This is what the host script enforces with compare-and-swap, and what `plan` shows.
import { createHash } from 'node:crypto';
import type { HostSnapshot } from '../host/snapshot.js';
import type { DesiredFile, DesiredState } from '../render/desired.js';
import { materialize, type SecretValues } from '../render/secrets.js';

export type FileAction = 'create' | 'update' | 'delete' | 'noop';

export interface FileChange {
  file: DesiredFile;
  action: FileAction;
  /** Current content (for diffs) and hashes; 'absent' when the file does not exist. */
  before: Buffer | null;
  beforeSha256: string;
  afterSha256: string;
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
    const before = current.files.get(file.path) ?? null;
    const beforeSha256 = before ? sha256(before) : ABSENT;
    const afterSha256 = file.content ? sha256(materialize(file.content, secrets)) : ABSENT;
    const action: FileAction =
      beforeSha256 === afterSha256 ? 'noop' : before === null ? 'create' : file.content === null ? 'delete' : 'update';
    return { file, action, before, beforeSha256, afterSha256 };
  });
  return { desired, changes };
}

export function hasChanges(p: HostPlan): boolean {
  return p.changes.some((c) => c.action !== 'noop');
}
