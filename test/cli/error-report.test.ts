// The one error map: each kind of error is named for who can act on it, with its details and hint; an
// interrupt that came first decides the exit code; anything else is reported as a bug, stack only on request.
import { expect, test } from 'vitest';
import { errorReport } from '../../src/cli/error-report.js';
import { AwsError, ToolError, UserError } from '../../src/errors.js';

test('a user error: message, detail lines, hint; exit 1', () => {
  const r = errorReport(new UserError('inventory.yaml:3:5: fleet.web.targets: empty', { details: ['  one', '  two'], hint: 'list an ID' }), undefined);
  expect(r).toEqual({ exitCode: 1, lines: ['stns-fleet: error: inventory.yaml:3:5: fleet.web.targets: empty', '  one', '  two', 'hint: list an ID'] });
});

test('AWS and this machine are named as such', () => {
  expect(errorReport(new AwsError('AWS denied ssm:SendCommand'), undefined).lines[0]).toBe('stns-fleet: AWS error: AWS denied ssm:SendCommand');
  expect(errorReport(new ToolError('cannot write plan.json'), undefined).lines[0]).toBe('stns-fleet: error on this machine: cannot write plan.json');
});

test('after Ctrl-C or SIGTERM an error exits 130 or 143', () => {
  expect(errorReport(new AwsError('x'), 'SIGINT').exitCode).toBe(130);
  expect(errorReport(new UserError('x'), 'SIGTERM').exitCode).toBe(143);
  expect(errorReport(new Error('boom'), 'SIGTERM').exitCode).toBe(143);
});

test('anything else is a bug: no stack unless STNS_FLEET_DEBUG is set', () => {
  const e = new TypeError('cannot read properties of undefined');
  const plain = errorReport(e, undefined, {});
  expect(plain.exitCode).toBe(1);
  expect(plain.lines).toEqual(['stns-fleet: internal error: cannot read properties of undefined', 'This is a bug in stns-fleet; run again with STNS_FLEET_DEBUG=1 for a stack trace and report it.']);
  expect(plain.lines.join('\n')).not.toMatch(/\n\s+at /);
  expect(errorReport(e, undefined, { STNS_FLEET_DEBUG: '1' }).lines[1]).toMatch(/^TypeError: cannot read properties of undefined\n\s+at /);
  expect(errorReport('a string', undefined, {}).lines[0]).toBe('stns-fleet: internal error: a string');
});
