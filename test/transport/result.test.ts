// One description of how an invocation ended, shared by facts, apply and verify: checked here through the facts
// stage (what `plan` shows for a host without facts), and the helpers every stage reads results with.
import { expect, test } from 'vitest';
import { gatherFacts } from '../../src/facts/gather.js';
import { loadTemplates } from '../../src/render/templates.js';
import { describeResult, outputOf, succeeded } from '../../src/transport/result.js';
import { cancelled, failed, FakeTransport, notSent, ran, timedOut, undelivered, type Outcome } from '../helpers/fake-transport.js';

test('a host without facts says how its command ended, then the last words of its complaint on stderr (never the facts protocol on stdout)', async () => {
  const t = await loadTemplates(undefined, ['host/facts.sh']);
  const answers: Record<string, Outcome> = {
    'i-00000000000000001': undelivered('undeliverable'),
    'i-00000000000000002': ran('STNS_FLEET_FACTS partial\nsome output\n', 1, 'first\nsecond\nthird\n'),
    // A timed-out facts script leaves half its protocol on stdout, per-host hashes included: not a reason.
    'i-00000000000000003': timedOut('file 6582d0c3a1f4 /etc/pam.d/sshd\n'),
    'i-00000000000000004': undelivered('delivery-timed-out'),
    'i-00000000000000005': failed('Failed'),
  };
  const tr = new FakeTransport({ answer: (id) => answers[id]! });
  const g = await gatherFacts(tr, Object.keys(answers), t);
  const error = (id: string): string | undefined => g.hosts.get(id)?.error;
  expect(error('i-00000000000000001')).toBe('never ran on the host (Undeliverable)');
  expect(error('i-00000000000000002')).toBe('the script failed (exit 1): second | third');
  expect(error('i-00000000000000003')).toBe('the script ran out of time and was stopped (ExecutionTimedOut)');
  expect(error('i-00000000000000004')).toBe('never ran on the host (DeliveryTimedOut)');
  expect(error('i-00000000000000005')).toBe('SSM could not run the script (Failed)');
  expect(g.fetches).toBe(0);
});

test('succeeded is exit 0 of a script that ran; outputOf is what the kinds with output printed', () => {
  const ids = { instanceId: 'i-0', commandId: 'c' };
  expect(succeeded({ ...ids, ...ran('x', 0) })).toBe(true);
  expect(succeeded({ ...ids, ...ran('x', 1) })).toBe(false);
  expect(succeeded({ ...ids, ...cancelled('request', 'x') })).toBe(false);
  expect(outputOf({ ...ids, ...timedOut('so far') })?.stdout).toBe('so far');
  expect(outputOf({ ...ids, ...notSent() })).toBeUndefined();
  expect(outputOf({ ...ids, ...undelivered() })).toBeUndefined();
  expect(describeResult({ ...ids, ...cancelled('deadline') })).toBe('cancelled at the deadline before it finished');
});
