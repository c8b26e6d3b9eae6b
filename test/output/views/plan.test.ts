// plan's view in its three forms, fed the result planCommand hands it: what each shows, that the JSON form is
// one document, the Markdown one collapsed per unit and escaped, and that no form can show a secret because
// none reaches a view (the emitters here scrub nothing: what they print is what the views were given).
import { beforeAll, describe, expect, test } from 'vitest';
import { Emitter } from '../../../src/output/emitter.js';
import { planView, type PlanResult } from '../../../src/output/views/plan.js';
import type { PlanFormat } from '../../../src/output/views/formats.js';
import { EVIL_NAME, IDS, planFixture, SECRETS, type Fixture } from '../plan-fixture.js';

let f: Fixture;
beforeAll(async () => {
  f = await planFixture();
});

/** Runs one form of the view on `r`; an Emitter with no secret registered, so nothing is scrubbed. */
function show(format: PlanFormat, r: PlanResult): { out: string; err: string; mode: string } {
  const out: string[] = [];
  const err: string[] = [];
  const view = planView(format, new Emitter({ out: (t) => void out.push(t), err: (t) => void err.push(t) }));
  view.result(r);
  return { out: out.join(''), err: err.join(''), mode: view.progress.mode };
}

test('no secret reaches a view: neither the plan, nor anything any form prints from it', () => {
  const r: PlanResult = { plan: f.plan, fleet: f.fleet, saved: '/tmp/p.json' };
  for (const s of SECRETS) expect(JSON.stringify(r)).not.toContain(s);
  for (const format of ['text', 'json', 'markdown'] as const) {
    const { out, err } = show(format, r);
    for (const s of SECRETS) expect(out + err, `${format} shows ${s}`).not.toContain(s);
  }
  // The secrets were there to leak: the host's old token line is shown, its value hidden.
  expect(show('text', r).out).toMatch(/^ auth_token = "\(sensitive\)"$/m);
  expect(show('markdown', r).out).toMatch(/^\+X-Api-Key = "\(sensitive\)"$/m);
});

describe('text', () => {
  test('the plan, then where it was saved', () => {
    const { out, mode } = show('text', { plan: f.plan, fleet: f.fleet, saved: 'web.plan.json' });
    expect(out).toMatch(/^## web#1: 1 host\(s\), group web, debian-12 \(x86_64\)$/m);
    expect(out).toMatch(/^Plan: 3 to change, 1 unchanged, 1 skipped, 0 unreachable, 1 with errors\.$/m);
    expect(out).toMatch(/Saved to web\.plan\.json: apply exactly this plan with `stns-fleet apply web\.plan\.json`\.\n$/);
    expect(mode).toBe('plain'); // a terminal that is not a TTY: one line per step
  });

  test('interrupted: the --out that was not written is named', () => {
    const { out } = show('text', { plan: f.plan, fleet: f.fleet, notSaved: 'web.plan.json', interrupted: 'SIGTERM' });
    expect(out).toMatch(/^Plan interrupted \(SIGTERM\): hosts whose facts were not read are shown as unreachable; web\.plan\.json was not written\.$/m);
    expect(out).not.toMatch(/Saved to/);
  });
});

describe('json', () => {
  test('one document: the counts, the changes as data, no script drafts, no seal keys; no progress', () => {
    const { out, err, mode } = show('json', { plan: f.plan, fleet: f.fleet, saved: 'p.json', interrupted: 'SIGINT' });
    expect(mode).toBe('silent');
    expect(err).toBe('');
    const doc = JSON.parse(out) as Record<string, any>;
    expect(doc['summary']).toEqual({ change: 3, unchanged: 1, skipped: 1, unreachable: 0, error: 1 });
    expect(doc['saved']).toBe('p.json');
    expect(doc['interrupted']).toBe('interrupted (Ctrl-C)');
    expect(doc['notFound']).toEqual([{ group: 'web', id: IDS.unknown }]);
    expect(out).not.toContain('"draft"');
    expect(out).not.toContain('sealKey');
    const web = (doc['units'] as any[]).find((u) => u.hostIds.includes(IDS.web));
    const nss = web.changes.files.find((x: any) => x.path === '/etc/nsswitch.conf');
    expect(nss).toMatchObject({ action: 'update', role: 'nss', diff: { kind: 'text' } });
    expect(nss.diff.hunks.flatMap((h: any) => h.lines)).toContain('+passwd:         files stns');
    expect(web.changes.nss[0]).toEqual({ database: 'passwd', before: ['files'], after: ['files', 'stns'] });
    expect(web.changes.packages).toEqual({ state: 'install', packages: ['libnss-stns-v2', 'cache-stnsd'], manager: 'apt' });
    const only = (doc['units'] as any[]).find((u) => u.hostIds.includes(IDS.oldTokenOnly));
    expect(only.changes.files.find((x: any) => x.action !== 'noop').diff).toEqual({ kind: 'secret-only' });
  });
});

describe('markdown', () => {
  test('the counts first, then what will not happen (the broken unit open, who gets nothing), then one collapsed <details> per changing unit', () => {
    const { out } = show('markdown', { plan: f.plan, fleet: f.fleet });
    expect(out.split('\n')[0]).toBe('### stns-fleet plan: 3 to change, 1 unchanged, 1 skipped, 0 unreachable, 1 with errors');
    const blocks = [...out.matchAll(/^<details( open)?>\n<summary>(.*)<\/summary>\n/gm)].map((m) => `${m[1] ? 'open ' : ''}${m[2]}`);
    expect(blocks).toEqual([
      'open <code>db#5</code>: 1 host(s), group <code>db</code>, unknown OS (x86_64): cannot be planned',
      '<code>web#1</code>: 1 host(s), group <code>web</code>, debian-12 (x86_64): 6 file(s) to change',
      '<code>web#2</code>: 1 host(s), group <code>web</code>, debian-12 (x86_64): 6 file(s) to change',
      '<code>web#4</code>: 1 host(s), group <code>web</code>, debian-12 (x86_64): 1 file(s) to change',
    ]);
    expect(out.indexOf('Not planned:')).toBeLessThan(out.indexOf('<code>web#1</code>'));
    // web#2's files but stns.conf change as web#1's do: each such diff is shown once, then named.
    expect(out).toContain('- the same diff as `web#1`: `/etc/nsswitch.conf`, `/etc/pam.d/sshd`, ');
    expect(out.match(/^\+passwd: +files stns$/gm)).toHaveLength(1);
    expect(out.match(/^<\/details>$/gm)).toHaveLength(4);
    expect(out).toContain('| `~` | `/etc/nsswitch.conf` | update |');
    expect(out).toContain('| `+` | `/etc/stns/client/stns.conf` | create, 0644 root:root |');
    expect(out).toMatch(/^- nss passwd: `files` → `files stns`$/m);
    expect(out).toMatch(/^- packages: `libnss-stns-v2` `cache-stnsd` via apt/m);
    expect(out).toMatch(/^- \*\*error\*\*: the inventory says debian-12 but the host is ubuntu-24\.04/m);
    expect(out).toMatch(/^```diff\n--- \/dev\/null\n\+\+\+ b\/etc\/stns\/client\/stns\.conf\n@@ /m);
    expect(out).toMatch(/^--- a\/etc\/nsswitch\.conf\n\+\+\+ b\/etc\/nsswitch\.conf\n@@ .*\n(.*\n)*\+passwd: +files stns\n/m);
    expect(out).toContain('(only a secret value changes; not shown)');
    expect(out).toMatch(/^Already converged: `web#3` \(1 host\(s\)\)$/m);
    expect(out).toContain(`| skipped | \`${IDS.skipped}\` | \`web\` | stopped \\(EC2 state stopped\\) |`);
    expect(out).toContain(`| not found | \`${IDS.unknown}\` | \`web\` | neither EC2 nor SSM knows this ID |`);
  });

  test('what hosts and the inventory say is escaped: a Name tag cannot add markup', () => {
    const { out } = show('markdown', { plan: f.plan, fleet: f.fleet });
    expect(EVIL_NAME).toContain('<img');
    expect(out).not.toMatch(/(^|[^\\])<img/m); // only escaped, as \<img
    expect(out).toContain('(web \\<img src=x onerror=alert\\(1\\)\\> \\| \\*\\*bold\\*\\* \\`tick\\`)');
  });

  test('a diff line that looks like a code fence cannot close the diff block', () => {
    const plan = structuredClone(f.plan);
    const nss = plan.units.find((u) => u.hostIds.includes(IDS.web))!.changes!.files.find((x) => x.path === '/etc/nsswitch.conf')!;
    if (nss.diff?.kind !== 'text') throw new Error('expected a text diff');
    // A context line of a file that holds " ```" (a closing fence may be indented up to 3 spaces).
    nss.diff.hunks[0]!.lines.push(' ```', '+</details>');
    const { out } = show('markdown', { plan, fleet: f.fleet });
    const open = /^(`{4,})diff$/m.exec(out);
    expect(open, out).not.toBeNull();
    expect(out).toContain('\n ```\n+</details>\n');
    expect(out.indexOf(`\n${open![1]}\n`, open!.index)).toBeGreaterThan(out.indexOf('+</details>'));
  });

  test('saved and interrupted are said after the plan', () => {
    expect(show('markdown', { plan: f.plan, fleet: f.fleet, saved: 'p.json' }).out).toMatch(/\n\nSaved to `p\.json`: apply exactly this plan with `stns-fleet apply p\.json`\.\n$/);
    expect(show('markdown', { plan: f.plan, fleet: f.fleet, notSaved: 'p.json', interrupted: 'SIGINT' }).out).toMatch(/\*\*Plan interrupted \(Ctrl-C\)\*\*: .*; `p\.json` was not written\.\n$/);
  });
});
