// Option plumbing the command line shares: --limit (hosts, plan, apply, verify), and the order of commander's
// own checks, so that a mistyped option is reported as such (with a did-you-mean) rather than as the
// required option it was meant to be: `--inventroy x` must say "unknown option '--inventroy' (Did you mean
// --inventory?)", not "required option '-i' not specified".
import { Option, type Command } from 'commander';

/** Options that may be given more than once (their values add up); completion.ts offers them again. */
export const REPEATABLE = new WeakSet<Option>();

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** --limit, Ansible's host filter. With a saved plan (apply PLAN.json) it can only narrow that plan. */
export function limitOption(savedPlan = false): Option {
  const o = new Option(
    '-l, --limit <hosts>',
    `only these hosts: IDs or names (Name tag, else computer name), * and ? as wildcards; comma-separated or repeated. A pattern that matches no host is an error; other hosts get nothing, not even the facts command${savedPlan ? '. With a saved plan, only those of its hosts (a limit narrows a plan, never widens it)' : ''}`,
  ).argParser(collect);
  REPEATABLE.add(o);
  return o;
}

/**
 * Commander checks mandatory options before unknown ones. Every mandatory option of every command is made
 * optional for commander and checked in a preAction hook instead, which runs after the unknown-option check
 * (with its suggestion) and before the action, with commander's own message and exit code.
 */
export function deferMandatoryOptions(program: Command): void {
  const visit = (cmd: Command): void => {
    const mandatory = cmd.options.filter((o) => o.mandatory);
    for (const o of mandatory) o.makeOptionMandatory(false);
    if (mandatory.length > 0) {
      cmd.hook('preAction', (self) => {
        for (const o of mandatory) {
          if (self.getOptionValue(o.attributeName()) === undefined) {
            self.error(`error: required option '${o.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue', exitCode: 1 });
          }
        }
      });
    }
    for (const c of cmd.commands) visit(c);
  };
  visit(program);
}
