// After `tsc` (npm run build): links the command line into one bundle, dist/bin/stns-fleet.js (package.json's
// bin), with esbuild. Why: Node resolves, reads and wraps every module of an import graph one by one, and the
// AWS SDK clients alone are ~2,300 modules: ~0.15 s of every command's start before its first AWS call, on
// this 2-CPU machine (issue #15). The bundle takes the SDK's ES module builds (mainFields: module first), so
// the ~700 EC2 operations the CLI never sends are left out. tsc stays the compiler (types checked, dist/ for
// the library export and the lab); esbuild only links its output. The commands' lazy imports stay lazy
// (splitting: `--help` loads no SDK).
//
// The bundle lives one folder below dist/, as dist/cli/ does, so the paths the modules resolve from
// import.meta.url (../../templates/, ../../stock/, ../../package.json) point at the same files.
// Source maps (without the sources) say where in src/ a stack frame is: main.ts turns them on for
// STNS_FLEET_DEBUG.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/bin');
rmSync(outdir, { recursive: true, force: true }); // chunk names carry hashes: no stale chunk may stay

await build({
  absWorkingDir: root,
  entryPoints: { 'stns-fleet': 'dist/cli/main.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22.12',
  mainFields: ['module', 'main'],
  chunkNames: 'chunk-[hash]',
  // The few CommonJS modules bundled (handlebars) require() Node's built-ins; an ES module has no require.
  banner: { js: "import { createRequire as __sfCreateRequire } from 'node:module';\nconst require = __sfCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'linked',
  logLevel: 'warning',
});
chmodSync(path.join(outdir, 'stns-fleet.js'), 0o755);
