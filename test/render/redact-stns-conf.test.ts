// The stns.conf redactor is two implementations of one function: awk on the host (facts, host script) and
// TypeScript on the controller (diffs, desired state). Each case runs through both and through every awk
// this machine has (mawk is Debian's, gawk Amazon Linux's, nawk the BSD one): they must agree byte for
// byte, and no secret may survive.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { redactStnsConf, REDACT_AWK, templateComments } from '../../src/render/redact-stns-conf.js';
import { renderStnsConf } from '../../src/render/stns-conf.js';
import { materialize } from '../../src/render/secrets.js';
import type { Templates } from '../../src/render/templates.js';
import { settings, templates } from '../helpers/render.js';

const SECRET = 'tok-9f8e7d6c5b4a';
const AWKS = ['/usr/bin/mawk', '/usr/bin/gawk', '/usr/bin/nawk', '/usr/bin/original-awk', '/bin/busybox'].filter((a) => existsSync(a));

let t: Templates;
let keep: string[];
beforeAll(async () => {
  t = await templates();
  keep = templateComments(t.source('stns.conf.hbs'));
});

function viaAwk(awk: string, input: Buffer): Buffer {
  const args = awk.endsWith('busybox') ? ['awk', t.data(REDACT_AWK).toString('utf8')] : [t.data(REDACT_AWK).toString('utf8')];
  const r = spawnSync(awk, args, { input, env: { ...process.env, SF_KEEP_COMMENTS: keep.join('\n') } });
  if (r.status !== 0) throw new Error(`${awk}: ${r.stderr.toString()}`);
  return r.stdout;
}

const cases: Record<string, () => string> = {
  'the rendered file with its token': () =>
    materialize(Buffer.from(renderStnsConf(t, { ...settings().stns, httpHeaders: { 'X-Api-Key': SECRET } })), {
      auth_token: SECRET,
      [`header_${Buffer.from('X-Api-Key').toString('hex')}`]: SECRET,
    }).toString(),
  'a hand-written file': () => `api_endpoint = "https://stns.example.com/v1"\nauth_token = "${SECRET}"\nuser = "bob"\npassword = '${SECRET}'\n`,
  'quoted keys, dotted keys and odd spacing': () => `"auth_token"="${SECRET}"\n  'password' =  "${SECRET}"\nhttp_headers.X = "${SECRET}"\n\tapi_endpoint\t=\t"https://e/v1"\n`,
  'multi-line strings and arrays': () => `auth_token = """\n${SECRET}\n"""\napi_endpoint = [\n "${SECRET}",\n]\n`,
  'inline tables and array tables': () => `http_headers = { X = "${SECRET}" }\n[[http_headers]]\nX = "${SECRET}"\n`,
  'a table of headers and a tls table': () => `[http_headers]\nX-Api-Key = "${SECRET}"\n"X Weird" = "${SECRET}"\n[tls]\nkey = "/etc/stns/client.key"\n[cached]\nenable = true\n`,
  'secrets in comments and trailing comments': () => `# token: ${SECRET}\napi_endpoint = "https://e/v1" # ${SECRET}\n   # ${SECRET}\n`,
  'credentials in URLs and escapes': () => `api_endpoint = "https://u:${SECRET}@e/v1"\nhttp_proxy = "http://${SECRET}@proxy:3128"\napi_endpoint = "a\\u0041${SECRET}"\n`,
  'CRLF line ends and no final newline': () => `api_endpoint = "https://e/v1"\r\nauth_token = "${SECRET}"\r\n[cached]\r\nenable = true`,
  'bytes that are not UTF-8': () => `api_endpoint = "https://e/v1"\n\xff\xfe${SECRET}\nauth_token = "\xc3${SECRET}"\n`,
  'an empty file': () => '',
};

describe('the stns.conf redactor hides every secret and is the same function in awk and TypeScript', () => {
  test('this machine has at least two awks to compare with', () => {
    expect(AWKS.length).toBeGreaterThanOrEqual(2);
  });

  for (const [name, make] of Object.entries(cases)) {
    test(name, () => {
      const input = Buffer.from(make(), 'latin1');
      const ts = redactStnsConf(input, keep);
      expect(ts.toString('latin1')).not.toContain(SECRET);
      for (const awk of AWKS) expect({ awk, out: viaAwk(awk, input).toString('latin1') }).toEqual({ awk, out: ts.toString('latin1') });
    });
  }

  test('keeps what a reviewer needs: endpoint, options, tables, the template comments; hides the token and header values', () => {
    const input = Buffer.from(cases['the rendered file with its token']!());
    expect(redactStnsConf(input, keep).toString()).toBe(
      [
        ...keep,
        'api_endpoint = "https://stns.example.com/v1"',
        'auth_token = "(sensitive)"',
        'request_timeout = 3',
        'request_retry = 1',
        '',
        '[http_headers]',
        'X-Api-Key = "(sensitive)"',
        '',
        '[cached]',
        'enable = true',
        '',
      ].join('\n'),
    );
  });

  test('a comment that is not the template\'s is hidden, as is a line that is not key = value', () => {
    expect(redactStnsConf(Buffer.from('# hello\nnot toml at all\n'), keep).toString()).toBe('# (sensitive)\n(sensitive)\n');
  });
});
