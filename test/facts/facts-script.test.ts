// shellcheck on the facts script and its read-back (src/facts/facts-script.ts), as the fleet commands send them.
import { expect, test } from 'vitest';
import { FACTS_LIB, factsChunkScript, factsScript } from '../../src/facts/facts-script.js';
import { loadTemplates } from '../../src/render/templates.js';
import { shellcheck } from '../helpers/shellcheck.js';

test('the facts script and its read-back are clean POSIX sh', async () => {
  const t = await loadTemplates(undefined, [FACTS_LIB]);
  for (const [name, text] of [
    ['facts', factsScript(t)],
    ['facts read-back', factsChunkScript(20_000, 20_000)],
  ] as const) {
    const sc = shellcheck(text, name);
    expect(sc.out, name).toBe('');
    expect(sc.code, name).toBe(0);
  }
});
