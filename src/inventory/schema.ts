// The inventory file format, version 1, as a zod schema: the shape (sections, groups, targets) built from the
// field types of fields.ts, with the rules that span fields (rules.ts) as a refinement of the whole.
// Objects are strict everywhere (an unknown key is a mistake we report, not something we silently ignore).
// Messages that need to know what a field means live with the field; structural messages (missing key, wrong
// type, unknown key) are worded by issues.ts.

import * as z from 'zod';
import { DEFAULT_PACKAGE_REPOSITORY } from '../model/settings.js';
import { OS_PROFILE_IDS } from '../profiles/ids.js';
import {
  absolutePath,
  amount,
  HttpHeadersSchema,
  httpUrl,
  keysCommandUser,
  nodeName,
  nonNegInt,
  packageRelease,
  packageRepository,
  SecretRefSchema,
  str,
  umask,
  userName,
} from './fields.js';
import { GROUP_NAME_RE, HOST_ID_RE, IAM_ROLE_RE, isHostId, PI_NAME_PREFIX_RE, PI_SERIAL_RE, REGION_RE } from './patterns.js';
import { regionProblem } from './region.js';
import { inventoryRules, runRulesWhen } from './rules.js';

// ------------------------------------------------------------------------------------------ stns

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

// Descriptions (.describe) are for the JSON Schema: what an editor shows on hover.
const apiEndpoint = httpUrl('STNS API', 'https://stns.example.com/v1').describe(
  'STNS API base URL, e.g. https://stns.example.com/v1; https only unless allow_insecure_http is true',
);
const allowInsecureHttp = z.boolean().describe('true allows an http:// api_endpoint');
const authToken = SecretRefSchema.describe(
  '{ ssm_parameter: NAME } or { env: NAME }, read when rendering; a plain string only with allow_plaintext_token: true',
);
const allowPlaintextToken = z.boolean().describe('true allows auth_token as a plain string stored in this file (warned about)');

const TopStnsSchema = z.strictObject({
  api_endpoint: apiEndpoint,
  allow_insecure_http: allowInsecureHttp.default(false),
  auth_token: authToken.optional(),
  allow_plaintext_token: allowPlaintextToken.default(false),
  ...stnsOptionShape,
  tls: TlsSchema.optional(),
  http_headers: HttpHeadersSchema.optional(),
  cached: z
    .strictObject({ enable: z.boolean().default(true), prefetch: z.boolean().optional() })
    .default({ enable: true }),
  package_repository: packageRepository.default(DEFAULT_PACKAGE_REPOSITORY),
  package_release: packageRelease.optional(),
}).describe('How every host reaches the STNS server; groups may override any key');

/** A group's `stns:` override: any subset of the top-level keys, no defaults (they would mask the top level). */
const GroupStnsSchema = z.strictObject({
  api_endpoint: apiEndpoint.optional(),
  allow_insecure_http: allowInsecureHttp.optional(),
  auth_token: authToken.optional(),
  allow_plaintext_token: allowPlaintextToken.optional(),
  ...stnsOptionShape,
  tls: TlsSchema.optional(),
  http_headers: HttpHeadersSchema.optional(),
  cached: z.strictObject({ enable: z.boolean().optional(), prefetch: z.boolean().optional() }).optional(),
  package_repository: packageRepository.optional(),
  package_release: packageRelease.optional(),
}).describe('Overrides of the top-level stns keys for this group, merged key by key');

// ------------------------------------------------------------------------------------------ targets

function hostIdMessage(s: string): string {
  let message: string;
  if (s.startsWith('mi-')) {
    message = `${s} is not a managed node ID (mi- followed by 17 hex digits)`;
  } else if (s.startsWith('i-')) {
    message = `${s} is not an EC2 instance ID (i- followed by 8 or 17 hex digits)`;
  } else {
    message = `${JSON.stringify(s)} is not an EC2 instance ID (i- + 8 or 17 hex digits) or a managed node ID (mi- + 17 hex digits); to select hosts by tag write { tags: { Key: value } }`;
  }
  if (s !== s.toLowerCase() && isHostId(s.toLowerCase())) message += '; AWS IDs use lowercase hex';
  return message;
}

// A regex, not a refinement, so that the JSON Schema carries the pattern too.
const HostIdSchema = z.string().regex(HOST_ID_RE, { error: (iss) => hostIdMessage(String(iss.input)) });

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

const NO_TARGETS = 'this group has no targets; list instance IDs or tag selectors';

// ------------------------------------------------------------------------------------------ Raspberry Pi
// Used by reactivate / tag / image-prep (src/pi/) and harden_sudo (src/render/sudoers.ts). All optional.

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
    .regex(PI_NAME_PREFIX_RE, { error: (iss) => `name_prefix ${str(iss.input)} must be letters, digits, _ . - (up to 32)` })
    .optional(),
  new_machine_id: z.boolean().optional(),
  new_host_keys: z.boolean().optional(),
});

const NodeNamesSchema = z.record(
  z.string().regex(HOST_ID_RE, { error: (iss) => `${str(iss.input)} is not an EC2 instance ID (i-…) or managed node ID (mi-…)` }),
  nodeName,
);

// ------------------------------------------------------------------------------------------ groups

const OS_CHOICES = ['auto', ...OS_PROFILE_IDS] as const;

const GroupSchema = z.strictObject(
  {
    os: z
      .enum(OS_CHOICES, {
        error: (iss) =>
          typeof iss.input === 'string'
            ? `unknown OS ${JSON.stringify(iss.input)}; expected auto or one of: ${OS_PROFILE_IDS.join(', ')}`
            : undefined,
      })
      .default('auto')
      .describe('The OS profile of the hosts, or auto to detect it on each host'),
    targets: z
      .array(TargetSchema, { error: (iss) => (iss.input === null ? NO_TARGETS : undefined) })
      .min(1, { error: NO_TARGETS })
      .describe('EC2 instance IDs (i-…), managed node IDs (mi-…) or tag selectors { tags: { Key: value } }'),
    stns: GroupStnsSchema.optional(),
    pam: z.strictObject({ mkhomedir: z.boolean().optional(), umask: umask.optional() }).optional(),
    sshd: z.strictObject({ keys_command_user: keysCommandUser.optional() }).optional(),
    verify: z.strictObject({ users: z.array(userName) }).optional(),
    // Raspberry Pi fleet settings (src/pi/settings.ts) and sudo hardening (src/render/sudoers.ts).
    pi: PiSchema.optional(),
    names: NodeNamesSchema.optional(),
    harden_sudo: z.boolean().optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' && iss.input === null ? 'this group is empty; it needs at least targets' : undefined) },
);

const EMPTY_FLEET = 'the fleet is empty: define at least one group with targets';

// ------------------------------------------------------------------------------------------ the inventory

export const InventorySchema = z
  .strictObject({
    version: z.literal(1, {
      error: (iss) =>
        iss.input === undefined
          ? undefined
          : typeof iss.input === 'string' && iss.input.trim() === '1'
            ? 'version must be the number 1, not a string (write version: 1)'
            : `unsupported inventory version ${str(iss.input)}; this stns-fleet understands version 1`,
    }).describe('The inventory format version; only 1 exists'),
    aws: z.strictObject({
      region: z
        .string()
        .regex(REGION_RE, { error: (iss) => (typeof iss.input === 'string' ? regionProblem(iss.input) : undefined) ?? `${str(iss.input)} is not an AWS region name (such as ap-northeast-1)` }),
      profile: z
        .string()
        .min(1, { error: 'profile cannot be empty (remove the key to use the default credentials)' })
        .describe("A named profile from ~/.aws/config (default: the SDK's credential chain)")
        .optional(),
    }).describe('Where the fleet lives: the AWS region of the hosts and of SSM Run Command'),
    stns: TopStnsSchema,
    pam: z
      .strictObject({ mkhomedir: z.boolean().default(true), umask: umask.default('0022') })
      .default({ mkhomedir: true, umask: '0022' })
      .describe('PAM integration: home directories created at first login (pam_mkhomedir) and their umask'),
    sshd: z
      .strictObject({ keys_command_user: keysCommandUser.default('root') })
      .default({ keys_command_user: 'root' })
      .describe('sshd integration: the AuthorizedKeysCommandUser of the STNS key lookup'),
    rollout: z
      .strictObject({
        canary: amount('canary', 0, 1, '1 or "5%"').default(1),
        max_concurrency: amount('max_concurrency', 1, 1, '10 or "10%"').default('10%'),
        max_errors: amount('max_errors', 0, 0, '0 or "5%"').default(0),
      })
      .default({ canary: 1, max_concurrency: '10%', max_errors: 0 })
      .describe('How apply walks the fleet: canary hosts first, then at most max_concurrency at once, stopping after max_errors failures'),
    verify: z
      .strictObject({ users: z.array(userName).default([]) })
      .default({ users: [] })
      .describe('Users that must resolve (getent) and have SSH keys on every host, checked by stns-fleet verify'),
    harden_sudo: z
      .boolean()
      .default(false)
      .describe("true takes ssm-user's sudo rights away and disables passwordless root sudo (groups may override)"),
    groups: z
      .record(
        z.string().regex(GROUP_NAME_RE, {
          error: (iss) => `group name ${str(iss.input)} must be lowercase letters, digits, - and _, starting with a letter or digit`,
        }),
        GroupSchema.describe('A group: hosts that share one set of settings'),
        { error: (iss) => (iss.code === 'invalid_type' && iss.input === null ? EMPTY_FLEET : undefined) },
      )
      .superRefine((groups, ctx) => {
        if (Object.keys(groups).length === 0) ctx.addIssue({ code: 'custom', message: EMPTY_FLEET });
      })
      .describe('At least one group, by name (lowercase letters, digits, - and _)'),
  })
  .superRefine(inventoryRules, { when: runRulesWhen });

type Parsed = z.output<typeof InventorySchema>;

/** A validated inventory with every default applied (snake_case keys, as in the YAML). */
export type Inventory = Parsed & {
  /** The file it was loaded from, for messages. Not part of the YAML. */
  readonly source?: string;
};
export type InventoryGroup = Parsed['groups'][string];
export type InventoryOs = InventoryGroup['os'];
