// After `tsc` (npm run build): removes from an output directory what no source file makes any more (a module
// moved or deleted since the last build), so dist/ — and the package `npm pack` makes of it — is exactly the
// build of the sources. Never touches what the build just wrote, nor dist/bin/ (the bundle that
// scripts/bundle-cli.mjs makes of tsc's output: no source file has its name, and it is rebuilt whole).
//   node scripts/prune-dist.mjs SRC_DIR OUT_DIR [SRC_DIR OUT_DIR …]
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const OUTPUTS = ['.d.ts.map', '.js.map', '.d.ts', '.js'];
/** Output folders no source maps to, left alone. */
const KEEP = new Set([path.resolve('dist/bin')]);

function prune(src, out) {
  if (!existsSync(out)) return;
  for (const e of readdirSync(out, { withFileTypes: true })) {
    const p = path.join(out, e.name);
    if (e.isDirectory()) {
      if (KEEP.has(path.resolve(p))) continue;
      prune(path.join(src, e.name), p);
      if (readdirSync(p).length === 0) rmdirSync(p);
      continue;
    }
    const ext = OUTPUTS.find((x) => e.name.endsWith(x));
    const base = ext ? e.name.slice(0, -ext.length) : undefined;
    if (base === undefined || !existsSync(path.join(src, `${base}.ts`))) {
      rmSync(p, { force: true });
      console.error(`prune-dist: removed ${p} (no ${path.join(src, `${base ?? e.name}.ts`)})`);
    }
  }
}

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 2 !== 0) {
  console.error('usage: node scripts/prune-dist.mjs SRC_DIR OUT_DIR [SRC_DIR OUT_DIR …]');
  process.exit(2);
}
for (let i = 0; i < args.length; i += 2) prune(args[i], args[i + 1]);
