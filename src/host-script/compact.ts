// The host libraries as they travel: without comment lines, blank lines and indentation. converge.sh is
// 54 KB in the repository and 37 KB without them, and every SendCommand carries it: at 61 KB with its data
// a batch of hosts no longer fit in one command (batches.ts halved them to 13 hosts: 121 SendCommands for
// 1,000 hosts), and every host's sh parsed it all (issue #15). The comments stay in templates/host/.
//
// Only what lies outside quotes and here-documents is touched: a line is dropped or unindented only when it
// starts at the top level of the shell's grammar, as tracked below (single and double quotes, backslashes,
// here-document bodies up to their delimiter). test/host-script/compact.test.ts checks with bash's own parser
// that every library means the same before and after (`declare -f` of the script as a function body).

/** Where the shell's reader is at the end of a line: at the top level, in a quote, or in here-documents. */
interface LexState {
  quote: '' | "'" | '"';
  /** Delimiters of here-documents opened on earlier lines, whose bodies come next (in order). */
  heredocs: { word: string; tabs: boolean }[];
  /** The line ended with a backslash outside single quotes: the next one continues it, whitespace and all. */
  continued: boolean;
}

const HEREDOC = /<<(-?)\s*(?:'([^']+)'|"([^"]+)"|\\?([A-Za-z_][A-Za-z0-9_]*))/g;

/** Advances `s` over one line outside any here-document body. */
function scan(line: string, s: LexState): void {
  s.continued = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (s.quote === "'") {
      if (c === "'") s.quote = '';
    } else if (c === '\\') {
      if (i === line.length - 1) s.continued = true;
      i++;
    } else if (s.quote === '"') {
      if (c === '"') s.quote = '';
    } else if (c === "'" || c === '"') {
      s.quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return; // a comment to the end of the line
    } else if (c === '<' && line[i + 1] === '<') {
      HEREDOC.lastIndex = i;
      const m = HEREDOC.exec(line);
      if (m && m.index === i) {
        s.heredocs.push({ word: m[2] ?? m[3] ?? m[4]!, tabs: m[1] === '-' });
        i = HEREDOC.lastIndex - 1;
      }
    }
  }
}

const SHELLCHECK_DIRECTIVE = /^#\s*shellcheck\s/;

export function compactShell(text: string): string {
  const out: string[] = [];
  const s: LexState = { quote: '', heredocs: [], continued: false };
  let body: { word: string; tabs: boolean } | undefined;
  const lines = text.split('\n');
  lines.forEach((line, n) => {
    if (body) {
      out.push(line);
      if ((body.tabs ? line.replace(/^\t+/, '') : line) === body.word) body = s.heredocs.shift();
      return;
    }
    if (s.quote !== '' || s.continued) {
      out.push(line);
    } else {
      const bare = line.replace(/^[ \t]+/, '');
      if (n === 0 && line.startsWith('#!')) out.push(line);
      // shellcheck's directives are comments it reads (their reasons dropped): the tests check the scripts
      // as they travel.
      else if (SHELLCHECK_DIRECTIVE.test(bare)) out.push(bare.replace(/^(#[^#]*?)\s+#.*$/, '$1'));
      else if (bare === '' || bare.startsWith('#')) return;
      else out.push(bare);
    }
    scan(line, s);
    if (s.quote === '' && !s.continued && s.heredocs.length > 0) body = s.heredocs.shift();
  });
  if (s.quote !== '' || body) throw new Error('internal: a host library ends inside a quote or a here-document');
  return out.join('\n');
}

const compacted = new WeakMap<Buffer, string>();

/** A host library (Templates.data's bytes) as it travels, compacted once per loaded library. */
export function hostLibrary(bytes: Buffer): string {
  let text = compacted.get(bytes);
  if (text === undefined) compacted.set(bytes, (text = compactShell(bytes.toString('utf8').trimEnd())));
  return text;
}
