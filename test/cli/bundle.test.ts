// The command package.json's bin names is one self-contained bundle (scripts/bundle-cli.mjs): running it
// loads no module from node_modules and none of tsc's dist/ modules, only its own files in dist/bin/. Resolving
// the AWS SDK's ~2,300 modules one by one cost ~0.15 s at every start (issue #15); this is what keeps that
// gone. Checked with a module hook that records every file the process loads, for a command that needs the
// templates and stock files (render) and one that needs the SDK (plan, against a closed port).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { CLI, inventoryDir, root } from './run-cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'sf-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Every file: URL the process loads, through import or require (module.registerHooks sees both).
const HOOK = `import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const seen = new Set();
registerHooks({ load(url, context, next) { if (url.startsWith('file:')) seen.add(url); return next(url, context); } });
process.on('exit', () => writeFileSync(process.env.SF_LOADED_FILE, [...seen].join('\\n')));`;

function loadedBy(args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string; files: string[] } {
  const list = path.join(work, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(HOOK)}`, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', SF_LOADED_FILE: list, ...env },
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stderr: r.stderr, files: readFileSync(list, 'utf8').split('\n').filter(Boolean) };
}

const bundleDir = pathToFileURL(path.join(root, 'dist/bin')).href + '/';

test('package.json names the bundle as the command, and the build made it executable', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  expect(pkg.bin['stns-fleet']).toBe('dist/bin/stns-fleet.js');
  expect(() => accessSync(path.join(root, 'dist/bin/stns-fleet.js'), constants.X_OK)).not.toThrow();
});

test('render loads only the bundle, and still finds the templates and stock files', () => {
  const { inv } = inventoryDir();
  const out = path.join(work, 'render');
  const r = loadedBy(['render', '-i', inv, '--os', 'debian-12', '--out', out]);
  expect(r.status).toBe(0);
  expect(readFileSync(path.join(out, 'etc/nsswitch.conf'), 'utf8')).toMatch(/^passwd:.*\bstns\b/m);
  expect(readFileSync(path.join(out, 'etc/stns/client/stns.conf'), 'utf8')).toContain('api_endpoint = "https://stns.example.com/v1"');
  expect(r.files.length).toBeGreaterThan(0);
  expect(r.files.filter((f) => !f.startsWith(bundleDir))).toEqual([]);
});

test('plan loads the AWS SDK from the bundle too (against a closed port: the SDK is loaded, the call fails)', () => {
  const { inv } = inventoryDir();
  const r = loadedBy(['plan', '-i', inv], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/127\.0\.0\.1:9|connect|refused/i);
  expect(r.stderr).not.toMatch(/\n\s+at /); // one clear error, no stack trace
  expect(r.files.filter((f) => !f.startsWith(bundleDir))).toEqual([]);
});
