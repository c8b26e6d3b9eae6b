import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { validateCommand as run } from '../../src/cli/run.js';
import { MINIMAL } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stns-fleet-validate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const SECRET = 'tok-9f8e7d6c5b4a';

/** `validate` as the CLI runs it, with what it printed. */
async function validateCommand(file: string, o: { json: boolean }): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await run({ inventory: file, json: o.json }, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  return { exitCode, stdout, stderr };
}

describe('validate', () => {
  test('a valid file: exit 0 and a summary on stdout', async () => {
    const file = await write('ok.yaml', MINIMAL + '      - tags: { Role: web }\n  db:\n    targets: [mi-0123456789abcdef0, i-0a1b2c3d]\n');
    expect(await validateCommand(file, { json: false })).toEqual({
      exitCode: 0,
      stdout: `${file}: valid (2 groups, 3 hosts by ID, 1 tag selector)\n`,
      stderr: '',
    });
  });

  test('the example inventory is valid', async () => {
    const r = await validateCommand('inventories/example.yaml', { json: false });
    expect(r).toEqual({
      exitCode: 0,
      stdout: 'inventories/example.yaml: valid (3 groups, 4 hosts by ID, 2 tag selectors)\n',
      stderr: '',
    });
  });

  test('an invalid file: exit 1 and one line per problem on stderr', async () => {
    const file = await write('bad.yaml', MINIMAL.replace('version: 1', 'version: 2') + '      - i-1\n');
    expect(await validateCommand(file, { json: false })).toEqual({
      exitCode: 1,
      stdout: '',
      stderr:
        `${file}:1:10: version: unsupported inventory version 2; this stns-fleet understands version 1\n` +
        `${file}:10:9: groups.web.targets[1]: i-1 is not an EC2 instance ID (i- followed by 8 or 17 hex digits)\n`,
    });
  });

  test('warnings go to stderr and do not fail', async () => {
    const file = await write('warn.yaml', MINIMAL.replace('stns:\n', `stns:\n  allow_plaintext_token: true\n  auth_token: ${SECRET}\n`));
    const r = await validateCommand(file, { json: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${file}: valid (1 group, 1 host by ID, 0 tag selectors)\n`);
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:15: warning: stns\\.auth_token: .*clear text.*\\n$`));
    expect(r.stderr + r.stdout).not.toContain(SECRET);
  });

  test('--json: the shape, on stdout only', async () => {
    const file = await write('json.yaml', MINIMAL.replace('stns:\n', `stns:\n  auth_token: ${SECRET}\n`) + '    os: centos-7\n');
    const r = await validateCommand(file, { json: true });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain(SECRET);
    const out = JSON.parse(r.stdout) as unknown;
    expect(out).toEqual({
      file,
      valid: false,
      problems: [
        {
          file,
          line: 5,
          col: 15,
          path: 'stns.auth_token',
          message: expect.stringContaining('{ ssm_parameter: NAME } or { env: NAME }') as unknown,
          severity: 'error',
        },
        {
          file,
          line: 11,
          col: 9,
          path: 'groups.web.os',
          message: expect.stringContaining('unknown OS "centos-7"') as unknown,
          severity: 'error',
        },
      ],
    });
  });

  test('--json on a valid file with a warning', async () => {
    const file = await write('jsonw.yaml', MINIMAL.replace('stns:\n', `stns:\n  allow_plaintext_token: true\n  auth_token: ${SECRET}\n`));
    const r = await validateCommand(file, { json: true });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain(SECRET);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: { severity: string }[] };
    expect(out.valid).toBe(true);
    expect(out.problems.map((p) => p.severity)).toEqual(['warning']);
  });

  test('an unreadable file throws INVENTORY_UNREADABLE', async () => {
    const err = await validateCommand(join(dir, 'nope.yaml'), { json: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FleetError);
    expect((err as FleetError).kind).toBe('user');
    const errDir = await validateCommand(dir, { json: false }).catch((e: unknown) => e);
    expect((errDir as FleetError).message).toBe(`cannot read inventory ${dir}: it is a directory`);
  });

  test('resolves no secret: an unset env token is not a problem', async () => {
    const file = await write('env.yaml', MINIMAL.replace('stns:\n', 'stns:\n  auth_token: { env: STNS_FLEET_TEST_SURELY_UNSET }\n'));
    expect((await validateCommand(file, { json: false })).exitCode).toBe(0);
  });
});
