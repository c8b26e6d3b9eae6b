// shellcheck on the verify script (src/verify/judge.ts), with a user name that needs quoting.
import { expect, test } from 'vitest';
import { verifyScript } from '../../src/verify/judge.js';
import { shellcheck } from '../helpers/shellcheck.js';

test('the verify script is clean POSIX sh', () => {
  const sc = shellcheck(verifyScript({ users: ['alice', "o'brien"], testOptions: ['AuthorizedKeysCommand /usr/lib/stns-fleet/stns-fleet-keys %u %f'] }), 'verify');
  expect(sc.out).toBe('');
  expect(sc.code).toBe(0);
});
