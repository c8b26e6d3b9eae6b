// Shell-style wildcards as a RegExp: `*` any run of characters, `?` one character, everything else literal,
// the whole string must match. `path: true` keeps both inside one path element (sshd's Include patterns);
// otherwise they match anything (--limit's host IDs and names).
export function globRegExp(pattern: string, o: { path?: boolean } = {}): RegExp {
  const any = o.path ? '[^/]' : '.';
  const body = [...pattern].map((c) => (c === '*' ? `${any}*` : c === '?' ? any : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}
