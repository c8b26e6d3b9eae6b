// findSecret must find a secret however it was wrapped (or the e2e "no secret in SSM" checks prove nothing),
// and must not cry wolf over hashes, ciphertext or near misses.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { base64Forms, base64Runs, findSecret, findSecrets } from './secret-search.js';

const SECRET = 'lab-web-Qm7rT2xYp9LkZ3vW8nB4cD6e';
const OTHER = 'lab-web-Zx1cV2bN3mA4sD5fG6hJ7kL8';
const conf = (token: string): string =>
  `# Managed by stns-fleet\napi_endpoint = "http://127.0.0.1:4567/v1"\nauth_token = "${token}"\nrequest_timeout = 3\n\n[http_headers]\nX-Api-Key = "hdr-0123456789abcdef"\n`;
/** A long file, the secret near its start: cut blobs still carry it. */
const bigConf = (token: string): string => conf(token) + Array.from({ length: 400 }, (_, i) => `# filler line ${i} ${createHash('sha256').update(String(i)).digest('hex')}\n`).join('');
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const wrap76 = (s: string): string => s.replace(/(.{76})/g, '$1\n').replace(/\n$/, '');
const gzb64 = (s: string): string => gzipSync(Buffer.from(s)).toString('base64');

describe('findSecret finds it', () => {
  test('plain, with where and an excerpt that masks it', () => {
    const h = findSecret(`Authorization: token ${SECRET}\n`, SECRET);
    expect(h?.encoding).toEqual(['plain']);
    expect(h?.offset).toBe(21);
    expect(h?.excerpt).toContain('token «SECRET»');
    expect(h?.excerpt).not.toContain(SECRET);
    expect(h?.description).toMatch(/^plain at offset 21: /);
  });

  test('JSON-escaped, when the secret has characters JSON escapes', () => {
    const s = 'p"ss\\w0rd-with-quote';
    expect(findSecret(JSON.stringify({ v: `x ${s} y` }), s)?.encoding).toEqual(['JSON-escaped']);
  });

  test('its base64 at every byte alignment, inside a longer base64 text', () => {
    for (let pre = 0; pre < 7; pre++) {
      for (let post = 0; post < 4; post++) {
        const text = b64(Buffer.concat([randomBytes(pre), Buffer.from(SECRET), randomBytes(post)]));
        const h = findSecret(`data: ${text} end`, SECRET);
        expect(h, `prefix ${pre}, suffix ${post}`).toBeDefined();
        expect(h!.encoding[0]).toMatch(/^base64/);
      }
    }
  });

  test('each alignment has its own form, and all three are needed', () => {
    const forms = base64Forms(SECRET);
    expect(forms).toHaveLength(3);
    expect(new Set(forms).size).toBe(3);
    for (let pre = 0; pre < 3; pre++) {
      const text = b64(Buffer.concat([Buffer.alloc(pre, 0x41), Buffer.from(SECRET), Buffer.from('!')]));
      expect(forms.filter((f) => text.includes(f))).toEqual([forms[pre]]);
    }
  });

  test('its base64 wrapped at 76 columns (real line breaks, and the \\n escapes of a JSON string)', () => {
    // Prefixes of 40..120 bytes put the secret's base64 on one line, or across the first or second line break.
    let across = 0;
    for (let pre = 40; pre <= 120; pre++) {
      const wrapped = wrap76(b64('x'.repeat(pre) + SECRET + 'tail'));
      expect(wrapped).toContain('\n');
      const oneLine = wrapped.split('\n').some((l) => base64Forms(SECRET).some((f) => l.includes(f)));
      if (!oneLine) across++;
      const want = oneLine ? 'base64' : 'base64 (across line breaks)';
      expect(findSecret(wrapped, SECRET)?.encoding[0], `prefix ${pre}`).toBe(want);
      expect(findSecret(JSON.stringify({ StandardOutputContent: wrapped }), SECRET)?.encoding[0], `prefix ${pre}, JSON`).toBe(want);
    }
    expect(across).toBeGreaterThan(20);
  });

  test('URL-safe base64', () => {
    const secret = 'url~?>token~?>url~?>1234';
    expect(base64Forms(secret).every((f) => /[+/]/.test(f))).toBe(true);
    for (let pre = 0; pre < 3; pre++) {
      const url = Buffer.from('-'.repeat(pre) + secret + '-').toString('base64url');
      expect(findSecret(url, secret)?.encoding[0]).toBe('base64url');
    }
  });

  test('inside a gzip+base64 blob: one line (the facts content format), a wrapped block, a JSON body', () => {
    const blob = gzb64(conf(SECRET));
    const facts = `STNS_FLEET_FACTS v1 abc none\nfile 0123 /etc/stns/client/stns.conf\nSTNS_FLEET_CONTENT /etc/stns/client/stns.conf\n${blob}\nSTNS_FLEET_END abc\n`;
    const h = findSecret(facts, SECRET);
    expect(h?.encoding).toEqual(['gzip+base64', 'plain']);
    expect(h?.offset).toBe(facts.indexOf(blob));
    expect(findSecret(`echo start\n${wrap76(gzb64(bigConf(SECRET)))}\necho end\n`, SECRET)?.encoding).toEqual(['gzip+base64', 'plain']);
    expect(findSecret(JSON.stringify({ CommandInvocations: [{ CommandPlugins: [{ Output: facts }] }] }), SECRET)?.encoding).toEqual(['gzip+base64', 'plain']);
  });

  test('inside a gzip+base64 blob glued to a word, at any character offset', () => {
    for (const glue of ['', 'a', 'ab', 'abc', 'abcd', 'abcde']) {
      expect(findSecret(`content=${glue}${gzb64(conf(SECRET))}`, SECRET)?.encoding, glue).toEqual(['gzip+base64', 'plain']);
    }
  });

  test('inside a blob cut short (an output limit, a read-back chunk)', () => {
    const blob = gzb64(bigConf(SECRET));
    expect(blob.length).toBeGreaterThan(4000);
    const cut = blob.slice(0, Math.floor(blob.length * 0.4));
    expect(findSecret(`${cut}--output truncated--`, SECRET)?.encoding).toEqual(['gzip+base64', 'plain']);
  });

  test('one level down: gzip+base64 inside a base64 script, base64 inside gzip', () => {
    const script = `#!/bin/sh\nprintf '%s' '${gzb64(conf(SECRET))}' | base64 -d | gunzip > /etc/stns/client/stns.conf\n`;
    expect(findSecret(b64(script), SECRET)?.encoding).toEqual(['base64 blob', 'gzip+base64', 'plain']);
    const inner = `token_b64=${b64(`Bearer ${SECRET}`)}\n`;
    expect(findSecret(gzb64(inner), SECRET)?.encoding).toEqual(['gzip+base64', 'base64']);
  });

  test('several runs: the one that carries it is found after ones that do not', () => {
    const text = [gzb64(conf(OTHER)), b64(randomBytes(90)), gzb64('nothing here at all, really'), gzb64(conf(SECRET))].join('\n\n');
    expect(findSecret(text, SECRET)?.encoding).toEqual(['gzip+base64', 'plain']);
  });
});

describe('findSecret does not cry wolf', () => {
  test('other tokens, plainly or encoded', () => {
    const text = [`auth_token = "${OTHER}"`, b64(OTHER), wrap76(b64('x'.repeat(55) + OTHER)), gzb64(conf(OTHER)), wrap76(gzb64(bigConf(OTHER)))].join('\n');
    expect(findSecret(text, SECRET)).toBeUndefined();
    expect(findSecret(text, OTHER)).toBeDefined(); // the same text does carry OTHER
  });

  test('near misses: one character changed, a prefix of it, its base64 cut before its end', () => {
    // (A change in the lowest bits of its first or last byte could not be told apart in base64: those bits share
    // a character with the bytes around it. Change one in the middle.)
    const changed = `${SECRET.slice(0, 16)}${SECRET[16] === 'A' ? 'B' : 'A'}${SECRET.slice(17)}`;
    expect(findSecret(`${changed} ${b64(changed)} ${gzb64(conf(changed))}`, SECRET)).toBeUndefined();
    const prefix = SECRET.slice(0, -4);
    expect(findSecret(`${prefix} ${b64(prefix)} ${gzb64(prefix)}`, SECRET)).toBeUndefined();
    expect(findSecret(b64(SECRET).slice(0, -8), SECRET)).toBeUndefined();
  });

  test('hashes and ciphertext of it (sealed payloads): nothing to find, by design', () => {
    const sha = createHash('sha256').update(conf(SECRET)).digest();
    const c = createCipheriv('aes-256-cbc', randomBytes(32), randomBytes(16));
    const sealed = Buffer.concat([c.update(gzipSync(conf(SECRET))), c.final()]);
    const text = `sha256 ${sha.toString('hex')} ${sha.toString('base64')}\nSEALED ${sealed.toString('base64')}\n${wrap76(sealed.toString('base64'))}\n`;
    expect(findSecret(text, SECRET)).toBeUndefined();
  });

  test('plain text, XML, JSON without it', () => {
    expect(findSecret('<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>', SECRET)).toBeUndefined();
    expect(findSecret(JSON.stringify({ Parameter: { Name: '/stns-fleet/lab/web-token', Value: b64(randomBytes(133)) } }), SECRET)).toBeUndefined();
    expect(findSecret('', SECRET)).toBeUndefined();
  });

  test('refuses a secret too short to mean anything', () => {
    expect(() => findSecret('abc', 'ab')).toThrow(/cannot be searched/);
  });
});

describe('base64Runs', () => {
  test('one line, a wrapped block (joined), a run glued after a word, short runs ignored', () => {
    const blob = b64(randomBytes(200));
    const wrapped = wrap76(blob);
    const runs = base64Runs(`short abc123\nline ${b64(randomBytes(30))} end\n${wrapped}\nafter\n`);
    expect(runs.map((r) => r.text)).toContain(blob);
    expect(runs.some((r) => r.text.length === 40)).toBe(true);
    expect(runs.every((r) => r.text.length >= 16)).toBe(true);
  });
});

// The e2e scans search every secret in one pass (findSecrets): for each secret, the very finding findSecret
// gives it alone (the same encoding, offset and excerpt), whatever the other secrets are and wherever they sit.
describe('findSecrets, several secrets in one pass', () => {
  const THIRD = 'hdr-Yq8wE3rT5uI7oP9aS1dF2gH4';
  const texts = [
    `auth_token = "${SECRET}"\n${gzb64(conf(OTHER))}`,
    [gzb64(conf(OTHER)), b64(randomBytes(90)), gzb64('nothing here at all, really'), gzb64(conf(SECRET))].join('\n\n'),
    `#!/bin/sh\nprintf '%s' '${gzb64(conf(SECRET))}' | base64 -d\n${b64(`Bearer ${THIRD}`)}\n`,
    b64(`#!/bin/sh\nprintf '%s' '${gzb64(conf(OTHER))}' | base64 -d | gunzip\n`),
    gzb64(`token_b64=${b64(`Bearer ${SECRET}`)}\nother=${OTHER}\n`),
    JSON.stringify({ CommandInvocations: [{ CommandPlugins: [{ Output: `x ${wrap76(gzb64(bigConf(THIRD)))} y` }] }] }),
    `${gzb64(bigConf(SECRET)).slice(0, 3000)}--output truncated--`,
    'no secret here, just words and 0123456789abcdef',
  ];

  test.each(texts.map((t, i) => [i, t]))('text %i: each secret as findSecret finds it alone', (_i, text) => {
    const secrets = [SECRET, OTHER, THIRD];
    const alone = secrets.map((s) => findSecret(text, s));
    expect(findSecrets(text, secrets)).toEqual(alone);
    expect(findSecrets(text, [...secrets].reverse())).toEqual([...alone].reverse());
  });

  test('the texts above do carry secrets: the comparison compares findings, not only misses', () => {
    const found = texts.flatMap((t) => findSecrets(t, [SECRET, OTHER, THIRD])).filter(Boolean);
    expect(found.length).toBeGreaterThanOrEqual(8);
    expect(new Set(found.map((h) => h!.encoding[0])).size).toBeGreaterThanOrEqual(3);
  });
});
