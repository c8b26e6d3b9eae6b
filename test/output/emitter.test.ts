// The one output seam: every write is scrubbed of the registered secrets (stdout, stderr, progress frames,
// the confirmation question); while a live progress frame is up, other stderr lines wait and then come out
// in order, after the frame; and a command run from the CLI shares the CLI's emitter.
import { expect, test, vi } from 'vitest';
import { Emitter } from '../../src/output/emitter.js';
import type { Io } from '../../src/output/io.js';
import { Progress, runSteps } from '../../src/output/progress.js';

const SECRET = 'em1tter-S3CRET-0042';

function terminal(): { io: Io; log: string[] } {
  const log: string[] = [];
  return { io: { out: (t) => void log.push(`out:${t}`), err: (t) => void log.push(`err:${t}`) }, log };
}

test('out, err, frames and the question are scrubbed of every secret registered before they are written', async () => {
  const t = terminal();
  const asked: string[] = [];
  const e = new Emitter({ ...t.io, confirm: (q) => (asked.push(q), Promise.resolve(true)) });
  e.out(`before ${SECRET}\n`); // nothing registered yet: shown as given
  e.protect([{ auth_token: SECRET }, { header_58: 'other-S3CRET' }]);
  e.out(`token ${SECRET}\n`);
  e.err(`header other-S3CRET\n`);
  e.frame(`frame ${SECRET}`);
  expect(await e.confirm!(`apply with ${SECRET}?`)).toBe(true);
  expect(t.log).toEqual([`out:before ${SECRET}\n`, 'out:token (sensitive)\n', 'err:header (sensitive)\n', 'err:frame (sensitive)']);
  expect(asked).toEqual(['apply with (sensitive)?']);
  expect(e.scrub(`x${SECRET}x`)).toBe('x(sensitive)x');
});

test('while live, other stderr lines are held and come out in order after it; frames and stdout are not held', async () => {
  const t = terminal();
  const e = new Emitter(t.io);
  await e.live(async () => {
    e.err('warning one\n');
    e.frame('[frame 1]');
    await e.live(async () => e.err('warning two\n')); // nested: the outer call releases
    e.out('report\n');
    e.frame('[frame 2]');
    expect(t.log).toEqual(['err:[frame 1]', 'out:report\n', 'err:[frame 2]']);
  });
  expect(t.log).toEqual(['err:[frame 1]', 'out:report\n', 'err:[frame 2]', 'err:warning one\n', 'err:warning two\n']);
  e.err('after\n');
  expect(t.log.at(-1)).toBe('err:after\n');
});

test('held lines are released when the live work fails too', async () => {
  const t = terminal();
  const e = new Emitter(t.io);
  await expect(e.live(async () => {
    e.err('stopping: budget spent\n');
    throw new Error('boom');
  })).rejects.toThrow('boom');
  expect(t.log).toEqual(['err:stopping: budget spent\n']);
});

test('a live progress step: a notice written meanwhile does not tear the frame, and nothing reaches process.stderr', async () => {
  const t = terminal();
  const e = new Emitter(t.io);
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await runSteps(
      [
        {
          title: 'Working',
          run: async () => {
            e.err('stns-fleet: interrupted: cancelling in-flight commands\n');
            await new Promise((r) => setTimeout(r, 150)); // a frame or two
            return 'Worked';
          },
        },
      ],
      new Progress('live', e, { isTTY: true, columns: 100, rows: 20 }),
    );
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
  const notice = t.log.findIndex((l) => l.includes('interrupted: cancelling'));
  const lastFrame = t.log.findLastIndex((l) => l.includes('Worked'));
  expect(lastFrame).toBeGreaterThan(-1);
  expect(notice).toBeGreaterThan(lastFrame);
});

test('Emitter.over: the CLI\'s emitter is shared, any other Io gets one', () => {
  const e = new Emitter(terminal().io);
  expect(Emitter.over(e)).toBe(e);
  const io = terminal().io;
  expect(Emitter.over(io)).toBeInstanceOf(Emitter);
  expect(Emitter.over(io)).not.toBe(Emitter.over(io));
});
