// Secrets never live in rendered content. A rendered file carries a placeholder naming the secret and
// the syntax it must be escaped for; `materialize` substitutes real values only at the edge (the host
// script payload, files written by `render --out`), and `redact` shows `(sensitive)` everywhere else.
import { tomlStringBody } from './toml.js';

/** `auth_token`, or `header_<hex of the header name>` for an `[http_headers]` value (they may be credentials). */
type SecretName = string;
type SecretEncoding = 'toml';

const PLACEHOLDER = /@@STNS_FLEET_SECRET:([a-z0-9_]+):([a-z]+)@@/g;

const AUTH_TOKEN: SecretName = 'auth_token';

/** The secret name of one http_headers value: hex keeps any header name inside the placeholder's alphabet. */
export function headerSecret(header: string): SecretName {
  return `header_${Buffer.from(header, 'utf8').toString('hex')}`;
}

export function secretPlaceholder(name: SecretName, encoding: SecretEncoding): string {
  return `@@STNS_FLEET_SECRET:${name}:${encoding}@@`;
}

export function secretsIn(content: Buffer | string): SecretName[] {
  const names = new Set<SecretName>();
  for (const m of content.toString('utf8').matchAll(PLACEHOLDER)) names.add(m[1]!);
  return [...names];
}

function encode(value: string, encoding: string): string {
  if (encoding === 'toml') return tomlStringBody(value);
  throw new Error(`unknown secret encoding ${encoding}`);
}

export type SecretValues = Partial<Record<SecretName, string>>;

/** The secret values of a group's stns.conf: its resolved token (if any) and every http_headers value. */
export function stnsSecretValues(headers: Record<string, string> | undefined, authToken: string | undefined): SecretValues {
  const v: SecretValues = {};
  if (authToken !== undefined) v[AUTH_TOKEN] = authToken;
  for (const [k, value] of Object.entries(headers ?? {})) v[headerSecret(k)] = value;
  return v;
}

/** Substitutes secret values. Throws if a placeholder has no value, so a file is never written half-made. */
export function materialize(content: Buffer, values: SecretValues): Buffer {
  const text = content.toString('utf8');
  if (!text.includes('@@STNS_FLEET_SECRET:')) return content;
  return Buffer.from(
    text.replace(PLACEHOLDER, (_m, name: string, enc: string) => {
      const v = values[name];
      if (v === undefined) throw new Error(`secret ${name} has no value`);
      return encode(v, enc);
    }),
  );
}

const SENSITIVE = '(sensitive)';

export function redact(text: string): string {
  return text.replace(PLACEHOLDER, SENSITIVE);
}

/** Removes every occurrence of known secret values from text meant for people or logs. */
export function scrub(text: string, values: SecretValues): string {
  let out = text;
  for (const v of Object.values(values)) {
    if (v && v.length >= 4) out = out.split(v).join(SENSITIVE);
  }
  return out;
}
