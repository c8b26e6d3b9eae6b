// shellcheck on the apply script (src/plan/host-script.ts) as it is sent: its token sealed to a host's key (the
// converge library's inline form is checked per OS in test/render/profiles.test.ts; the facts and verify scripts
// in test/facts/facts-script.test.ts and test/verify/verify-script.test.ts).
import { generateKeyPairSync } from 'node:crypto';
import { expect, test } from 'vitest';
import { draftHostScript, finishHostScript } from '../../src/plan/host-script.js';
import { newRunKey } from '../../src/host-script/seal.js';
import { loadTemplates } from '../../src/render/templates.js';
import { render, SECRETS } from '../helpers/render.js';
import { shellcheck } from '../helpers/shellcheck.js';

test('the apply script, sealed, is clean POSIX sh', async () => {
  const t = await loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh']);
  const pub = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const r = await render('ubuntu-24.04');
  const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const sealed = finishHostScript(draftHostScript(r.plan, t), { kind: 'sealed', values: SECRETS, runKey: newRunKey(), recipients: [pub, x25519] });
  expect(sealed).toMatch(/^sf_seal [0-9a-f]{16} /m);
  expect(sealed).toMatch(/^sf_seal_ecdh [0-9a-f]{16} [0-9a-f]{128}$/m);
  const sc = shellcheck(sealed, 'apply (sealed)');
  expect(sc.out).toBe('');
  expect(sc.code).toBe(0);
});
