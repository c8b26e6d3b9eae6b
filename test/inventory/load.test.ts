import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { loadInventory, loadInventoryWithWarnings, parseInventory } from '../../src/inventory/load.js';
import { formatProblem } from '../../src/inventory/problems.js';
import { brief, expectAt, MINIMAL, onlyProblem, problemsOf, yaml } from './helpers.js';

describe('a valid inventory', () => {
  test('the minimal inventory has no problem and parses', () => {
    const r = parseInventory(MINIMAL, 'inv.yaml');
    expect(brief(r.problems)).toEqual([]);
    expect(r.inventory?.groups.web?.targets).toEqual(['i-0123456789abcdef0']);
    expect(r.inventory?.source).toBe('inv.yaml');
  });
});

describe('YAML syntax', () => {
  test('every syntax error is reported at its position, and the schema is not checked', () => {
    const text = yaml`
      version: 1
      aws: [1, 2
      stns: "unterminated
    `;
    const r = parseInventory(text, 'inv.yaml');
    expect(r.inventory).toBeUndefined();
    expect(r.problems.every((p) => p.severity === 'error' && p.path === '')).toBe(true);
    // The unterminated flow sequence (seen where the next key starts) and the unterminated quote.
    expect(r.problems.map((p) => `${p.line}:${p.col}`)).toEqual(['3:1', '4:1']);
    expect(r.problems[0]!.message).toMatch(/flow sequence/i);
    expect(r.problems[1]!.message).toMatch(/quote/i);
    // No schema problem (there would be many: aws is a list, groups is missing, ...).
    expect(r.problems.some((p) => /missing|expected/.test(p.message))).toBe(false);
    // The message is one line, without yaml's source excerpt.
    expect(r.problems.every((p) => !p.message.includes('\n') && !/at line \d+/.test(p.message))).toBe(true);
  });

  test('a bad indentation is a syntax error at its line', () => {
    const text = yaml`
      version: 1
      aws:
        region: ap-northeast-1
       profile: x
    `;
    const ps = problemsOf(text);
    expectAt(ps[0], 4, 1, '', 'same column');
  });

  test('several documents in one file', () => {
    expectAt(onlyProblem('version: 1\n---\nversion: 1\n'), 2, 1, '', 'a single YAML document');
  });
});

describe('empty file', () => {
  test.each([
    ['empty', ''],
    ['only comments', '# nothing here\n\n'],
    ['whitespace', '   \n\n'],
  ])('%s → one problem at 1:1', (_, text) => {
    const p = onlyProblem(text);
    expectAt(p, 1, 1, '', 'empty');
    expect(p.severity).toBe('error');
  });

  test('a document that is not a mapping', () => {
    expectAt(onlyProblem('- a\n- b\n'), 1, 1, '', 'must be a YAML mapping');
  });
});

describe('duplicate keys', () => {
  test('the second occurrence is reported, naming the first, and checking goes on', () => {
    const text = yaml`
      version: 1
      aws:
        region: ap-northeast-1
        region: us-east-1
      stns:
        api_endpoint: https://stns.example.com/v1
      groups:
        web:
          targets: [i-0123456789abcdef0]
          os: nope
    `;
    const ps = problemsOf(text);
    expect(brief(ps)).toHaveLength(2);
    expectAt(ps[0], 4, 3, 'aws.region', 'duplicate key "region" (first at line 3)');
    expectAt(ps[1], 10, 9, 'groups.web.os', 'unknown OS "nope"');
  });

  test('duplicate group names', () => {
    const text = `${MINIMAL}  web:\n    targets: [i-0123456789abcdef1]\n`;
    const ps = problemsOf(text);
    expectAt(ps[0], 10, 3, 'groups.web', 'duplicate key "web" (first at line 7)');
  });
});

describe('wrong types', () => {
  test('a quoted number', () => {
    const p = onlyProblem(MINIMAL.replace('api_endpoint:', 'request_timeout: "3"\n  api_endpoint:'));
    expectAt(p, 5, 20, 'stns.request_timeout', 'expected a number, got a string (remove the quotes)');
  });

  test('yes is not a boolean', () => {
    const p = onlyProblem(MINIMAL.replace('api_endpoint:', 'ssl_verify: yes\n  api_endpoint:'));
    expectAt(p, 5, 15, 'stns.ssl_verify', 'expected true or false, got a string');
  });

  test('a section that is a scalar', () => {
    const p = onlyProblem(MINIMAL.replace('aws:\n  region: ap-northeast-1', 'aws: ap-northeast-1'));
    expectAt(p, 2, 6, 'aws', 'expected a mapping');
  });

  test('an empty section points at its key', () => {
    const p = onlyProblem(MINIMAL + 'pam:\n');
    expectAt(p, 10, 1, 'pam', 'got an empty value');
  });

  test('an unquoted umask explains how YAML read it', () => {
    const p = onlyProblem(MINIMAL + 'pam:\n  umask: 0022\n');
    expectAt(p, 11, 10, 'pam.umask', 'must be a quoted string such as "0022"');
  });

  test('a bad umask string', () => {
    const p = onlyProblem(MINIMAL + 'pam:\n  umask: "0099"\n');
    expectAt(p, 11, 10, 'pam.umask', '3 or 4 octal digits');
  });

  test('messages carry no zod jargon', () => {
    const text = yaml`
      version: 1
      aws: { region: 5 }
      stns: { api_endpoint: [x], request_retry: -1, tls: { ca: 3 } }
      groups: { web: { targets: [i-0123456789abcdef0], verify: { users: "alice" } } }
    `;
    const ps = problemsOf(text);
    expect(ps.length).toBe(5);
    for (const p of ps) expect(p.message).not.toMatch(/Invalid input|received|Too small|ZodError|\u0000/);
  });
});

describe('unknown keys', () => {
  test('at the top level, with a suggestion', () => {
    const p = onlyProblem(MINIMAL + 'rollot:\n  canary: 1\n');
    expectAt(p, 10, 1, 'rollot', 'unknown key "rollot" (did you mean "rollout"?)');
  });

  test('a misspelt required key is reported once, as unknown (not also as missing)', () => {
    const p = onlyProblem(MINIMAL.replace('  region:', '  reigon:'));
    expectAt(p, 3, 3, 'aws.reigon', 'unknown key "reigon" (did you mean "region"?)');
  });

  test('nested, in a flow mapping: located at the key', () => {
    const p = onlyProblem(MINIMAL.replace('api_endpoint:', 'cached: { enable: true, prefech: true }\n  api_endpoint:'));
    expectAt(p, 5, 27, 'stns.cached.prefech', 'did you mean "prefetch"?');
  });

  test('in a group, with the list of accepted keys when nothing is close', () => {
    const p = onlyProblem(MINIMAL + '    color: blue\n');
    expectAt(p, 10, 5, 'groups.web.color', 'unknown key "color"; expected one of: os, targets, stns, pam, sshd, verify');
  });

  test('in a group stns override', () => {
    const p = onlyProblem(MINIMAL + '    stns:\n      request_timout: 5\n');
    expectAt(p, 11, 7, 'groups.web.stns.request_timout', 'did you mean "request_timeout"?');
  });

  test('in a group\'s pi section, through the groups mapping', () => {
    const p = onlyProblem(MINIMAL + '    pi: { iam_rol: SSMRole }\n');
    expectAt(p, 10, 11, 'groups.web.pi.iam_rol', 'unknown key "iam_rol" (did you mean "iam_role"?)');
  });

  test('in a target', () => {
    const p = onlyProblem(MINIMAL + '      - tag: { Role: web }\n');
    expectAt(p, 10, 9, 'groups.web.targets[1].tag', 'unknown key "tag" (did you mean "tags"?)');
  });

  test('in the auth_token reference', () => {
    const ps = problemsOf(MINIMAL.replace('api_endpoint:', 'auth_token: { ssm: /x }\n  api_endpoint:'));
    expect(ps).toHaveLength(2);
    expectAt(ps[0], 5, 15, 'stns.auth_token', 'auth_token needs one of ssm_parameter or env');
    expectAt(ps[1], 5, 17, 'stns.auth_token.ssm', 'unknown key "ssm"; expected one of: ssm_parameter, env');
  });
});

describe('missing required keys', () => {
  test('points at the mapping that lacks it', () => {
    const p = onlyProblem(MINIMAL.replace('  region: ap-northeast-1', '  profile: prod'));
    expectAt(p, 3, 3, 'aws.region', 'missing required key "region"');
  });

  test('a missing top-level section points at the document', () => {
    const p = onlyProblem(MINIMAL.replace('stns:\n  api_endpoint: https://stns.example.com/v1\n', ''));
    expectAt(p, 1, 1, 'stns', 'missing required key "stns"');
  });

  test('a missing api_endpoint', () => {
    const p = onlyProblem(MINIMAL.replace('  api_endpoint: https://stns.example.com/v1', '  request_retry: 2'));
    expectAt(p, 5, 3, 'stns.api_endpoint', 'missing required key "api_endpoint"');
  });
});

describe('version', () => {
  test('an unsupported version', () => {
    expectAt(onlyProblem(MINIMAL.replace('version: 1', 'version: 2')), 1, 10, 'version', 'unsupported inventory version 2');
  });
  test('a quoted version', () => {
    expectAt(onlyProblem(MINIMAL.replace('version: 1', 'version: "1"')), 1, 10, 'version', 'must be the number 1');
  });
  test('no version', () => {
    expectAt(onlyProblem(MINIMAL.replace('version: 1\n', '')), 1, 1, 'version', 'missing required key "version" (add version: 1)');
  });
});

describe('host IDs', () => {
  test.each([
    ['i-12345', 'i-12345 is not an EC2 instance ID (i- followed by 8 or 17 hex digits)'],
    ['i-0123456789abcdefg', 'is not an EC2 instance ID'],
    ['i-0123456789ABCDEF0', 'AWS IDs use lowercase hex'],
    ['mi-123', 'mi-123 is not a managed node ID (mi- followed by 17 hex digits)'],
    ['mi-0123456789abcdef', 'is not a managed node ID'],
    ['web-1', '"web-1" is not an EC2 instance ID (i- + 8 or 17 hex digits) or a managed node ID'],
  ])('%s', (id, phrase) => {
    const p = onlyProblem(MINIMAL + `      - ${id}\n`);
    expectAt(p, 10, 9, 'groups.web.targets[1]', phrase);
  });

  test('valid 8- and 17-digit instance IDs and a managed node ID', () => {
    expect(brief(problemsOf(MINIMAL + '      - i-0a1b2c3d\n      - mi-0123456789abcdef0\n'))).toEqual([]);
  });

  test('a number is neither an ID nor a tag selector', () => {
    const p = onlyProblem(MINIMAL + '      - 42\n');
    expectAt(p, 10, 9, 'groups.web.targets[1]', 'a target is an instance ID string (i-… or mi-…) or a tag selector');
  });
});

describe('tag selectors', () => {
  test('a number tag value must be quoted', () => {
    const p = onlyProblem(MINIMAL + '      - tags: { Role: web, Version: 2 }\n');
    expectAt(p, 10, 37, 'groups.web.targets[1].tags.Version', 'quote it: "2"');
  });
  test('an empty value list', () => {
    const p = onlyProblem(MINIMAL + '      - tags: { Role: [] }\n');
    expectAt(p, 10, 23, 'groups.web.targets[1].tags.Role', 'at least one value');
  });
  test('no tags / too many tags', () => {
    expectAt(onlyProblem(MINIMAL + '      - tags: {}\n'), 10, 15, 'groups.web.targets[1].tags', '1 to 5 tags (this one has 0)');
    const six = '{ A: a, B: b, C: c, D: d, E: e, F: f }';
    expectAt(onlyProblem(MINIMAL + `      - tags: ${six}\n`), 10, 15, 'groups.web.targets[1].tags', 'this one has 6');
  });
});

describe('duplicate hosts', () => {
  test('across groups: the second occurrence, naming the first group and line', () => {
    const p = onlyProblem(MINIMAL + '  db:\n    targets:\n      - i-0123456789abcdef0\n');
    expectAt(p, 12, 9, 'groups.db.targets[0]', 'host i-0123456789abcdef0 is already in group "web" (line 9)');
  });

  test('within a group', () => {
    const p = onlyProblem(MINIMAL + '      - mi-0123456789abcdef0\n      - i-0123456789abcdef0\n');
    expectAt(p, 11, 9, 'groups.web.targets[2]', 'host i-0123456789abcdef0 is listed twice in group "web" (first at line 9)');
  });

  test('a third occurrence is reported too, each naming the first', () => {
    const ps = problemsOf(MINIMAL + '      - i-0123456789abcdef0\n  db:\n    targets: [i-0123456789abcdef0]\n');
    expect(brief(ps)).toEqual([
      '10:9 groups.web.targets[1]: host i-0123456789abcdef0 is listed twice in group "web" (first at line 9)',
      '12:15 groups.db.targets[0]: host i-0123456789abcdef0 is already in group "web" (line 9)',
    ]);
  });
});

describe('empty fleet', () => {
  test('no groups key', () => {
    const p = onlyProblem(MINIMAL.slice(0, MINIMAL.indexOf('groups:')));
    expectAt(p, 1, 1, 'groups', 'missing required key "groups" (the fleet needs at least one group)');
  });
  test('groups: {}', () => {
    expectAt(onlyProblem(MINIMAL.slice(0, MINIMAL.indexOf('groups:')) + 'groups: {}\n'), 6, 9, 'groups', 'the fleet is empty');
  });
  test('groups: with nothing', () => {
    expectAt(onlyProblem(MINIMAL.slice(0, MINIMAL.indexOf('groups:')) + 'groups:\n'), 6, 1, 'groups', 'the fleet is empty');
  });
  test('a group with an empty target list', () => {
    const p = onlyProblem(MINIMAL.replace('    targets:\n      - i-0123456789abcdef0', '    targets: []'));
    expectAt(p, 8, 14, 'groups.web.targets', 'this group has no targets');
  });
  test('a group with targets: and nothing', () => {
    const p = onlyProblem(MINIMAL.replace('    targets:\n      - i-0123456789abcdef0', '    targets:'));
    expectAt(p, 8, 5, 'groups.web.targets', 'this group has no targets');
  });
  test('a group with nothing', () => {
    expectAt(onlyProblem(MINIMAL + '  db:\n'), 10, 3, 'groups.db', 'this group is empty; it needs at least targets');
  });
  test('a group without targets', () => {
    const p = onlyProblem(MINIMAL.replace('    targets:\n      - i-0123456789abcdef0', '    os: auto'));
    expectAt(p, 8, 5, 'groups.web.targets', 'missing required key "targets"');
  });
  test('a bad group name', () => {
    const p = onlyProblem(MINIMAL.replace('  web:', '  Web:'));
    expectAt(p, 7, 3, 'groups.Web', 'group name "Web" must be lowercase');
  });
});

describe('api_endpoint', () => {
  const http = MINIMAL.replace('https://stns', 'http://stns');
  test('http is refused at the top level', () => {
    expectAt(onlyProblem(http), 5, 17, 'stns.api_endpoint', 'api_endpoint must use https (set allow_insecure_http: true to allow http)');
  });
  test('allow_insecure_http: true at the top level allows it', () => {
    expect(brief(problemsOf(http.replace('stns:\n', 'stns:\n  allow_insecure_http: true\n')))).toEqual([]);
  });
  test('http in a group override is refused, unless the group or the top level allows it', () => {
    const g = MINIMAL + '    stns:\n      api_endpoint: http://stns.internal/v1\n';
    expectAt(onlyProblem(g), 11, 21, 'groups.web.stns.api_endpoint', 'must use https');
    expect(brief(problemsOf(g + '      allow_insecure_http: true\n'))).toEqual([]);
    expect(brief(problemsOf(g.replace('stns:\n', 'stns:\n  allow_insecure_http: true\n')))).toEqual([]);
  });
  test('not a URL', () => {
    const p = onlyProblem(MINIMAL.replace('https://stns.example.com/v1', 'stns.example.com'));
    expectAt(p, 5, 17, 'stns.api_endpoint', 'is not a valid STNS API URL');
  });
});

describe('os', () => {
  test('an unknown OS lists the known ones', () => {
    const p = onlyProblem(MINIMAL + '    os: centos-7\n');
    expectAt(p, 10, 9, 'groups.web.os', 'unknown OS "centos-7"; expected auto or one of: amazon-linux-2, amazon-linux-2023,');
    expect(p.message).toContain('raspberry-pi-os');
  });
});

describe('rollout amounts', () => {
  test.each([
    ['canary: "0%"', 'canary', 'not a valid percentage'],
    ['canary: "150%"', 'canary', 'not a valid percentage'],
    ['canary: -1', 'canary', 'canary must be a whole number >= 0'],
    ['max_concurrency: 0', 'max_concurrency', 'max_concurrency must be a whole number >= 1'],
    ['max_concurrency: "10 %"', 'max_concurrency', 'not a valid percentage'],
    ['max_errors: "abc"', 'max_errors', 'not a valid percentage'],
    ['max_errors: 1.5', 'max_errors', 'max_errors must be a whole number >= 0 or a percentage'],
  ])('%s', (line, key, phrase) => {
    const p = onlyProblem(MINIMAL + `rollout:\n  ${line}\n`);
    expectAt(p, 11, key.length + 5, `rollout.${key}`, phrase);
  });
  test('valid amounts', () => {
    expect(brief(problemsOf(MINIMAL + 'rollout: { canary: "5%", max_concurrency: 3, max_errors: "0%" }\n'))).toEqual([]);
  });
});

describe('auth_token', () => {
  const SECRET = 's3cr3t-t0ken-value';
  const plain = MINIMAL.replace('api_endpoint:', `auth_token: ${SECRET}\n  api_endpoint:`);

  test('a plain string without the opt-in is an error that suggests the reference forms', () => {
    const r = parseInventory(plain, 'inv.yaml');
    expect(r.inventory).toBeUndefined();
    expect(r.problems).toHaveLength(1);
    expectAt(r.problems[0], 5, 15, 'stns.auth_token', '{ ssm_parameter: NAME } or { env: NAME }');
    expect(r.problems[0]!.severity).toBe('error');
    expect(JSON.stringify(r.problems)).not.toContain(SECRET);
  });

  test('with allow_plaintext_token: true it is a warning, and the inventory is usable', () => {
    const r = parseInventory(plain.replace('stns:\n', 'stns:\n  allow_plaintext_token: true\n'), 'inv.yaml');
    expect(r.problems).toHaveLength(1);
    const w = r.problems[0]!;
    expect(w.severity).toBe('warning');
    expectAt(w, 6, 15, 'stns.auth_token', 'stored in this file in clear text');
    expect(formatProblem(w)).toBe(`inv.yaml:6:15: warning: stns.auth_token: ${w.message}`);
    expect(JSON.stringify(r.problems)).not.toContain(SECRET);
    expect(r.inventory?.stns.auth_token).toEqual({ kind: 'plaintext', value: SECRET });
  });

  test('a group token in clear text needs the opt-in at the group or top level', () => {
    const g = MINIMAL + `    stns:\n      auth_token: ${SECRET}\n`;
    expectAt(onlyProblem(g), 11, 19, 'groups.web.stns.auth_token', 'written in clear text');
    const ok = parseInventory(g + '      allow_plaintext_token: true\n', 'inv.yaml');
    expect(ok.problems.map((p) => p.severity)).toEqual(['warning']);
    expect(ok.inventory).toBeDefined();
  });

  test('a wrong-typed token is not echoed', () => {
    const p = onlyProblem(MINIMAL.replace('api_endpoint:', `auth_token: { env: "${SECRET}" }\n  api_endpoint:`));
    expectAt(p, 5, 22, 'stns.auth_token.env', 'env must name an environment variable');
    expect(p.message).not.toContain(SECRET);
  });

  test('both forms at once', () => {
    const p = onlyProblem(MINIMAL.replace('api_endpoint:', 'auth_token: { env: A, ssm_parameter: /b }\n  api_endpoint:'));
    expectAt(p, 5, 15, 'stns.auth_token', 'either ssm_parameter or env, not both');
  });
});

describe('several problems', () => {
  test('all are reported, sorted by line', () => {
    const text = yaml`
      groups:
        web:
          os: centos-7
          targets: [i-1]
      stns:
        api_endpoint: http://stns.example.com
      aws:
        region: tokyo
      version: 3
    `;
    expect(brief(problemsOf(text))).toEqual([
      '3:9 groups.web.os: unknown OS "centos-7"; expected auto or one of: amazon-linux-2, amazon-linux-2023, ubuntu-20.04, ubuntu-22.04, ubuntu-24.04, ubuntu-26.04, debian-11, debian-12, debian-13, raspberry-pi-os',
      '4:15 groups.web.targets[0]: i-1 is not an EC2 instance ID (i- followed by 8 or 17 hex digits)',
      '6:17 stns.api_endpoint: api_endpoint must use https (set allow_insecure_http: true to allow http)',
      '8:11 aws.region: "tokyo" is not an AWS region name (such as ap-northeast-1)',
      '9:10 version: unsupported inventory version 3; this stns-fleet understands version 1',
    ]);
  });
});

describe('loading files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stns-fleet-inv-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('an unreadable file is INVENTORY_UNREADABLE', async () => {
    const file = join(dir, 'missing.yaml');
    const err = await loadInventory(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FleetError);
    expect((err as FleetError).kind).toBe('user');
    expect((err as FleetError).message).toBe(`cannot read inventory ${file}: no such file`);
  });

  test('an invalid file is INVENTORY_INVALID with one detail line per problem', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, MINIMAL.replace('version: 1', 'version: 2') + '      - i-1\n');
    const err = (await loadInventory(file).catch((e: unknown) => e)) as FleetError;
    expect(err.kind).toBe('user');
    expect(err.message).toBe(`${file} has 2 problems`);
    expect(err.details).toEqual([
      `${file}:1:10: version: unsupported inventory version 2; this stns-fleet understands version 1`,
      `${file}:10:9: groups.web.targets[1]: i-1 is not an EC2 instance ID (i- followed by 8 or 17 hex digits)`,
    ]);
  });

  test('warnings come back with the inventory', async () => {
    const file = join(dir, 'warn.yaml');
    await writeFile(file, MINIMAL.replace('stns:\n', 'stns:\n  allow_plaintext_token: true\n  auth_token: tok\n'));
    const { inventory, warnings } = await loadInventoryWithWarnings(file);
    expect(inventory.groups.web).toBeDefined();
    expect(warnings.map((w) => `${w.line}:${w.col} ${w.severity}`)).toEqual(['6:15 warning']);
    await expect(loadInventory(file)).resolves.toMatchObject({ source: file });
  });
});
