// Does a named AWS profile exist? Asked before any AWS call, so that `--profile nope` says that the profile
// does not exist (and which do) instead of the SDK's "could not load credentials from any providers". The
// answer comes from the files the SDK itself reads, found as it finds them: AWS_CONFIG_FILE (default
// ~/.aws/config: `[default]`, `[profile NAME]`) and AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials:
// `[NAME]`), a leading `~/` meaning the home directory (HOME, else USERPROFILE, else the OS's).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';

interface ProfileFiles {
  config: string;
  credentials: string;
}

function home(env: NodeJS.ProcessEnv): string {
  return env['HOME'] || env['USERPROFILE'] || (env['HOMEPATH'] ? `${env['HOMEDRIVE'] ?? `C:${path.sep}`}${env['HOMEPATH']}` : homedir());
}

export function profileFiles(env: NodeJS.ProcessEnv = process.env): ProfileFiles {
  const h = home(env);
  const resolve = (p: string): string => (p.startsWith('~/') ? path.join(h, p.slice(2)) : p);
  return {
    config: resolve(env['AWS_CONFIG_FILE'] || path.join(h, '.aws', 'config')),
    credentials: resolve(env['AWS_SHARED_CREDENTIALS_FILE'] || path.join(h, '.aws', 'credentials')),
  };
}

/** The section names of an INI file, or undefined when it cannot be read. */
function sections(file: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.split(/(^|\s)[;#]/)[0]!.trim();
    if (line.startsWith('[') && line.endsWith(']')) out.push(line.slice(1, -1).trim());
  }
  return out;
}

/** The profiles the two files define (sorted), and which of the files could be read. */
export function listProfiles(env: NodeJS.ProcessEnv = process.env): { profiles: string[]; read: string[]; files: ProfileFiles } {
  const files = profileFiles(env);
  const config = sections(files.config);
  const credentials = sections(files.credentials);
  const names = new Set<string>();
  for (const s of config ?? []) {
    if (s === 'default') names.add(s);
    // `[profile NAME]` (quotes allowed, as the SDK allows); `[sso-session …]`, `[services …]` are not profiles.
    const m = /^profile\s+(["']?)(.+)\1$/.exec(s);
    if (m) names.add(m[2]!.trim());
  }
  for (const s of credentials ?? []) names.add(s);
  return {
    profiles: [...names].sort(),
    read: [...(config ? [files.config] : []), ...(credentials ? [files.credentials] : [])],
    files,
  };
}

/**
 * Throws a UserError when `profile` is defined in neither file. `source` says where it came from
 * (`--profile`, `aws.profile in inv.yaml`, `AWS_PROFILE`).
 */
export function checkProfile(profile: string, source: string, env: NodeJS.ProcessEnv = process.env): void {
  const { profiles, read, files } = listProfiles(env);
  if (profiles.includes(profile)) return;
  const where = `${files.config} or ${files.credentials}`;
  const have =
    read.length === 0
      ? 'neither file exists (set AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE if yours are elsewhere)'
      : profiles.length === 0
        ? 'no profile is defined there'
        : `profiles there: ${profiles.join(', ')}`;
  throw new UserError(`AWS profile "${profile}" (${source}) not found in ${where}: ${have}`, {
    hint: `use one of the profiles there, create it (aws configure --profile ${profile}, or aws configure sso), or leave the profile out to use the default credential chain`,
  });
}
