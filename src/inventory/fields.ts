// The value types of single inventory fields: URLs, paths, names, the auth_token reference and rollout amounts.
// Each carries the message that needs to know what the field means; schema.ts assembles them into the shape.
// A value that may be a credential (a token, a header value) is never echoed in a message.

import * as z from 'zod';
import { DEFAULT_PACKAGE_REPOSITORY, type SecretRef } from '../model/settings.js';
import {
  ENV_NAME_RE,
  HEADER_NAME_RE,
  NODE_NAME_RE,
  PACKAGE_RELEASE_RE,
  PERCENT_RE,
  SSM_PARAMETER_NAME_RE,
  SYSTEM_USER_RE,
  UMASK_RE,
  USER_NAME_RE,
} from './patterns.js';

/** A value as messages quote it: strings in JSON quotes, anything else as is. */
export const str = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

export const nonNegInt = z.int().min(0, { error: 'must be a whole number >= 0' });

export const absolutePath = z
  .string()
  .refine((s) => s.startsWith('/'), { error: (iss) => `${str(iss.input)} is not an absolute path (it must start with /)` });

/** An http or https URL with a host. Whether http is allowed is a rule of the whole stns section (rules.ts). */
export function httpUrl(what: string, example: string) {
  return z.string().refine(
    (s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: (iss) => `${str(iss.input)} is not a valid ${what} URL (expected something like ${example})` },
  );
}

/** The STNS package repository: what apt/yum trust for root-run packages, so only a canonical https URL with
 * nothing a list or repo file could be split on (no whitespace or control characters, no query, fragment or
 * credentials). The value used is the URL as parsed (URL.href): what was checked is what gets written. */
export const packageRepository = z
  .string()
  .refine(
    (s) => {
      if (/[\s\p{Cc}]/u.test(s)) return false;
      try {
        const u = new URL(s);
        return u.protocol === 'https:' && u.hostname !== '' && !u.username && !u.password && !u.search && !u.hash && !s.includes('#');
      } catch {
        return false;
      }
    },
    { error: (iss) => `${str(iss.input)} is not a canonical https URL without spaces, query, fragment or credentials (expected something like ${DEFAULT_PACKAGE_REPOSITORY})` },
  )
  .transform((s) => new URL(s).href);

/** The STNS repository release to install from (stns.package_release): an apt codename (bookworm, noble, …) or a
 * yum tree name (el9, el7, amzn2). It is written into an apt list line and a yum baseurl, so lowercase letters and
 * digits only. Which values fit which host is checked per host (src/profiles/package-releases.ts), where the OS
 * is known. */
export const packageRelease = z.string().regex(PACKAGE_RELEASE_RE, {
  error: (iss) =>
    `${str(iss.input)} is not an STNS repository release: an apt codename such as bookworm or noble, or el9, el7 or amzn2 (lowercase letters and digits)`,
});

/** `{ssm_parameter: NAME}` or `{env: NAME}`: exactly one of the two. */
const SecretRefObject = z
  .strictObject({
    // Never echo these values: people paste tokens into the wrong field.
    ssm_parameter: z
      .string()
      .regex(SSM_PARAMETER_NAME_RE, {
        error: 'ssm_parameter must be an SSM parameter name such as /stns/prod/auth-token (letters, digits, _ . - /)',
      })
      .optional(),
    env: z
      .string()
      .regex(ENV_NAME_RE, {
        error: 'env must name an environment variable such as STNS_AUTH_TOKEN (letters, digits and _, not starting with a digit)',
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    const n = (v.ssm_parameter === undefined ? 0 : 1) + (v.env === undefined ? 0 : 1);
    if (n !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          n === 0
            ? 'auth_token needs one of ssm_parameter or env, e.g. { ssm_parameter: /stns/prod/auth-token }'
            : 'auth_token takes either ssm_parameter or env, not both',
      });
    }
  });

/** auth_token: a reference, or a plain string (allowed only with the opt-in: a rule of the stns section, rules.ts). */
export const SecretRefSchema = z
  .union([z.string(), SecretRefObject], {
    error: 'auth_token must be { ssm_parameter: NAME } or { env: NAME } (or, with allow_plaintext_token: true, the token as a string)',
  })
  .transform((v): SecretRef => {
    if (typeof v === 'string') return { kind: 'plaintext', value: v };
    if (v.ssm_parameter !== undefined) return { kind: 'ssm_parameter', name: v.ssm_parameter };
    return { kind: 'env', name: v.env ?? '' };
  });

export const HttpHeadersSchema = z.record(
  z.string().regex(HEADER_NAME_RE, { error: (iss) => `${str(iss.input)} is not a valid HTTP header name` }),
  // Values may be credentials: never echoed.
  z.string().refine((s) => !/[\r\n]/.test(s), { error: 'an HTTP header value cannot contain a line break' }),
);

/** `N` (a whole number >= min) or `"N%"` (a percentage in pctMin..100), as SSM's MaxConcurrency/MaxErrors. */
export function amount(key: string, min: number, pctMin: number, example: string) {
  const expected = `${key} must be a whole number >= ${min} or a percentage from "${pctMin}%" to "100%" (e.g. ${example})`;
  return z.union([z.int(), z.string()], { error: expected }).superRefine((v, ctx) => {
    if (typeof v === 'number') {
      if (v < min) ctx.addIssue({ code: 'custom', message: expected });
      return;
    }
    const m = PERCENT_RE.exec(v);
    const pct = m ? Number(m[1]) : NaN;
    if (!(pct >= pctMin && pct <= 100)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a valid percentage: ${expected}` });
    }
  });
}
export type Amount = number | `${number}%`;

export const umask = z
  .string({
    error: (iss) =>
      typeof iss.input === 'number'
        ? `umask must be a quoted string such as "0022" (YAML reads an unquoted 0022 as the number 22)`
        : undefined,
  })
  .regex(UMASK_RE, { error: (iss) => `umask ${str(iss.input)} must be 3 or 4 octal digits, such as "0022"` });

export const keysCommandUser = z
  .string()
  .regex(SYSTEM_USER_RE, { error: (iss) => `${str(iss.input)} is not a valid Linux user name` });

export const userName = z.string().regex(USER_NAME_RE, {
  error: (iss) => `${str(iss.input)} is not a valid STNS user name (a letter, then up to 31 letters, digits, _ or -)`,
});

export const nodeName = z.string().regex(NODE_NAME_RE, {
  error: (iss) => `${str(iss.input)} is not a usable Name: a letter or digit, then up to 127 of letters, digits and _ . : / = + @ -`,
});
