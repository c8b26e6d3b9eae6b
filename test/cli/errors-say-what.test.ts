// Errors say what is wrong (the built CLI, run as a user runs it): a mistyped long option is named with a
// did-you-mean, even on a command whose -i is required; a profile that does not exist is said to not exist,
// with the profiles that do; a region that is not one is refused, on the command line and in the inventory
// (at its file:line). None of these makes an AWS call.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { cli, inventoryDir } from './run-cli.js';

describe('an unknown long option: named, with a did-you-mean, before any missing mandatory option', () => {
  test.each([
    [['hosts', '--inventroy', 'x'], '--inventroy', '--inventory'],
    [['plan', '--inventroy', 'inv.yaml', '-g', 'web'], '--inventroy', '--inventory'],
    [['verify', '--inventroy', 'x'], '--inventroy', '--inventory'],
    [['validate', '--inventroy', 'x'], '--inventroy', '--inventory'],
    [['render', '--inventroy', 'x', '--os', 'debian-12', '--out', 'o'], '--inventroy', '--inventory'],
    [['tag', '--inventroy', 'x'], '--inventroy', '--inventory'],
    [['plan', '-i', 'x', '--limt', 'web-1'], '--limt', '--limit'],
    [['apply', '--max-concurency', '2'], '--max-concurency', '--max-concurrency'],
  ])('%j', (args, bad, meant) => {
    const r = cli(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: unknown option '${bad}'\n(Did you mean ${meant}?)`);
    expect(r.stderr).not.toMatch(/required option/);
  });

  test('a mandatory option that is really missing is still reported, with commander\'s words', () => {
    const hosts = cli(['hosts']);
    expect(hosts.status).toBe(1);
    expect(hosts.stderr).toContain("error: required option '-i, --inventory <file>' not specified");
    const render = cli(['render', '-i', 'x', '--os', 'debian-12']);
    expect(render.status).toBe(1);
    expect(render.stderr).toContain("error: required option '--out <dir>' not specified");
    // --help still works without the mandatory options.
    expect(cli(['plan', '--help']).status).toBe(0);
  });
});

describe('an AWS profile that does not exist', () => {
  const home = (): { dir: string; inv: string; env: Record<string, string | undefined> } => {
    const { dir, inv } = inventoryDir();
    mkdirSync(path.join(dir, '.aws'));
    writeFileSync(path.join(dir, '.aws/config'), '[default]\nregion = us-east-1\n\n[profile lab]\nregion = ap-northeast-1\n\n[sso-session corp]\nsso_region = us-east-1\n');
    writeFileSync(path.join(dir, '.aws/credentials'), '[prod]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n');
    return { dir, inv, env: { HOME: dir, AWS_PROFILE: undefined, AWS_CONFIG_FILE: undefined, AWS_SHARED_CREDENTIALS_FILE: undefined } };
  };

  test('--profile nope: "not found", where it was looked for, and the profiles there are', () => {
    const { dir, inv, env } = home();
    const r = cli(['hosts', '-i', inv, '--profile', 'nope'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`stns-fleet: error: AWS profile "nope" (--profile) not found in ${dir}/.aws/config or ${dir}/.aws/credentials: profiles there: default, lab, prod`);
    expect(r.stderr).not.toMatch(/no AWS credentials/);
  });

  test("the inventory's aws.profile, and AWS_PROFILE, are checked the same way; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE are where the SDK reads", () => {
    const { dir, env } = home();
    const { inv } = inventoryDir({ profile: 'staging' });
    const fromInventory = cli(['plan', '-i', inv], env);
    expect(fromInventory.status).toBe(1);
    expect(fromInventory.stderr).toContain(`AWS profile "staging" (aws.profile in ${inv}) not found`);

    const { inv: plain } = inventoryDir();
    const fromEnv = cli(['verify', '-i', plain], { ...env, AWS_PROFILE: 'nope' });
    expect(fromEnv.stderr).toContain('AWS profile "nope" (AWS_PROFILE) not found');

    const other = path.join(dir, 'elsewhere');
    writeFileSync(other, '[profile staging]\nregion = eu-west-1\n');
    const moved = cli(['hosts', '-i', inv, '--profile', 'nope'], { ...env, AWS_CONFIG_FILE: other, AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none') });
    expect(moved.stderr).toContain(`AWS profile "nope" (--profile) not found in ${other} or ${dir}/none: profiles there: staging`);
  });

  test('no shared files at all: said so', () => {
    const { dir, inv } = inventoryDir();
    const r = cli(['hosts', '-i', inv, '--profile', 'nope'], { HOME: dir, AWS_PROFILE: undefined, AWS_CONFIG_FILE: undefined, AWS_SHARED_CREDENTIALS_FILE: undefined });
    expect(r.stderr).toContain('neither file exists');
  });
});

describe('a region that is not a region', () => {
  test('--region us-eest-1 is refused before any AWS call, with a suggestion', () => {
    const { inv } = inventoryDir();
    const r = cli(['hosts', '-i', inv, '--region', 'us-eest-1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stns-fleet: error: --region "us-eest-1" is not an AWS region name (did you mean us-east-1?)');
  });

  test("the inventory's aws.region: at its file:line, in validate and in every fleet command", () => {
    const { inv } = inventoryDir({ region: 'us-eest-1' });
    const v = cli(['validate', '-i', inv]);
    expect(v.status).toBe(1);
    expect(v.stdout + v.stderr).toContain(`${inv}:3:11: aws.region: "us-eest-1" is not an AWS region name (did you mean us-east-1?)`);
    const h = cli(['hosts', '-i', inv]);
    expect(h.status).toBe(1);
    expect(h.stderr).toContain(`${inv}:3:11: aws.region: "us-eest-1" is not an AWS region name`);
  });

  test('any well-formed region is accepted (a new region, or the lab\'s)', () => {
    const { inv } = inventoryDir({ region: 'sa-west-4' });
    expect(cli(['validate', '-i', inv]).status).toBe(0);
  });
});
