// `render` is the local twin of plan: http_headers values are secrets like the token. They never show in
// --diff or stdout, and a stns.conf that carries only header secrets (no token) is still written 0600.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { renderOutput } from '../helpers/render-output.js';

const HEADER_SECRET = 'hdr-5e4d3c2b1a09';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stns-fleet-render-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('a header value is hidden in --diff and the file that carries it is written 0600, even without a token', async () => {
  const inv = path.join(dir, 'inv.yaml');
  await writeFile(
    inv,
    `version: 1\naws: { region: ap-northeast-1 }\nstns:\n  api_endpoint: https://stns.example.com/v1\n  http_headers: { X-Api-Key: ${HEADER_SECRET} }\ngroups:\n  web: { os: debian-12, targets: [i-0123456789abcdef0] }\n`,
  );
  const out = path.join(dir, 'out');
  const r = await renderOutput({ inventory: inv, os: 'debian-12', out, diff: true, packagesPresent: true });
  expect(r.exitCode).toBe(0);
  expect(r.stdout + r.stderr).not.toContain(HEADER_SECRET);
  expect(r.stdout).toMatch(/^\+X-Api-Key = "\(sensitive\)"$/m);
  const conf = path.join(out, 'etc/stns/client/stns.conf');
  expect(await readFile(conf, 'utf8')).toContain(`X-Api-Key = "${HEADER_SECRET}"`);
  expect((await stat(conf)).mode & 0o777).toBe(0o600);
});
