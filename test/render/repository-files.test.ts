// The STNS repository definition is what root's package manager will trust: a reviewer must see it. When the
// packages must be installed, plan and `render --diff` show the apt list / yum repo and the key as file
// changes, diffed against what the host has.
import { describe, expect, test } from 'vitest';
import { fileDiff } from '../../src/output/diff.js';
import { render } from '../helpers/render.js';

describe('repository files appear in the plan like every other file', () => {
  test('apt: the list and the keyring, with the list diffed', async () => {
    const r = await render('debian-12', { packagesInstalled: false });
    const repo = r.plan.changes.filter((c) => c.file.role === 'repo');
    expect(repo.map((c) => [c.file.path, c.action])).toEqual([
      ['/etc/apt/keyrings/stns-fleet.gpg', 'create'],
      ['/etc/apt/sources.list.d/stns-fleet.list', 'create'],
    ]);
    const list = fileDiff(repo[1]!);
    expect(list).toMatch(/^\+deb \[signed-by=\/etc\/apt\/keyrings\/stns-fleet\.gpg\] https:\/\/repo\.stns\.jp\/bookworm\/ stns bookworm$/m);
    expect(fileDiff(repo[0]!)).toMatch(/^Binary file \/etc\/apt\/keyrings\/stns-fleet\.gpg/);
  });

  test('yum: the repo file shows gpgcheck on', async () => {
    const r = await render('amazon-linux-2', { packagesInstalled: false });
    const repo = r.plan.changes.find((c) => c.file.path === '/etc/yum.repos.d/stns-fleet.repo')!;
    expect(fileDiff(repo)).toMatch(/^\+gpgcheck=1$/m);
  });

  test('no repository file when the packages are already there, or not known to be missing (render)', async () => {
    for (const packagesInstalled of [true, undefined]) {
      const r = await render('debian-12', packagesInstalled === undefined ? {} : { packagesInstalled });
      expect(r.plan.changes.filter((c) => c.file.role === 'repo')).toEqual([]);
    }
  });

  test('render --diff shows them as what the host script writes if the packages are missing', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { renderOutput } = await import('../helpers/render-output.js');
    const dir = await mkdtemp(path.join(tmpdir(), 'stns-fleet-repo-'));
    try {
      const inv = path.join(dir, 'inv.yaml');
      await writeFile(inv, 'version: 1\naws: { region: ap-northeast-1 }\nstns: { api_endpoint: https://stns.example.com/v1 }\ngroups:\n  web: { targets: [i-0123456789abcdef0] }\n');
      const r = await renderOutput({ inventory: inv, os: 'debian-12', out: path.join(dir, 'out'), diff: true, packagesPresent: false });
      expect(r.stdout).toMatch(/if the packages are missing, the host script first writes: \/etc\/apt\/keyrings\/stns-fleet.gpg, \/etc\/apt\/sources.list.d\/stns-fleet.list/);
      expect(r.stdout).toMatch(/^\+deb \[signed-by=\/etc\/apt\/keyrings\/stns-fleet\.gpg\] https:\/\/repo\.stns\.jp\/bookworm\/ stns bookworm$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
