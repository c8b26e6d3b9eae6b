// Which AWS profiles exist (src/aws/profiles.ts), read from the files the SDK reads, found as it finds them.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { checkProfile, listProfiles, profileFiles } from '../../src/aws/profiles.js';
import { isFleetError } from '../../src/errors.js';

function home(files: { config?: string; credentials?: string }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sf-profiles-'));
  mkdirSync(path.join(dir, '.aws'));
  if (files.config !== undefined) writeFileSync(path.join(dir, '.aws/config'), files.config);
  if (files.credentials !== undefined) writeFileSync(path.join(dir, '.aws/credentials'), files.credentials);
  return dir;
}

const CONFIG = [
  '# a comment',
  '[default]',
  'region = us-east-1',
  '',
  '[profile lab]   ; trailing comment',
  'region = ap-northeast-1',
  "[profile 'quoted']",
  'region = eu-west-1',
  '[sso-session corp]',
  'sso_region = us-east-1',
  '[services local]',
  'ssm =',
  '  endpoint_url = http://127.0.0.1:4566',
  '[plain]', // without "profile ": not a profile in the config file, as for the SDK
  'region = x',
  '',
].join('\n');

test('config: [default] and [profile NAME]; credentials: [NAME]; sso-session, services and bare config sections are not profiles', () => {
  const dir = home({ config: CONFIG, credentials: '[prod]\naws_access_key_id = AKIA\n[default]\naws_access_key_id = x\n' });
  const r = listProfiles({ HOME: dir });
  expect(r.profiles).toEqual(['default', 'lab', 'prod', 'quoted']);
  expect(r.read).toEqual([path.join(dir, '.aws/config'), path.join(dir, '.aws/credentials')]);
});

test('AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE move the files (a leading ~/ is the home directory)', () => {
  const dir = home({});
  writeFileSync(path.join(dir, 'cfg'), '[profile moved]\nregion = x\n');
  const env = { HOME: dir, AWS_CONFIG_FILE: '~/cfg', AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'missing') };
  expect(profileFiles(env)).toEqual({ config: path.join(dir, 'cfg'), credentials: path.join(dir, 'missing') });
  expect(listProfiles(env).profiles).toEqual(['moved']);
  expect(listProfiles(env).read).toEqual([path.join(dir, 'cfg')]);
});

test('checkProfile: an existing profile passes; any other is a user error naming it, its source, the files and the profiles there', () => {
  const dir = home({ config: CONFIG });
  expect(() => checkProfile('lab', '--profile', { HOME: dir })).not.toThrow();
  const e = (() => {
    try {
      checkProfile('nope', '--profile', { HOME: dir });
    } catch (x) {
      return x;
    }
    return undefined;
  })();
  expect(isFleetError(e) && e.kind).toBe('user');
  expect((e as Error).message).toBe(`AWS profile "nope" (--profile) not found in ${dir}/.aws/config or ${dir}/.aws/credentials: profiles there: default, lab, quoted`);
  expect((e as { hint?: string }).hint).toMatch(/aws configure --profile nope/);
});

test('no files, or files without profiles: said so', () => {
  const none = home({});
  expect(() => checkProfile('x', 'AWS_PROFILE', { HOME: none })).toThrow(/\(AWS_PROFILE\) not found in .*: neither file exists/);
  const empty = home({ config: '# nothing yet\n' });
  expect(() => checkProfile('x', 'aws.profile in inv.yaml', { HOME: empty })).toThrow(/\(aws\.profile in inv\.yaml\) not found in .*: no profile is defined there$/);
});
