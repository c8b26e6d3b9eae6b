// `stns-fleet completion bash|zsh|fish`: a shell completion script generated from the commander program
// itself, so it always offers exactly the commands and options this stns-fleet has: every command, its long
// and short options, the fixed values of the options that have them (--format, --os, …), file and directory
// names where an option takes a file or a directory (by its placeholder: <file>, <dir>), and a command's file
// argument (apply PLAN.json). The script goes to stdout; install it as --help says.
import { Argument, type Command, type Option } from 'commander';
import { REPEATABLE } from './options.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

type Value = { kind: 'choices'; words: string[] } | { kind: 'file' } | { kind: 'dir' } | { kind: 'text' };

interface OptionSpec {
  short?: string;
  long?: string;
  description: string;
  /** Undefined: a flag without a value. */
  value?: Value;
  repeat: boolean;
}

interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** What the first positional argument takes, if the command has one. */
  argument?: Value;
}

interface ProgramSpec {
  name: string;
  options: OptionSpec[];
  commands: CommandSpec[];
}

/** The first sentence-ish of a description, on one line, short enough for a completion menu. */
function brief(s: string): string {
  let one = s.replace(/\s+/g, ' ').trim();
  // Asides in parentheses go (innermost first), then everything after the first colon, semicolon or full stop.
  for (let prev = ''; prev !== one; ) [prev, one] = [one, one.replace(/\s*\([^()]*\)/g, '')];
  const cut = one.split(/[:;]\s|\.\s/)[0]!.trim();
  if (cut.length <= 70) return cut;
  const head = cut.slice(0, 69);
  return `${head.slice(0, Math.max(head.lastIndexOf(' '), 40))}…`;
}

function valueOf(o: Option): Value | undefined {
  if (!o.required && !o.optional) return undefined;
  if (o.argChoices && o.argChoices.length > 0) return { kind: 'choices', words: [...o.argChoices] };
  const placeholder = /<([^>]+?)(\.\.\.)?>|\[([^\]]+?)(\.\.\.)?\]/.exec(o.flags);
  const name = placeholder?.[1] ?? placeholder?.[3] ?? '';
  if (/(^|-)file$/.test(name)) return { kind: 'file' };
  if (/(^|-)dir$/.test(name)) return { kind: 'dir' };
  return { kind: 'text' };
}

function optionSpec(o: Option): OptionSpec {
  const value = valueOf(o);
  return {
    ...(o.short ? { short: o.short } : {}),
    ...(o.long ? { long: o.long } : {}),
    description: brief(o.description),
    ...(value ? { value } : {}),
    repeat: o.variadic || REPEATABLE.has(o),
  };
}

function argumentOf(cmd: Command, commandNames: string[]): Value | undefined {
  if (cmd.name() === 'help') return { kind: 'choices', words: commandNames.filter((n) => n !== 'help') };
  const a: Argument | undefined = cmd.registeredArguments[0];
  if (!a) return undefined;
  if (a.argChoices && a.argChoices.length > 0) return { kind: 'choices', words: [...a.argChoices] };
  return /file/.test(a.name()) ? { kind: 'file' } : { kind: 'text' };
}

export function programSpec(program: Command): ProgramSpec {
  const help = program.createHelp();
  const visible = help.visibleCommands(program);
  const names = visible.map((c) => c.name());
  return {
    name: program.name(),
    options: help.visibleOptions(program).map(optionSpec),
    commands: visible.map((c) => {
      const argument = argumentOf(c, names);
      return { name: c.name(), description: brief(c.description()), options: c.createHelp().visibleOptions(c).map(optionSpec), ...(argument ? { argument } : {}) };
    }),
  };
}

const flagsOf = (o: OptionSpec): string[] => [o.short, o.long].filter((f): f is string => f !== undefined);
const fnName = (program: string): string => `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;

function bash(p: ProgramSpec): string {
  const fn = fnName(p.name);
  const words = (ws: string[]): string => ws.join(' ');
  const valueCase = (o: OptionSpec[]): string[] => {
    const byKind = new Map<string, string[]>();
    const lines: string[] = [];
    for (const x of o) {
      if (!x.value) continue;
      const pattern = flagsOf(x).join('|');
      if (x.value.kind === 'choices') lines.push(`        ${pattern}) ${fn}_words "${words(x.value.words)}" "$cur"; return 0 ;;`);
      else byKind.set(x.value.kind, [...(byKind.get(x.value.kind) ?? []), pattern]);
    }
    if (byKind.has('file')) lines.push(`        ${byKind.get('file')!.join('|')}) ${fn}_files "$cur"; return 0 ;;`);
    if (byKind.has('dir')) lines.push(`        ${byKind.get('dir')!.join('|')}) ${fn}_dirs "$cur"; return 0 ;;`);
    if (byKind.has('text')) lines.push(`        ${byKind.get('text')!.join('|')}) return 0 ;;`);
    return lines;
  };
  const argumentLine = (a: Value | undefined): string =>
    a === undefined
      ? '      return 0'
      : a.kind === 'choices'
        ? `      ${fn}_words "${words(a.words)}" "$cur"`
        : a.kind === 'file'
          ? `      ${fn}_files "$cur"`
          : a.kind === 'dir'
            ? `      ${fn}_dirs "$cur"`
            : '      return 0';
  const commandCase = (c: CommandSpec): string[] => {
    const values = valueCase(c.options);
    return [
      `    ${c.name})`,
      ...(values.length > 0 ? ['      case "$prev" in', ...values, '      esac'] : []),
      `      if [[ $cur == -* ]]; then ${fn}_words "${words(c.options.flatMap(flagsOf))}" "$cur"; return 0; fi`,
      argumentLine(c.argument),
      '      ;;',
    ];
  };
  return `# bash completion for ${p.name}, generated by \`${p.name} completion bash\` from its own commands and options.
# Load it in this shell:      source <(${p.name} completion bash)
# or for every new shell:     ${p.name} completion bash > ~/.local/share/bash-completion/completions/${p.name}

${fn}_words() {
  local w
  COMPREPLY=()
  while IFS= read -r w; do COMPREPLY+=("$w"); done < <(compgen -W "$1" -- "$2")
}

${fn}_files() {
  local w
  COMPREPLY=()
  while IFS= read -r w; do COMPREPLY+=("$w"); done < <(compgen -f -- "$1")
  compopt -o filenames 2>/dev/null
  return 0
}

${fn}_dirs() {
  local w
  COMPREPLY=()
  while IFS= read -r w; do COMPREPLY+=("$w"); done < <(compgen -d -- "$1")
  compopt -o filenames 2>/dev/null
  return 0
}

${fn}() {
  local cur="" prev="" cmd="" i
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  if (( COMP_CWORD > 0 )); then prev="\${COMP_WORDS[COMP_CWORD-1]}"; fi
  # --option=value: bash splits at "=" (COMP_WORDBREAKS).
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $prev == "=" ]] && (( COMP_CWORD > 1 )); then
    prev="\${COMP_WORDS[COMP_CWORD-2]}"
  fi
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd" in
    "")
      if [[ $cur == -* ]]; then ${fn}_words "${words(p.options.flatMap(flagsOf))}" "$cur"; return 0; fi
      ${fn}_words "${words(p.commands.map((c) => c.name))}" "$cur"
      ;;
${p.commands.flatMap(commandCase).join('\n')}
  esac
  return 0
}

complete -F ${fn} ${p.name}
`;
}

/** Inside zsh single quotes, and safe in an _arguments [description] and a _describe item. */
function zq(s: string): string {
  return s.replace(/\\/g, '').replace(/\[/g, '(').replace(/\]/g, ')').replace(/:/g, ' -').replace(/'/g, `'\\''`);
}

function zsh(p: ProgramSpec): string {
  const fn = fnName(p.name);
  // Choices are option values such as profile IDs: letters, digits, dots and dashes, safe unquoted.
  const action = (v: Value | undefined, message: string): string => {
    if (!v) return '';
    const m = zq(message);
    if (v.kind === 'choices') return `:${m}:(${v.words.map(zq).join(' ')})`;
    if (v.kind === 'file') return `:${m}:_files`;
    if (v.kind === 'dir') return `:${m}:_files -/`;
    return `:${m}: `;
  };
  const spec = (o: OptionSpec, exclusive?: string): string => {
    const flags = flagsOf(o);
    const message = o.value ? (o.long ?? o.short ?? 'value').replace(/^-+/, '') : '';
    const desc = `[${zq(o.description)}]${action(o.value, message)}`;
    const exclusion = exclusive ?? (o.repeat ? '*' : flags.length > 1 ? `(${flags.join(' ')})` : '');
    if (flags.length === 1) return `'${exclusion}${flags[0]}${desc}'`;
    return `'${exclusion}'{${flags.join(',')}}'${desc}'`;
  };
  const argument = (a: Value | undefined): string[] => (a ? [`'1${action(a, 'argument')}'`] : []);
  const commandCase = (c: CommandSpec): string[] => [
    `        ${c.name})`,
    `          _arguments -s \\`,
    ...[...c.options.map((o) => spec(o)), ...argument(c.argument)].map((s) => `            ${s} \\`),
    '            && ret=0',
    '          ;;',
  ];
  return `#compdef ${p.name}
# zsh completion for ${p.name}, generated by \`${p.name} completion zsh\` from its own commands and options.
# Load it in this shell (after compinit):   source <(${p.name} completion zsh)
# or for every new shell: write it as _${p.name} in a directory of $fpath, e.g.
#   ${p.name} completion zsh > ~/.zfunc/_${p.name}   (with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc)

${fn}() {
  local curcontext="$curcontext" state line ret=1
  typeset -A opt_args
  local -a commands
  commands=(
${p.commands.map((c) => `    '${zq(c.name)}:${zq(c.description)}'`).join('\n')}
  )
  _arguments -C \\
${p.options.map((o) => `    ${spec(o, '(- *)')} \\`).join('\n')}
    '1: :->command' \\
    '*:: :->args' \\
    && ret=0
  case $state in
    command)
      _describe -t commands '${p.name} command' commands && ret=0
      ;;
    args)
      curcontext="\${curcontext%:*:*}:${p.name}-$words[1]:"
      case $words[1] in
${p.commands.flatMap(commandCase).join('\n')}
      esac
      ;;
  esac
  return ret
}

if [[ "$funcstack[1]" == "_${p.name}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${p.name}
fi
`;
}

/** Inside fish single quotes. */
function fq(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fish(p: ProgramSpec): string {
  const c = `complete -c ${p.name}`;
  const flagArgs = (o: OptionSpec): string => [o.short ? `-s ${o.short.replace(/^-/, '')}` : '', o.long ? `-l ${o.long.replace(/^--/, '')}` : ''].filter(Boolean).join(' ');
  const valueArgs = (v: Value | undefined): string => {
    if (!v) return '';
    if (v.kind === 'choices') return ` -x -a ${fq(v.words.join(' '))}`;
    if (v.kind === 'file') return ' -r -F';
    if (v.kind === 'dir') return ` -x -a ${fq('(__fish_complete_directories)')}`;
    return ' -x';
  };
  const lines = [
    `# fish completion for ${p.name}, generated by \`${p.name} completion fish\` from its own commands and options.`,
    `# Load it in this shell:      ${p.name} completion fish | source`,
    `# or for every new shell:     ${p.name} completion fish > ~/.config/fish/completions/${p.name}.fish`,
    '',
    `${c} -f`,
    ...p.options.map((o) => `${c} -n __fish_use_subcommand ${flagArgs(o)} -d ${fq(o.description)}`),
    ...p.commands.map((x) => `${c} -n __fish_use_subcommand -a ${x.name} -d ${fq(x.description)}`),
  ];
  for (const x of p.commands) {
    const when = `-n ${fq(`__fish_seen_subcommand_from ${x.name}`)}`;
    lines.push('', `# ${x.name}`);
    for (const o of x.options) lines.push(`${c} ${when} ${flagArgs(o)}${valueArgs(o.value)} -d ${fq(o.description)}`);
    const a = x.argument;
    if (a?.kind === 'choices') lines.push(`${c} ${when} -a ${fq(a.words.join(' '))}`);
    else if (a?.kind === 'file') lines.push(`${c} ${when} -F`);
    else if (a?.kind === 'dir') lines.push(`${c} ${when} -a ${fq('(__fish_complete_directories)')}`);
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(program: Command, shell: Shell): string {
  const p = programSpec(program);
  return shell === 'bash' ? bash(p) : shell === 'zsh' ? zsh(p) : fish(p);
}

export const COMPLETION_HELP = `
Install (the script is printed on stdout; it is generated from this stns-fleet's own commands and options):
  bash  $ source <(stns-fleet completion bash)                                      this shell
        $ stns-fleet completion bash > ~/.local/share/bash-completion/completions/stns-fleet
  zsh   $ source <(stns-fleet completion zsh)                                       this shell, after compinit
        $ stns-fleet completion zsh > ~/.zfunc/_stns-fleet      with fpath=(~/.zfunc $fpath) before compinit
  fish  $ stns-fleet completion fish | source                                       this shell
        $ stns-fleet completion fish > ~/.config/fish/completions/stns-fleet.fish

Examples:
  $ stns-fleet completion bash > ~/.local/share/bash-completion/completions/stns-fleet
  $ stns-fleet completion zsh > "\${fpath[1]}/_stns-fleet"
  $ stns-fleet completion fish > ~/.config/fish/completions/stns-fleet.fish`;

/** Adds `completion <shell>`; the script is generated from `program` when it runs (every command is there by then). */
export function addCompletionCommand(program: Command, out: (text: string) => void): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish) for stns-fleet\'s commands and options')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText('after', COMPLETION_HELP)
    .action((shell: Shell) => {
      out(completionScript(program, shell));
    });
}
