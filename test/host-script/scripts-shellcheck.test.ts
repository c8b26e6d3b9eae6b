// shellcheck on every script the fleet commands send: facts, its read-back, verify, and an apply script with
// its token sealed (the converge library's inline form is checked per OS in test/render/profiles.test.ts).
import { generateKeyPairSync } from 'node:crypto';
import { expect, test } from 'vitest';
import { factsChunkScript, factsScript } from '../../src/facts/facts-script.js';
import { verifyScript } from '../../src/verify/judge.js';
import { draftHostScript, finishHostScript } from '../../src/plan/host-script.js';
import { newRunKey } from '../../src/host-script/seal.js';
import { loadTemplates } from '../../src/render/templates.js';
import { render, SECRETS } from '../helpers/render.js';
import { shellcheck } from '../helpers/shellcheck.js';

test('every script the fleet commands send is clean POSIX sh', async () => {
  const t = await loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh', 'host/facts.sh']);
  const pub = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const r = await render('ubuntu-24.04');
  const sealed = finishHostScript(draftHostScript(r.plan, t), { kind: 'sealed', values: SECRETS, runKey: newRunKey(), recipients: [pub] });
  expect(sealed).toMatch(/^sf_seal [0-9a-f]{16} /m);
  for (const [name, text] of [
    ['facts', factsScript(t)],
    ['facts read-back', factsChunkScript(20_000, 20_000)],
    ['verify', verifyScript({ users: ['alice', "o'brien"], testOptions: ['AuthorizedKeysCommand /usr/lib/stns-fleet/stns-fleet-keys %u %f'] })],
    ['apply (sealed)', sealed],
  ] as const) {
    const sc = shellcheck(text, name);
    expect(sc.out, name).toBe('');
    expect(sc.code, name).toBe(0);
  }
});
