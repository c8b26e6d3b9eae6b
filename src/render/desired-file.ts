// One file as the desired state wants it: kept apart from desired.ts so that the per-file renderers
// (sudoers.ts) can name it without importing the whole desired state (which imports them).

/** What a changed file asks of the host: validate and reload sshd, restart it, restart cache-stnsd, … */
export type FileRole = 'stns-conf' | 'nss' | 'pam' | 'sshd' | 'sshd-unit' | 'keys' | 'sudoers' | 'repo';

export interface DesiredFile {
  path: string;
  /** Desired bytes with secret placeholders; null = the file must be absent. */
  content: Buffer | null;
  mode: number;
  /** 'enforce': always root:root and `mode`; 'keep': an existing file keeps its owner and mode. */
  ownership: 'enforce' | 'keep';
  role: FileRole;
}
