// Progress goes through the command's Emitter, never straight to process.stderr: no secret in a step's
// title, status line or result, live (listr's renderer on a terminal) or plain. And a step that stopped ends
// as failed (✖), never as done (✔): a stopped apply must not look green.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { applyCommand } from '../../src/cli/run.js';
import { Emitter } from '../../src/output/emitter.js';
import type { Io } from '../../src/output/io.js';
import { Progress, runSteps, stepFailed, type ProgressMode } from '../../src/output/progress.js';
import { ran } from '../helpers/fake-transport.js';
import { TreeTransport, treeHosts } from '../helpers/tree-transport.js';

const SECRET = 's3cr3t-T0KEN-progress-4242';

/** Everything written to process.stderr meanwhile (nothing should be: progress goes through the Emitter). */
function spyStderr(): { text: () => string; restore: () => void } {
  const seen: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    seen.push(String(chunk));
    return true;
  });
  return { text: () => seen.join(''), restore: () => spy.mockRestore() };
}

test.each<ProgressMode>(['plain', 'live'])('%s: a secret in a title, a status line or a result never reaches stderr', async (mode) => {
  const raw: string[] = [];
  const emitter = new Emitter({ out: () => undefined, err: (t) => void raw.push(t) });
  emitter.protect([{ auth_token: SECRET }]);
  const stderr = spyStderr();
  try {
    await runSteps(
      [
        {
          title: `Step one for ${SECRET}`,
          run: async (say) => {
            say(`talking to host with token ${SECRET}`);
            await new Promise((r) => setTimeout(r, 150)); // let the live renderer draw a frame or two
            return `Step one done: ${SECRET}`;
          },
        },
        { title: 'Step two', run: () => Promise.reject(new Error(`host said: ${SECRET}`)) },
      ],
      new Progress(mode, emitter, { isTTY: true, columns: 200, rows: 40 }),
    ).catch((e: unknown) => expect(String(e)).toMatch(/host said/)); // the error propagates, as before
  } finally {
    stderr.restore();
  }
  const shown = raw.join('');
  expect(stderr.text()).not.toContain(SECRET);
  expect(stderr.text()).toBe(''); // every progress byte went through the Emitter
  expect(shown).toMatch(/Step one done: \(sensitive\)/);
  expect(shown).toMatch(/talking to host with token \(sensitive\)/);
  expect(shown).toMatch(/host said: \(sensitive\)/);
  expect(shown).not.toContain(SECRET);
});

test.each<ProgressMode>(['plain', 'live'])('%s: a step that stopped shows as failed (✖), not done', async (mode) => {
  const raw: string[] = [];
  const r = await runSteps(
    [{ title: 'Applying', run: () => Promise.resolve(stepFailed('Apply stopped: the canary failed')) }],
    new Progress(mode, new Emitter({ out: () => undefined, err: (t) => void raw.push(t) }), { isTTY: true, columns: 200, rows: 40 }),
  );
  expect(r).toEqual({ failed: 'Apply stopped: the canary failed' });
  expect(raw.join('')).toMatch(/✖ .*Apply stopped: the canary failed/);
  expect(raw.join('')).not.toMatch(/✔/);
});

test('a step returning stepFailed stops the rest, and runSteps resolves with the text', async () => {
  const ran: string[] = [];
  const r = await runSteps(
    [
      { title: 'a', run: () => Promise.resolve(stepFailed('a stopped')) },
      { title: 'b', run: () => Promise.resolve(void ran.push('b')) },
    ],
    new Progress('silent', new Emitter({ out: () => undefined, err: () => undefined })),
  );
  expect(r).toEqual({ failed: 'a stopped' });
  expect(ran).toEqual([]);
});

// apply against directory hosts whose canary fails (the transport answers Failed for it).
let lab: ReturnType<typeof treeHosts>;
let file: string;
beforeEach(() => {
  lab = treeHosts(['debian-12', 'ubuntu-24.04']);
  file = path.join(lab.dir, 'inv.yaml');
  mkdirSync(lab.dir, { recursive: true });
  writeFileSync(
    file,
    `version: 1\naws: { region: eu-west-1 }\nstns:\n  api_endpoint: https://stns.example.com/v1\n  auth_token: { env: SF_PROGRESS_TOKEN }\ngroups:\n  all:\n    targets: [${lab.hosts.map((h) => h.id).join(', ')}]\n`,
  );
  process.env['SF_PROGRESS_TOKEN'] = SECRET;
});
afterEach(() => {
  rmSync(lab.dir, { recursive: true, force: true });
  delete process.env['SF_PROGRESS_TOKEN'];
});

/** Answers the apply command as a host whose sshd -t refused the change; facts run on the trees. */
const failingCanary = (): TreeTransport =>
  new TreeTransport(lab.hosts, lab.bin, (_id, req) =>
    req.comment.startsWith('stns-fleet apply') ? ran('STNS_FLEET_ERROR sshd -t refused the new configuration\nSTNS_FLEET_RESULT=invalid\n', 40) : undefined,
  );

test('a stopped apply: the progress step ends ✖ (not ✔), and the canary failure quotes no budget (--max-errors 5)', async () => {
  const tr = failingCanary();
  const parts: string[] = [];
  const io: Io = { out: (t) => void parts.push(t), err: (t) => void parts.push(t) };
  const stderr = spyStderr();
  let code: number;
  try {
    code = await applyCommand({ inventory: file, yes: true, canary: '1', maxErrors: '5' }, () => tr, io);
  } finally {
    stderr.restore();
  }
  const text = parts.join('') + stderr.text();
  expect(code).toBe(1);
  expect(text).toMatch(/✖ .*Apply stopped: the canary failed \(i-0+1: failed\)/);
  expect(text).not.toMatch(/✔ Apply stopped/);
  expect(text).toMatch(/^Stopped: the canary failed \(i-0+1: failed\)\.$/m);
  expect(text).not.toMatch(/max_errors 0/);
  expect(text).toMatch(/Apply: 0 changed, 0 unchanged, 0 drifted, 1 failed, 0 cancelled, 1 skipped\./);
  expect(text).not.toContain(SECRET);
});
