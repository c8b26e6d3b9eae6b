// `stns-fleet completion bash|zsh|fish`, generated from the commander program: each script is run in its
// shell and asked for completions as the shell would ask (bash: the function with COMP_WORDS/COMP_CWORD;
// fish: `complete -C`; zsh: a real interactive zsh on a pseudo-terminal, compinit and a TAB). zsh or fish
// missing on this machine: their scripts' structure is checked instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { OS_PROFILE_IDS } from '../../src/profiles/ids.js';
import { cli } from './run-cli.js';

const has = (shell: string): boolean => spawnSync(shell, ['-c', 'exit 0']).status === 0;
const script = (shell: string): string => {
  const r = cli(['completion', shell]);
  expect(r.status).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
};
const dir = mkdtempSync(path.join(tmpdir(), 'sf-completion-'));
const saved = (shell: string): string => {
  const f = path.join(dir, `stns-fleet.${shell}`);
  writeFileSync(f, script(shell));
  return f;
};
const COMMANDS = ['validate', 'render', 'hosts', 'plan', 'apply', 'verify', 'reactivate', 'tag', 'image-prep', 'profiles', 'completion', 'help'];

test('completion rejects a shell it does not know, and says which it knows', () => {
  const r = cli(['completion', 'tcsh']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/value 'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish\./);
});

test('completion --help says how to install each script', () => {
  const help = cli(['completion', '--help']).stdout;
  expect(help).toContain('source <(stns-fleet completion bash)');
  expect(help).toContain('~/.local/share/bash-completion/completions/stns-fleet');
  expect(help).toContain('_stns-fleet');
  expect(help).toContain('stns-fleet completion fish | source');
  expect(help).toContain('~/.config/fish/completions/stns-fleet.fish');
});

describe('bash', () => {
  const file = saved('bash');
  /** What the completion function offers for the words typed (the last one is the word being completed). */
  const complete = (...words: string[]): string[] => {
    const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('bash', ['-c', `source "$1"; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _stns_fleet; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', file], {
      encoding: 'utf8',
      cwd: path.resolve(import.meta.dirname, '../..'),
    });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter((l) => l !== '');
  };

  test('shellcheck finds nothing in it', () => {
    const r = spawnSync('shellcheck', ['-s', 'bash', file], { encoding: 'utf8' });
    if (r.error) throw new Error(`shellcheck is needed for this test: ${r.error.message} (apt-get install shellcheck)`);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  test('it is registered for stns-fleet', () => {
    const r = spawnSync('bash', ['-c', 'source "$1"; complete -p stns-fleet', 'bash', file], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('complete -F _stns_fleet stns-fleet');
  });

  test('commands, and the program\'s options', () => {
    expect(complete('stns-fleet', '')).toEqual(COMMANDS);
    expect(complete('stns-fleet', 'pl')).toEqual(['plan']);
    expect(complete('stns-fleet', 're')).toEqual(['render', 'reactivate']);
    expect(complete('stns-fleet', '--')).toEqual(['--version', '--help']);
  });

  test("a command's options, --limit included where it exists", () => {
    expect(complete('stns-fleet', 'plan', '--f')).toEqual(['--format']);
    expect(complete('stns-fleet', 'verify', '--l')).toEqual(['--limit']);
    expect(complete('stns-fleet', 'verify', '-i', 'x.yaml', '--u')).toEqual(['--user']);
    expect(complete('stns-fleet', 'tag', '--l')).toEqual([]);
    expect(complete('stns-fleet', 'apply', '--m')).toEqual(['--max-concurrency', '--max-errors']);
  });

  test('fixed option values: --format, --os, completion\'s shell; also after --opt=', () => {
    expect(complete('stns-fleet', 'plan', '--format', '')).toEqual(['text', 'json', 'markdown']);
    expect(complete('stns-fleet', 'plan', '--format', '=', 'm')).toEqual(['markdown']);
    expect(complete('stns-fleet', 'render', '--os', '')).toEqual(['auto', ...OS_PROFILE_IDS]);
    expect(complete('stns-fleet', 'render', '--os', 'debian-1')).toEqual(['debian-11', 'debian-12', 'debian-13']);
    expect(complete('stns-fleet', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(complete('stns-fleet', 'help', 'ver')).toEqual(['verify']);
  });

  test('file names where a file goes (-i, apply PLAN.json), nothing made up for free text (--profile)', () => {
    expect(complete('stns-fleet', 'plan', '-i', 'inventories/exa')).toEqual(['inventories/example.yaml']);
    expect(complete('stns-fleet', 'apply', 'inventories/exa')).toEqual(['inventories/example.yaml']);
    expect(complete('stns-fleet', 'render', '--out', 'templ')).toEqual(['templates']);
    expect(complete('stns-fleet', 'hosts', '--profile', '')).toEqual([]);
  });
});

describe('fish', () => {
  const text = script('fish');

  test('one complete line per command and per option, fixed values listed', () => {
    for (const c of COMMANDS) expect(text).toMatch(new RegExp(`^complete -c stns-fleet -n __fish_use_subcommand -a ${c} -d '`, 'm'));
    expect(text).toMatch(/^complete -c stns-fleet -n '__fish_seen_subcommand_from plan' -l format -x -a 'text json markdown' -d '/m);
    expect(text).toMatch(/^complete -c stns-fleet -n '__fish_seen_subcommand_from verify' -s l -l limit -x -d '/m);
    expect(text).toMatch(/^complete -c stns-fleet -n '__fish_seen_subcommand_from plan' -s i -l inventory -r -F -d '/m);
    expect(text).toContain(`-l os -x -a 'auto ${OS_PROFILE_IDS.join(' ')}'`);
  });

  test.runIf(has('fish'))('fish itself completes from it (complete -C)', () => {
    const file = saved('fish');
    const complete = (line: string): string[] => {
      const r = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '../..') });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t')[0]!);
    };
    expect(complete('stns-fleet pl')).toEqual(['plan']);
    expect(complete('stns-fleet plan --format ').sort()).toEqual(['json', 'markdown', 'text']);
    expect(complete('stns-fleet plan --format=m')).toEqual(['--format=markdown']);
    expect(complete('stns-fleet verify --li')).toEqual(['--limit']);
    expect(complete('stns-fleet render --os debian-1')).toEqual(['debian-11', 'debian-12', 'debian-13']);
    expect(complete('stns-fleet completion ').sort()).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('stns-fleet apply inventories/exa')).toEqual(['inventories/example.yaml']);
  });
});

describe('zsh', () => {
  const text = script('zsh');

  test('a #compdef function with every command described and each command\'s _arguments specs', () => {
    expect(text.split('\n')[0]).toBe('#compdef stns-fleet');
    for (const c of COMMANDS) expect(text).toMatch(new RegExp(`^ {4}'${c}:`, 'm'));
    expect(text).toContain("'--format[text, json or markdown]:format:(text json markdown)'");
    expect(text).toContain(`:os:(auto ${OS_PROFILE_IDS.join(' ')})'`);
    expect(text).toContain("'*'{-l,--limit}'[only these hosts]:limit: '");
    expect(text).toContain("'(-i --inventory)'{-i,--inventory}'[inventory YAML]:inventory:_files'");
    expect(text).toMatch(/compdef _stns_fleet stns-fleet/);
  });

  test.runIf(has('zsh'))('zsh parses it', () => {
    const r = spawnSync('zsh', ['-n', saved('zsh')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  // A real interactive zsh on a pseudo-terminal (zsh/zpty): compinit, the script sourced, a line typed and
  // completion run on it (complete-word, TAB's widget, from a widget that then prints a marker, so no key is
  // typed ahead while completion runs); compadd is wrapped to print what completion offers. Reads wait for
  // markers, never for a time.
  test.runIf(has('zsh'))('zsh itself completes from it (compinit, TAB)', () => {
    const file = saved('zsh');
    const bin = mkdtempSync(path.join(tmpdir(), 'sf-zsh-bin-'));
    writeFileSync(path.join(bin, 'stns-fleet'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const driver = path.join(dir, 'driver.zsh');
    // $1 the script, $2 a bin directory with a stand-in stns-fleet, $3 a scratch directory, $4 the line typed.
    writeFileSync(
      driver,
      String.raw`zmodload zsh/zpty
zpty z "PATH=$2:\$PATH zsh -f -i"
zpty -w z 'PS1=""; autoload -Uz compinit; compinit -u -d "'"$3"'/zcompdump"; source "'"$1"'"; print READY""1'
zpty -r z out '*READY1*'
zpty -w z 'compadd () { builtin compadd -O __hits "$@"; print -r -- "<<HITS" $__hits "HITS>>"; }; zstyle ":completion:*" menu no; print READY""2'
zpty -r z out '*READY2*'
zpty -w z '_sf_complete () { zle complete-word; print -r -- "<<END""MARK>>"; }; zle -N _sf_complete; bindkey "^T" _sf_complete; print READY""3'
zpty -r z out '*READY3*'
zpty -w -n z "$4"$'\x14'
zpty -r z out '*<<ENDMARK>>*'
print -r -- "$out"
zpty -d z
`,
    );
    const complete = (line: string): string[] => {
      const r = spawnSync('zsh', ['-f', driver, file, bin, dir, line], { encoding: 'utf8', timeout: 60_000 });
      const hits = [...r.stdout.replace(/\r/g, '').matchAll(/<<HITS (.*?) ?HITS>>/g)].flatMap((m) => m[1]!.split(' ').filter(Boolean));
      return [...new Set(hits)];
    };
    expect(complete('stns-fleet pl')).toEqual(['plan']);
    expect(complete('stns-fleet plan --format ')).toEqual(['text', 'json', 'markdown']);
    expect(complete('stns-fleet render --os debian-1')).toEqual(['debian-11', 'debian-12', 'debian-13']);
    expect(complete('stns-fleet completion ')).toEqual(['bash', 'zsh', 'fish']);
    expect(complete('stns-fleet verify --li')).toContain('--limit');
  });
});
