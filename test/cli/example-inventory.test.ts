// The example inventory is what a new user renders first. Its http_headers values are secrets to stns-fleet
// (a header may carry a credential), so every output scrubs them: an example value that is also a word of
// the output itself (it was "stns-fleet") turned the drop-in's name into "00-(sensitive).conf".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { cli } from './run-cli.js';

test('rendering the example inventory shows its own file names whole', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'sf-example-'));
  try {
    const r = cli(['render', '-i', 'inventories/example.yaml', '--os', 'debian-12', '--out', out], { STNS_AUTH_TOKEN: 'example-token-for-the-test' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('/etc/ssh/sshd_config.d/00-stns-fleet.conf');
    expect(`${r.stdout}${r.stderr}`).not.toContain('(sensitive)');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
