// verifyHosts over the transport: one command per distinct expectation, the full output read back only when SSM
// cut a successful one, and a host whose command did not complete judged from how it ended.
import { expect, test } from 'vitest';
import { verifyHosts, type VerifyTarget } from '../../src/verify/run.js';
import { FakeTransport, ran, undelivered, type Outcome } from '../helpers/fake-transport.js';
import { VERIFY_CASES } from './verify-fixtures.js';

const good = VERIFY_CASES.find((c) => c.name.startsWith('the right token'))!;
const target = (id: string, users = good.users): VerifyTarget => ({ id, group: 'g', expect: { users, testOptions: [] } });

test('a cut output is read in full; an undelivered one is not asked for; the rest judged from what came', async () => {
  const [cut, whole, lost, other] = ['i-00000000000000001', 'i-00000000000000002', 'i-00000000000000003', 'i-00000000000000004'];
  const answers: Record<string, Outcome> = {
    [cut!]: { ...ran(good.output.slice(0, 100)), truncated: true },
    [whole!]: ran(good.output),
    [lost!]: undelivered('delivery-timed-out'),
    [other!]: ran(good.output),
  };
  const tr = new FakeTransport({ answer: (id) => answers[id]!, fullOutput: () => ({ stdout: good.output, stderr: '' }) });
  const v = await verifyHosts(tr, [target(cut!), target(whole!), target(lost!), target(other!, ['alice'])], new Map());

  expect(tr.requests.map((r) => r.instanceIds)).toEqual([[cut, whole, lost], [other]]); // one command per expectation
  expect(tr.calls.fullOutput.map((c) => c.instanceId)).toEqual([cut]);
  const byId = new Map(v.map((x) => [x.id, x]));
  expect(byId.get(cut!)!.users.map((u) => u.user)).toEqual(good.users); // judged from the full text
  expect(byId.get(cut!)!.users).toEqual(byId.get(whole!)!.users);
  expect(byId.get(lost!)!.problems).toEqual(['the verify command did not complete: never ran on the host (DeliveryTimedOut)']);
  expect(byId.get(other!)!.users.map((u) => [u.user, u.ok])).toEqual([['alice', true]]);
});
