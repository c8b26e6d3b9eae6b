#!/usr/bin/env node
// The `stns-fleet` command's entry point. Node's compile cache goes on first (before any other module is
// loaded): the AWS SDK clients are megabytes of JavaScript, compiled once per version and then read from the
// cache (os.tmpdir()/node-compile-cache) instead of at every run; about 0.1 s of every command's start.
// Installed, this runs as one bundle (dist/bin/stns-fleet.js, scripts/bundle-cli.mjs); STNS_FLEET_DEBUG, which
// shows a bug's stack, also turns on its source maps so the frames name src/ files and lines.
// The program itself is program.ts. node:module is imported whole: a named import of what an older Node lacks
// fails at link time, before the version check could say what is wrong.
import * as nodeModule from 'node:module';
import { MIN_NODE, nodeTooOld } from './node-version.js';

if (nodeTooOld(process.version)) {
  process.stderr.write(`stns-fleet: needs Node.js ${MIN_NODE} or later; this is ${process.version} (${process.execPath})\n`);
  process.exit(1);
}
try {
  nodeModule.enableCompileCache?.();
} catch {
  // no cache (read-only temp directory, older Node): only slower
}
if (process.env['STNS_FLEET_DEBUG']) process.setSourceMapsEnabled(true);
await import('./program.js');
