// The command on a Node older than it needs says so, in one line, exit 1: no SyntaxError from the bundle's
// linking, no stack. Run under this machine's own older Node where it has one (Debian's node is 20 here; set-up
// fetches 24 for the project), else that case is skipped and says why.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { MIN_NODE, nodeTooOld } from '../../src/cli/node-version.js';
import { CLI, root } from './run-cli.js';

describe('the oldest Node stns-fleet runs on', () => {
  test("is package.json's engines", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE}`);
  });

  test('older versions are told apart from newer ones', () => {
    for (const v of ['v18.19.0', 'v20.20.2', 'v22.0.0', 'v22.11.9', '22.11.0']) expect(nodeTooOld(v), v).toBe(true);
    for (const v of ['v22.12.0', 'v22.13.1', 'v23.0.0', 'v24.21.0', 'v100.0.0', '24.0.0']) expect(nodeTooOld(v), v).toBe(false);
  });

  const old = ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']
    .filter((p) => existsSync(p))
    .map((p) => ({ p, v: spawnSync(p, ['--version'], { encoding: 'utf8' }).stdout.trim() }))
    .find((x) => /^v\d+\./.test(x.v) && nodeTooOld(x.v));

  test.skipIf(!old)(`an older Node (${old ? `${old.p} ${old.v}` : 'none on this machine'}) gets one line and exit 1`, () => {
    for (const args of [['--help'], ['plan', '-i', 'nowhere.yaml']]) {
      const r = spawnSync(old!.p, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`stns-fleet: needs Node.js ${MIN_NODE} or later; this is ${old!.v} (${old!.p})\n`);
      expect(r.stdout).toBe('');
    }
  });
});
