// Adds `stns` to the passwd, group and shadow lines of nsswitch.conf. Every other byte stays as it was:
// comments, spacing, other databases, and the existing sources and their order. stns goes right after
// `files` (or `compat`) and any action items bound to it, so local accounts are always found first.

export const NSS_DATABASES = ['passwd', 'group', 'shadow'] as const;
export type NssDatabase = (typeof NSS_DATABASES)[number];

const LINE = /^(\s*)([A-Za-z_]+)(\s*:)(.*)$/;

export function nssSources(text: string): Record<NssDatabase, string[] | undefined> {
  const out: Record<string, string[] | undefined> = {};
  for (const db of NSS_DATABASES) out[db] = undefined;
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw);
    if (!m || raw.trimStart().startsWith('#')) continue;
    const db = m[2]!;
    if ((NSS_DATABASES as readonly string[]).includes(db)) {
      out[db] = m[4]!.split('#')[0]!.trim().split(/\s+/).filter(Boolean);
    }
  }
  return out as Record<NssDatabase, string[] | undefined>;
}

function addToSources(sources: string): string {
  // Keep a trailing comment and trailing whitespace untouched.
  const hash = sources.indexOf('#');
  const body = hash >= 0 ? sources.slice(0, hash) : sources;
  const rest = hash >= 0 ? sources.slice(hash) : '';
  const parts = body.split(/(\s+)/); // words at even indexes, separators at odd
  const words = parts.filter((_, i) => i % 2 === 0);
  if (words.includes('stns')) return sources;
  let at = parts.findIndex((w, i) => i % 2 === 0 && (w === 'files' || w === 'compat'));
  if (at >= 0) {
    // Action items bound to it: one or more [...] groups, which may hold blanks ([NOTFOUND=return UNAVAIL=continue]).
    while (at + 2 < parts.length && parts[at + 2]!.startsWith('[')) {
      at += 2;
      while (!parts[at]!.includes(']') && at + 2 < parts.length) at += 2;
    }
    parts.splice(at + 1, 0, ' stns');
    return parts.join('') + rest;
  }
  const trailing = /\s*$/.exec(body)![0];
  return `${body.slice(0, body.length - trailing.length)} stns${trailing}${rest}`;
}

export function addStnsToNsswitch(text: string): string {
  const seen = new Set<string>();
  const lines = text.split('\n').map((raw) => {
    const m = LINE.exec(raw);
    if (!m || raw.trimStart().startsWith('#') || !(NSS_DATABASES as readonly string[]).includes(m[2]!)) return raw;
    seen.add(m[2]!);
    return `${m[1]}${m[2]}${m[3]}${addToSources(m[4]!)}`;
  });
  let out = lines.join('\n');
  const missing = NSS_DATABASES.filter((db) => !seen.has(db));
  if (missing.length > 0) {
    // glibc's default for a missing line is `files`; keep that and add stns.
    if (out !== '' && !out.endsWith('\n')) out += '\n';
    for (const db of missing) out += `${db}:${' '.repeat(Math.max(1, 16 - db.length - 1))}files stns\n`;
  }
  return out;
}
