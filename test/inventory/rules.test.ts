// The rules that span fields (src/inventory/rules.ts) are refinements of the zod schema: their issues carry a
// path like any other, they run when other fields are invalid, and they never judge a field that did not parse.
import { describe, expect, test } from 'vitest';
import { InventorySchema } from '../../src/inventory/schema.js';
import { brief, MINIMAL, problemsOf } from './helpers.js';

const data = {
  version: 1,
  aws: { region: 'ap-northeast-1' },
  stns: { api_endpoint: 'http://stns.example.com/v1', auth_token: 'tok' },
  groups: { web: { targets: ['i-0123456789abcdef0'] }, db: { targets: ['i-0123456789abcdef0'] } },
};

describe('rules in the schema', () => {
  test('the schema itself reports them, each at the path of the field it is about', () => {
    const r = InventorySchema.safeParse(data);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['custom', 'stns.api_endpoint'],
      ['custom', 'stns.auth_token'],
      ['custom', 'groups.db.targets.0'],
    ]);
  });

  test('with the opt-ins the same data parses', () => {
    const ok = {
      ...data,
      stns: { ...data.stns, allow_insecure_http: true, allow_plaintext_token: true },
      groups: { web: data.groups.web },
    };
    expect(InventorySchema.safeParse(ok).success).toBe(true);
  });
});

describe('rules and other problems', () => {
  test('they run when other fields are invalid, so one pass shows everything', () => {
    const text =
      MINIMAL +
      '    stns: { api_endpoint: "http://x.example/v1", auth_token: tok }\n' +
      '  db:\n    os: nope\n    targets: [i-0123456789abcdef0, i-1]\n';
    expect(brief(problemsOf(text))).toEqual([
      '10:27 groups.web.stns.api_endpoint: api_endpoint must use https (set allow_insecure_http: true to allow http)',
      '10:62 groups.web.stns.auth_token: auth_token is written in clear text; use { ssm_parameter: NAME } or { env: NAME } (or set allow_plaintext_token: true to accept a token stored in this file)',
      '12:9 groups.db.os: unknown OS "nope"; expected auto or one of: amazon-linux-2, amazon-linux-2023, ubuntu-20.04, ubuntu-22.04, ubuntu-24.04, ubuntu-26.04, debian-11, debian-12, debian-13, raspberry-pi-os',
      '13:15 groups.db.targets[0]: host i-0123456789abcdef0 is already in group "web" (line 9)',
      '13:36 groups.db.targets[1]: i-1 is not an EC2 instance ID (i- followed by 8 or 17 hex digits)',
    ]);
  });

  test('a field that did not parse is not judged: what was written is not taken for a parsed token', () => {
    const ps = problemsOf(MINIMAL.replace('api_endpoint:', 'auth_token: { kind: plaintext, value: x }\n  api_endpoint:'));
    expect(ps.map((p) => p.path)).toEqual(['stns.auth_token', 'stns.auth_token.kind', 'stns.auth_token.value']);
    expect(ps.some((p) => p.message.includes('clear text'))).toBe(false);
  });

  test('an opt-in that is not a boolean allows nothing', () => {
    expect(brief(problemsOf(MINIMAL + '    stns: { allow_insecure_http: yes, api_endpoint: "http://x.example/v1" }\n'))).toEqual([
      '10:34 groups.web.stns.allow_insecure_http: expected true or false, got a string (write true or false)',
      '10:53 groups.web.stns.api_endpoint: api_endpoint must use https (set allow_insecure_http: true to allow http)',
    ]);
  });
});

describe('a group and the top-level opt-ins', () => {
  test('turning an opt-in off while inheriting what it allowed is reported at the group flag', () => {
    const top = MINIMAL.replace('https://', 'http://').replace(
      'stns:\n',
      'stns:\n  allow_insecure_http: true\n  allow_plaintext_token: true\n  auth_token: tok\n',
    );
    expect(brief(problemsOf(top + '    stns: { allow_insecure_http: false, allow_plaintext_token: false }\n'))).toEqual([
      '13:34 groups.web.stns.allow_insecure_http: this group sets allow_insecure_http: false but inherits the http api_endpoint of the top level',
      '13:64 groups.web.stns.allow_plaintext_token: this group sets allow_plaintext_token: false but inherits the clear-text auth_token of the top level',
    ]);
    // Its own https endpoint and token reference need neither.
    const own = '    stns: { allow_insecure_http: false, allow_plaintext_token: false, api_endpoint: https://x.example/v1, auth_token: { env: T } }\n';
    expect(brief(problemsOf(top + own)).filter((p) => p.includes('groups.web'))).toEqual([]);
  });
});
