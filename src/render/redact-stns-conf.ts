// stns.conf with every value that may be a secret hidden: what the facts return of a host's current file
// (SSM keeps command output), what diffs show, and what the host script's compare-and-swap hashes.
// The host runs templates/host/redact-stns.awk; this is the same function, line for line, so a host's
// redacted file and the redacted desired file compare equal exactly when their visible parts do
// (test/render/redact-stns-conf.test.ts runs both on the same inputs). An allowlist: only blank lines,
// [table] headers, the template's own comments and the values of known non-secret keys are kept.

import { STNS_CONF } from './stns-conf.js';

export const REDACT_AWK = 'host/redact-stns.awk';
/** Files the hosts never send in clear: they travel sealed, and the facts return them redacted. */
export const SECRET_BEARING = [STNS_CONF];
const HIDDEN = '(sensitive)';

const SHOWN = new Set([
  ...[
    'api_endpoint', 'request_timeout', 'request_retry', 'request_locktime', 'http_proxy', 'http_location', 'ssl_verify', 'cache',
    'cache_dir', 'cache_ttl', 'negative_cache_ttl', 'uid_shift', 'gid_shift', 'user', 'query_wrapper', 'chain_ssh_wrapper',
    'use_cached', 'http_keepalive',
  ].map((k) => `|${k}`),
  'tls|ca', 'tls|cert', 'tls|key', 'cached|enable', 'cached|prefetch', 'cached|unix_socket',
]);

const BLANK = /^[ \t]*$/;
const COMMENT = /^[ \t]*#/;
const TABLE = /^[ \t]*\[[ \t]*[A-Za-z0-9_-]+[ \t]*\][ \t]*$/;
const OTHER_TABLE = /^[ \t]*\[/;
const KEY_LINE = /^[ \t]*([A-Za-z0-9_.-]+|"[^"]*"|'[^']*')[ \t]*=/;
const QUOTED_KEY = /^[ \t]*("[^"]*"|'[^']*')/;
const SAFE_VALUE = /^("[^"\\]*"|'[^']*'|[A-Za-z0-9_.+:-]+)[ \t]*$/;

/** The comment lines of the stns.conf template: the only comments a redacted file keeps. */
export function templateComments(template: string): string[] {
  return template.split('\n').filter((l) => l.startsWith('#'));
}

/** Bytes in, bytes out (latin1 keeps every byte as awk does). */
export function redactStnsConf(content: Buffer, keepComments: readonly string[]): Buffer {
  const keep = new Set(keepComments);
  const text = content.toString('latin1');
  if (text === '') return Buffer.alloc(0);
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  let section = '';
  const out = lines.map((line) => {
    if (BLANK.test(line)) return line;
    if (COMMENT.test(line)) return keep.has(line) ? line : `# ${HIDDEN}`;
    if (TABLE.test(line)) {
      section = line.replace(/[[\] \t]/g, '');
      return line;
    }
    if (OTHER_TABLE.test(line)) {
      section = '?';
      return HIDDEN;
    }
    if (KEY_LINE.test(line)) {
      const q = QUOTED_KEY.exec(line);
      const eq = q ? line.indexOf('=', q[0].length) : line.indexOf('=');
      const lhs = line.slice(0, eq);
      const value = line.slice(eq + 1).replace(/^[ \t]+/, '');
      const key = lhs.replace(/^[ \t]+|[ \t]+$/g, '');
      if (SHOWN.has(`${section}|${key}`) && !value.includes('@') && SAFE_VALUE.test(value)) return line;
      return `${/^[ \t]*/.exec(lhs)![0]}${key} = "${HIDDEN}"`;
    }
    return HIDDEN;
  });
  return Buffer.from(`${out.join('\n')}\n`, 'latin1');
}
