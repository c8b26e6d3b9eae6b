// The inventory file format, version 1, as a zod schema. Objects are strict everywhere (an unknown key is a
// mistake we report, not something we silently ignore). Messages that need to know what the field *means*
// live here; structural messages (missing key, wrong type, unknown key) are worded by load.ts.
//
// Rules that span several fields (https-only endpoints, the plaintext-token opt-in, a host listed twice)
// are checked in load.ts on the YAML tree, so they are reported even when other parts of the file are invalid.

import * as z from 'zod';
import { DEFAULT_PACKAGE_REPOSITORY, type SecretRef } from '../model/settings.js';
import { OS_PROFILE_IDS } from '../profiles/ids.js';

// ---------------------------------------------------------------------------------------------- patterns

export const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;
export const EC2_INSTANCE_ID_RE = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const MANAGED_NODE_ID_RE = /^mi-[0-9a-f]{17}$/;
export const GROUP_NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
/** STNS's own rule for user names. */
export const USER_NAME_RE = /^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/;
export const SSM_PARAMETER_NAME_RE = /^[a-zA-Z0-9_.\-/]{1,2048}$/;
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const UMASK_RE = /^[0-7]{3,4}$/;
export const PERCENT_RE = /^(\d{1,3})%$/;
/** RFC 7230 token: what an HTTP header name may contain. */
const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** A POSIX account name, loose enough for sshd's AuthorizedKeysCommandUser. */
const SYSTEM_USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Is `s` a well-formed EC2 instance or managed node ID? */
export function isHostId(s: string): boolean {
  return EC2_INSTANCE_ID_RE.test(s) || MANAGED_NODE_ID_RE.test(s);
}

const str = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

// ------------------------------------------------------------------------------------------ small pieces

const nonNegInt = z.int().min(0, { error: 'must be a whole number >= 0' });
const absolutePath = z
  .string()
  .refine((s) => s.startsWith('/'), { error: (iss) => `${str(iss.input)} is not an absolute path (it must start with /)` });

function httpUrl(what: string, example: string) {
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
const packageRepository = z
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
 * digits only: nothing a list or repo file could be split on. Which values fit which host is checked per host
 * (src/profiles/package-releases.ts), where the OS is known. */
const packageRelease = z
  .string()
  .regex(/^[a-z][a-z0-9]{1,31}$/, {
    error: (iss) =>
      `${str(iss.input)} is not an STNS repository release: an apt codename such as bookworm or noble, or el9, el7 or amzn2 (lowercase letters and digits)`,
  });

/** `{ssm_parameter: NAME}`, `{env: NAME}` or a plain string (the plaintext opt-in is checked in load.ts). */
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

const SecretRefSchema = z
  .union([z.string(), SecretRefObject], {
    error: 'auth_token must be { ssm_parameter: NAME } or { env: NAME } (or, with allow_plaintext_token: true, the token as a string)',
  })
  .transform((v): SecretRef => {
    if (typeof v === 'string') return { kind: 'plaintext', value: v };
    if (v.ssm_parameter !== undefined) return { kind: 'ssm_parameter', name: v.ssm_parameter };
    return { kind: 'env', name: v.env ?? '' };
  });

/** Scalar stns.conf options (StnsOptions in model/settings.ts), flat under `stns:`. */
const stnsOptionShape = {
  request_timeout: nonNegInt.optional(),
  request_retry: nonNegInt.optional(),
  request_locktime: nonNegInt.optional(),
  http_proxy: httpUrl('proxy', 'http://proxy.internal:3128').optional(),
  http_location: z.boolean().optional(),
  ssl_verify: z.boolean().optional(),
  cache: z.boolean().optional(),
  cache_dir: absolutePath.optional(),
  cache_ttl: nonNegInt.optional(),
  negative_cache_ttl: nonNegInt.optional(),
  uid_shift: z.int().optional(),
  gid_shift: z.int().optional(),
};

const TlsSchema = z.strictObject({
  ca: absolutePath.optional(),
  cert: absolutePath.optional(),
  key: absolutePath.optional(),
});

const HttpHeadersSchema = z.record(
  z.string().regex(HEADER_NAME_RE, { error: (iss) => `${str(iss.input)} is not a valid HTTP header name` }),
  // Values may be credentials: never echoed.
  z.string().refine((s) => !/[\r\n]/.test(s), { error: 'an HTTP header value cannot contain a line break' }),
);

/** Every key the `stns:` section accepts, top level or per group. Top level adds requirement and defaults. */
const stnsShape = {
  api_endpoint: httpUrl('STNS API', 'https://stns.example.com/v1'),
  allow_insecure_http: z.boolean(),
  auth_token: SecretRefSchema,
  allow_plaintext_token: z.boolean(),
  ...stnsOptionShape,
  tls: TlsSchema,
  http_headers: HttpHeadersSchema,
  cached: z.strictObject({ enable: z.boolean(), prefetch: z.boolean().optional() }),
  package_repository: packageRepository,
  package_release: packageRelease,
};

const TopStnsSchema = z.strictObject({
  api_endpoint: stnsShape.api_endpoint,
  allow_insecure_http: stnsShape.allow_insecure_http.default(false),
  auth_token: stnsShape.auth_token.optional(),
  allow_plaintext_token: stnsShape.allow_plaintext_token.default(false),
  ...stnsOptionShape,
  tls: TlsSchema.optional(),
  http_headers: HttpHeadersSchema.optional(),
  cached: z
    .strictObject({ enable: z.boolean().default(true), prefetch: z.boolean().optional() })
    .default({ enable: true }),
  package_repository: stnsShape.package_repository.default(DEFAULT_PACKAGE_REPOSITORY),
  package_release: stnsShape.package_release.optional(),
});

/** A group's `stns:` override: any subset of the top-level keys, no defaults (they would mask the top level). */
const GroupStnsSchema = z.strictObject({
  api_endpoint: stnsShape.api_endpoint.optional(),
  allow_insecure_http: stnsShape.allow_insecure_http.optional(),
  auth_token: stnsShape.auth_token.optional(),
  allow_plaintext_token: stnsShape.allow_plaintext_token.optional(),
  ...stnsOptionShape,
  tls: TlsSchema.optional(),
  http_headers: HttpHeadersSchema.optional(),
  cached: z.strictObject({ enable: z.boolean().optional(), prefetch: z.boolean().optional() }).optional(),
  package_repository: stnsShape.package_repository.optional(),
  package_release: stnsShape.package_release.optional(),
});

const umask = z
  .string({
    error: (iss) =>
      typeof iss.input === 'number'
        ? `umask must be a quoted string such as "0022" (YAML reads an unquoted 0022 as the number 22)`
        : undefined,
  })
  .regex(UMASK_RE, { error: (iss) => `umask ${str(iss.input)} must be 3 or 4 octal digits, such as "0022"` });

const keysCommandUser = z
  .string()
  .regex(SYSTEM_USER_RE, { error: (iss) => `${str(iss.input)} is not a valid Linux user name` });

const userName = z
  .string()
  .regex(USER_NAME_RE, {
    error: (iss) =>
      `${str(iss.input)} is not a valid STNS user name (a letter, then up to 31 letters, digits, _ or -)`,
  });

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

// ------------------------------------------------------------------------------------------ targets

const HostIdSchema = z.string().superRefine((s, ctx) => {
  if (isHostId(s)) return;
  let message: string;
  if (s.startsWith('mi-')) {
    message = `${s} is not a managed node ID (mi- followed by 17 hex digits)`;
  } else if (s.startsWith('i-')) {
    message = `${s} is not an EC2 instance ID (i- followed by 8 or 17 hex digits)`;
  } else {
    message = `${JSON.stringify(s)} is not an EC2 instance ID (i- + 8 or 17 hex digits) or a managed node ID (mi- + 17 hex digits); to select hosts by tag write { tags: { Key: value } }`;
  }
  if (s !== s.toLowerCase() && isHostId(s.toLowerCase())) message += '; AWS IDs use lowercase hex';
  ctx.addIssue({ code: 'custom', message });
});

const tagValue = z.string().max(256, { error: 'a tag value is at most 256 characters' });

const TagSelectorSchema = z.strictObject({
  tags: z
    .record(
      z
        .string()
        .min(1, { error: 'a tag key cannot be empty' })
        .max(128, { error: 'a tag key is at most 128 characters' }),
      z.union([tagValue, z.array(tagValue).min(1, { error: 'list at least one value for this tag' })], {
        error: (iss) =>
          typeof iss.input === 'number' || typeof iss.input === 'boolean'
            ? `tag values are strings; quote it: "${String(iss.input)}"`
            : 'a tag value must be a string or a list of strings',
      }),
    )
    .superRefine((tags, ctx) => {
      const n = Object.keys(tags).length;
      if (n < 1 || n > 5) ctx.addIssue({ code: 'custom', message: `a tag selector needs 1 to 5 tags (this one has ${n})` });
    }),
});

const TargetSchema = z.union([HostIdSchema, TagSelectorSchema], {
  error: 'a target is an instance ID string (i-… or mi-…) or a tag selector { tags: { Key: value } }',
});

// ------------------------------------------------------------------------------------------ sections

const OS_CHOICES = ['auto', ...OS_PROFILE_IDS] as const;

const PamSchema = z.strictObject({
  mkhomedir: z.boolean().default(true),
  umask: umask.default('0022'),
});
const SshdSchema = z.strictObject({
  keys_command_user: keysCommandUser.default('root'),
});
const VerifySchema = z.strictObject({
  users: z.array(userName).default([]),
});

// ------------------------------------------------------------------------------------------ Raspberry Pi
// Used by reactivate / tag / image-prep (src/pi/) and harden_sudo (src/render/sudoers.ts). All optional.

/** A Raspberry Pi SoC serial as /proc/cpuinfo shows it (up to 16 hex digits). */
export const PI_SERIAL_RE = /^[0-9a-fA-F]{1,16}$/;
/** A Name tag value stns-fleet sets; also valid as SSM's DefaultInstanceName. */
export const NODE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$/;
/** An IAM role name (CreateActivation takes the name, not the ARN). */
const IAM_ROLE_RE = /^[\w+=,.@-]{1,64}$/;

const nodeName = z
  .string()
  .regex(NODE_NAME_RE, {
    error: (iss) => `${str(iss.input)} is not a usable Name: a letter or digit, then up to 127 of letters, digits and _ . : / = + @ -`,
  });

const PiSchema = z.strictObject({
  iam_role: z
    .string()
    .regex(IAM_ROLE_RE, { error: (iss) => `${str(iss.input)} is not an IAM role name (the name, not the ARN: letters, digits and +=,.@_-)` })
    .optional(),
  names: z
    .record(
      z.string().regex(PI_SERIAL_RE, {
        error: (iss) => `${str(iss.input)} is not a Raspberry Pi serial (up to 16 hex digits, as /proc/cpuinfo shows it); quote it in YAML`,
      }),
      nodeName,
    )
    .optional(),
  name_prefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, { error: (iss) => `name_prefix ${str(iss.input)} must be letters, digits, _ . - (up to 32)` })
    .optional(),
  new_machine_id: z.boolean().optional(),
  new_host_keys: z.boolean().optional(),
});

const NodeNamesSchema = z.record(
  z.string().refine(isHostId, { error: (iss) => `${str(iss.input)} is not an EC2 instance ID (i-…) or managed node ID (mi-…)` }),
  nodeName,
);

const GroupSchema = z.strictObject({
  os: z
    .enum(OS_CHOICES, {
      error: (iss) =>
        typeof iss.input === 'string'
          ? `unknown OS ${JSON.stringify(iss.input)}; expected auto or one of: ${OS_PROFILE_IDS.join(', ')}`
          : undefined,
    })
    .default('auto'),
  targets: z.array(TargetSchema).min(1, { error: 'this group has no targets; list instance IDs or tag selectors' }),
  stns: GroupStnsSchema.optional(),
  pam: z.strictObject({ mkhomedir: z.boolean().optional(), umask: umask.optional() }).optional(),
  sshd: z.strictObject({ keys_command_user: keysCommandUser.optional() }).optional(),
  verify: z.strictObject({ users: z.array(userName) }).optional(),
  // Raspberry Pi fleet settings (src/pi/settings.ts) and sudo hardening (src/render/sudoers.ts).
  pi: PiSchema.optional(),
  names: NodeNamesSchema.optional(),
  harden_sudo: z.boolean().optional(),
});

export const InventorySchema = z.strictObject({
  version: z.literal(1, {
    error: (iss) =>
      iss.input === undefined
        ? undefined
        : typeof iss.input === 'string' && iss.input.trim() === '1'
          ? 'version must be the number 1, not a string (write version: 1)'
          : `unsupported inventory version ${str(iss.input)}; this stns-fleet understands version 1`,
  }),
  aws: z.strictObject({
    region: z
      .string()
      .regex(REGION_RE, { error: (iss) => `${str(iss.input)} is not an AWS region name (such as ap-northeast-1)` }),
    profile: z.string().min(1, { error: 'profile cannot be empty (remove the key to use the default credentials)' }).optional(),
  }),
  stns: TopStnsSchema,
  pam: PamSchema.default({ mkhomedir: true, umask: '0022' }),
  sshd: SshdSchema.default({ keys_command_user: 'root' }),
  rollout: z
    .strictObject({
      canary: amount('canary', 0, 1, '1 or "5%"').default(1),
      max_concurrency: amount('max_concurrency', 1, 1, '10 or "10%"').default('10%'),
      max_errors: amount('max_errors', 0, 0, '0 or "5%"').default(0),
    })
    .default({ canary: 1, max_concurrency: '10%', max_errors: 0 }),
  verify: VerifySchema.default({ users: [] }),
  harden_sudo: z.boolean().default(false),
  groups: z
    .record(
      z.string().regex(GROUP_NAME_RE, {
        error: (iss) =>
          `group name ${str(iss.input)} must be lowercase letters, digits, - and _, starting with a letter or digit`,
      }),
      GroupSchema,
    )
    .superRefine((groups, ctx) => {
      if (Object.keys(groups).length === 0) {
        ctx.addIssue({ code: 'custom', message: 'the fleet is empty: define at least one group with targets' });
      }
    }),
});

type Parsed = z.output<typeof InventorySchema>;

/** A validated inventory with every default applied (snake_case keys, as in the YAML). */
export type Inventory = Parsed & {
  /** The file it was loaded from, for messages. Not part of the YAML. */
  readonly source?: string;
};
export type InventoryGroup = Parsed['groups'][string];
export type TargetSpec = InventoryGroup['targets'][number];
export type InventoryOs = InventoryGroup['os'];
export type RolloutSpec = Parsed['rollout'];
