// The runner of a lab with model hosts: directory hosts as HostRunner runs them; a model host's command is
// answered by the model (model-hosts.ts) with no process of its own, through the same RunHandle, so the
// command engine cannot tell. A cancel before the answer leaves the host in its state (killed as a process
// would be: 137); the `timeout` fault replays the answer, then hangs until the execution timeout, as
// HostRunner's hang does (TimedOut, 137, with the script's output).
import type { LabHost } from './hosts.js';
import type { ModelHosts, Transition } from './model-hosts.js';
import { HostRunner, type RunHandle, type RunResult, type RunSpec } from './runner.js';

const KILLED_EXIT = 137;

export class ModelHostRunner extends HostRunner {
  constructor(
    o: ConstructorParameters<typeof HostRunner>[0],
    private readonly model: ModelHosts,
  ) {
    super(o);
  }

  override run(spec: RunSpec): RunHandle {
    if (!spec.host.model) return super.run(spec);
    // The one real run of a (state, script) pair: this host's script on a copy of its state's tree, never hung.
    const real = (dir: string): Promise<RunResult> => super.run({ ...spec, host: { ...spec.host, dir, model: false }, hang: false }).done;
    return answer(spec, this.model, real);
  }
}

function joined(parts: string[], dir: string): string {
  return parts.length === 1 ? parts[0]! : parts.join(dir);
}

function answer(spec: RunSpec, model: ModelHosts, real: (dir: string) => Promise<RunResult>): RunHandle {
  const startedAt = new Date();
  let cancel = (): void => {};
  const cancelled = new Promise<'cancel'>((r) => (cancel = () => r('cancel')));
  const result = (t: Transition | undefined, exitCode: number, killedFor?: RunResult['killedFor']): RunResult => ({
    exitCode,
    ...(killedFor ? { killedFor } : {}),
    spawned: true,
    stdout: t ? joined(t.stdout, spec.host.dir) : '',
    stderr: t ? joined(t.stderr, spec.host.dir) : '',
    startedAt,
    endedAt: new Date(),
  });
  const done = (async (): Promise<RunResult> => {
    let t: Transition | 'cancel';
    try {
      t = await Promise.race([model.lookup(spec.host, spec.commandId, spec.script, real), cancelled]);
    } catch (e) {
      return { ...result(undefined, 1), stderr: `stns-fleet lab: the model could not run this script: ${e instanceof Error ? e.message : String(e)}\n` };
    }
    if (t === 'cancel') return result(undefined, KILLED_EXIT, 'cancel');
    model.move(spec.host, t.next);
    if (spec.hang && !t.killedFor) {
      let timer: NodeJS.Timeout | undefined;
      const left = Math.max(0, spec.timeoutMs - (Date.now() - startedAt.getTime()));
      const hung = await Promise.race([new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), left))), cancelled]);
      clearTimeout(timer);
      return result(t, KILLED_EXIT, hung);
    }
    return result(t, t.killedFor ? KILLED_EXIT : t.exitCode, t.killedFor);
  })();
  return { done, started: Promise.resolve(startedAt), cancel };
}
