// Every command's --help shows examples, and the fleet commands document --limit (apply: that a limit only
// narrows a saved plan). The list of commands comes from the program's own --help, so a new command without
// examples fails here.
import { describe, expect, test } from 'vitest';
import { cli } from './run-cli.js';

const commands = (): string[] => {
  const help = cli(['--help']).stdout;
  const block = help.slice(help.indexOf('Commands:'), help.indexOf('\n\n', help.indexOf('Commands:')));
  return [...block.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
};

test('the program lists every command, completion included', () => {
  expect(commands()).toEqual(['validate', 'render', 'hosts', 'plan', 'apply', 'verify', 'reactivate', 'tag', 'image-prep', 'profiles', 'completion']);
});

describe.each(commands())('%s --help', (c) => {
  test('has examples, each a real invocation of this command', () => {
    const r = cli([c, '--help']);
    expect(r.status).toBe(0);
    const examples = r.stdout.slice(r.stdout.indexOf('\nExamples:\n'));
    expect(examples.startsWith('\nExamples:\n')).toBe(true);
    const lines = examples.split('\n').filter((l) => l.startsWith('  $ '));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.includes(`stns-fleet ${c}`))).toBe(true);
  });
});

test.each(['hosts', 'plan', 'apply', 'verify'])('%s documents -l, --limit', (c) => {
  const help = cli([c, '--help']).stdout.replace(/\s+/g, ' ');
  expect(help).toMatch(/-l, --limit <hosts> only these hosts: IDs or names \(Name tag, else computer name\), \* and \? as wildcards; comma-separated or repeated/);
  expect(help).toContain('A pattern that matches no host is an error');
  if (c === 'apply') expect(help).toContain('With a saved plan, only those of its hosts (a limit narrows a plan, never widens it)');
});

test.each(['reactivate', 'tag', 'validate', 'render'])('%s has no --limit (it would not be honoured)', (c) => {
  expect(cli([c, '--help']).stdout).not.toContain('--limit');
});
