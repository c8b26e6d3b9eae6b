#!/usr/bin/env node
// The `stns-fleet` command's entry point. Node's compile cache goes on first (before any other module is
// loaded): the AWS SDK clients are megabytes of JavaScript, compiled once per version and then read from the
// cache (os.tmpdir()/node-compile-cache) instead of at every run; about 0.1 s of every command's start.
// The program itself is program.ts.
import { enableCompileCache } from 'node:module';

try {
  enableCompileCache?.();
} catch {
  // no cache (read-only temp directory, older Node): only slower
}
await import('./program.js');
