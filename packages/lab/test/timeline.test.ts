// The bench's "where the time went" (src/bench/timeline.ts): phases read off the command history, and the SSM
// calls of each phase counted from its first SendCommand to the next phase's.
import { describe, expect, test } from 'vitest';
import type { KeptCommand } from '../src/lab-api.js';
import { timeline } from '../src/bench/timeline.js';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);

function command(comment: string, sentS: number, hosts: [startS: number, endS: number][]): KeptCommand {
  return {
    commandId: `c-${comment}-${sentS}`,
    documentName: 'AWS-RunShellScript',
    comment,
    parameters: {},
    requestedAt: at(sentS),
    invocations: hosts.map(([a, b], i) => ({ instanceId: `i-${i}`, status: 'Success', stdout: '', stderr: '', pluginOutput: '', startedAt: at(a), endedAt: at(b) })),
  };
}

describe('timeline', () => {
  test('phases in order, their slowest host, the gap after each, and the calls between one phase and the next', () => {
    const history = [
      command('stns-fleet apply web sf:0a1b', 3, [[3.1, 4]]),
      command('stns-fleet facts (plan) sf:0a1b', 1, [[1.1, 1.5], [1.2, 2.2]]),
      command('stns-fleet facts (plan) sf:0a1b', 1.2, [[1.3, 1.6]]),
    ];
    const ssm = (operation: string, s: number) => ({ service: 'ssm' as const, operation, at: at(s) });
    const requests = [
      ssm('DescribeInstanceInformation', 0.5), // before the first phase: counted in none
      ssm('SendCommand', 1),
      ssm('SendCommand', 1.2),
      ssm('ListCommands', 1.5),
      ssm('ListCommands', 2.3),
      ssm('ListCommandInvocations', 2.4),
      { service: 'ec2' as const, operation: 'DescribeInstances', at: at(2.5) }, // not an SSM call
      ssm('SendCommand', 3),
      ssm('ListCommands', 4.5),
      ssm('ListCommands', 5.5), // after the run's end
    ];
    expect(timeline(history, T0, T0 + 5000, requests)).toEqual([
      { phase: 'facts', commands: 2, hosts: 3, startS: 1, spanS: 1.2, slowestHostS: 1, gapAfterS: 0.8, calls: { SendCommand: 2, ListCommands: 2, ListCommandInvocations: 1 }, lookAfterS: 0.1 },
      { phase: 'apply', commands: 1, hosts: 1, startS: 3, spanS: 1, slowestHostS: 0.9, gapAfterS: 1, calls: { SendCommand: 1, ListCommands: 1 }, lookAfterS: 0.5 },
    ]);
  });

  test("a phase's calls start with the SendCommand request that made its first command (it arrives a latency before)", () => {
    const history = [command('stns-fleet facts (plan) sf:0a1b', 1.025, [[1.1, 1.5]]), command('stns-fleet verify sf:0a1b', 2.025, [[2.1, 2.5]])];
    const ssm = (operation: string, s: number) => ({ service: 'ssm' as const, operation, at: at(s) });
    const requests = [ssm('SendCommand', 1), ssm('ListCommands', 1.6), ssm('SendCommand', 2), ssm('ListCommands', 2.6)];
    const [facts, verify] = timeline(history, T0, T0 + 3000, requests);
    expect(facts!.calls).toEqual({ SendCommand: 1, ListCommands: 1 });
    expect(verify!.calls).toEqual({ SendCommand: 1, ListCommands: 1 });
  });
});
