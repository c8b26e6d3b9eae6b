// Unified diffs for people, of the shown forms (secrets "(sensitive)", stns.conf redacted), binary files
// summarised, and the same text for `render --diff` and `plan`.
import { createTwoFilesPatch } from 'diff';
import type { FileChange } from '../plan/host-plan.js';

const SYMBOL = { create: '+', update: '~', delete: '-', noop: '=' } as const;

export function changeSymbol(c: FileChange): string {
  return SYMBOL[c.action];
}

function isText(b: Buffer | null): boolean {
  return b === null || !b.includes(0);
}

export function fileDiff(c: FileChange, context = 3): string {
  if (c.action === 'noop') return '';
  // Both sides are already as they may be shown (host-plan.ts: stns.conf redacted, placeholders hidden).
  const after = c.shownAfter;
  if (!isText(c.before) || !isText(after)) {
    return `Binary file ${c.file.path}: ${c.beforeSha256.slice(0, 12)} → ${c.afterSha256.slice(0, 12)}\n`;
  }
  const before = c.before?.toString('utf8') ?? '';
  const afterText = after?.toString('utf8') ?? '';
  if (c.action === 'update' && before === afterText) {
    return `--- a${c.file.path}\n+++ b${c.file.path}\n(only a secret value changes; not shown)\n`;
  }
  const patch = createTwoFilesPatch(
    c.action === 'create' ? '/dev/null' : `a${c.file.path}`,
    c.action === 'delete' ? '/dev/null' : `b${c.file.path}`,
    before,
    afterText,
    undefined,
    undefined,
    { context },
  );
  // Drop any "Index:"/"====" preamble: git-style headers are what people read.
  return patch
    .split('\n')
    .filter((l, i) => !(i < 2 && (l.startsWith('Index:') || /^=+$/.test(l))))
    .join('\n');
}
