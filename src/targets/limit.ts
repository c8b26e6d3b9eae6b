// --limit, as Ansible's: narrow a run to some of the hosts the groups select, by ID or by the host's name (the
// one naming rule of discovery: Name tag, else ComputerName), with `*` and `?` globs. Patterns come
// comma-separated and/or repeated. A pattern that matches none of the selected hosts is an error naming it: a
// typo must never plan, apply or verify nothing in silence. Hosts outside the limit are dropped right after
// discovery, so no command (not even the facts one) is ever sent to them.
import { UserError } from '../errors.js';
import { globRegExp } from '../model/glob.js';

export interface HostLimit {
  /** The patterns as given, one per entry (commas split, blanks dropped). */
  patterns: string[];
}


/** `["web-*,db-1", "mi-0a…"]` → the limit; undefined when no pattern is given. */
export function parseLimit(values: readonly string[] | undefined): HostLimit | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const patterns = [...new Set(values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter((p) => p !== ''))];
  if (patterns.length === 0) throw new UserError('--limit needs at least one host ID or name (a glob such as "web-*" works too)');
  return { patterns };
}

/** The patterns that select a host, by its ID or its name; the RegExps are made once per call site. */
function matcher(limit: HostLimit): (h: { id: string; name?: string | undefined }) => string[] {
  const res = limit.patterns.map((pattern) => ({ pattern, re: globRegExp(pattern) }));
  return (h) => res.filter(({ re }) => re.test(h.id) || (h.name !== undefined && re.test(h.name))).map((x) => x.pattern);
}

/** A test for one host at a time (a saved plan's hosts), or undefined for no limit. */
export function limitTest(limit: HostLimit | undefined): (h: { id: string; name?: string | undefined }) => boolean {
  if (!limit) return () => true;
  const m = matcher(limit);
  return (h) => m(h).length > 0;
}

/**
 * The hosts within the limit. Every pattern must select at least one of `hosts`; otherwise a UserError names
 * the patterns that matched nothing (and, to help spot a typo, a few of the names and IDs there are).
 */
export function applyLimit<H extends { id: string; name?: string | undefined }>(limit: HostLimit | undefined, hosts: readonly H[], where = 'the selected groups'): H[] {
  if (!limit) return [...hosts];
  const matching = matcher(limit);
  const used = new Set<string>();
  const kept = hosts.filter((h) => {
    const m = matching(h);
    for (const p of m) used.add(p);
    return m.length > 0;
  });
  const unused = limit.patterns.filter((p) => !used.has(p));
  if (unused.length > 0) {
    const known = [...new Set(hosts.flatMap((h) => (h.name ? [h.name] : [h.id])))].sort();
    const shown = known.slice(0, 12).join(', ') + (known.length > 12 ? `, … (${known.length} in all)` : '');
    throw new UserError(
      `--limit ${unused.map((p) => JSON.stringify(p)).join(', ')} matches no host in ${where}${unused.length < limit.patterns.length ? ' (the other patterns do)' : ''}`,
      {
        details: [known.length > 0 ? `hosts there: ${shown}` : 'no host was found there at all'],
        hint: 'a pattern matches a host ID or its Name (Name tag, else computer name), with * and ? as wildcards; `stns-fleet hosts` lists them',
      },
    );
  }
  return kept;
}
