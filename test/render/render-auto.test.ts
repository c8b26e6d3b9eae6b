// `render --os auto --root DIR`: the OS from the tree's own files (os-release, the Raspberry Pi markers), the
// architecture too (dpkg's, or the ELF header of /bin/sh, symbolic links followed inside the tree); a named --os
// or --arch the tree contradicts is an error, never a forced render. (How the architecture is read from a tree:
// test/facts/root-arch.test.ts.)
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderOutput } from '../helpers/render-output.js';
import { STOCK_DIR } from '../helpers/render.js';

let dir: string;
let inv: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stns-fleet-render-auto-'));
  inv = path.join(dir, 'inv.yaml');
  await writeFile(inv, 'version: 1\naws: { region: ap-northeast-1 }\nstns:\n  api_endpoint: https://stns.example.com/v1\ngroups:\n  all: { os: auto, targets: [i-0123456789abcdef0] }\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** An ELF header (64-bit little-endian) for machine `m` (62 x86_64, 183 aarch64, 40 arm). */
function elf(m: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b[5] = 1;
  b.writeUInt16LE(m, 18);
  return b;
}

let n = 0;
async function tree(stockDir: string, extra: (root: string) => Promise<void> = async () => {}): Promise<string> {
  const root = path.join(dir, `root-${++n}`);
  await cp(path.join(STOCK_DIR, stockDir), root, { recursive: true });
  await extra(root);
  return root;
}
const dpkgStatus = (arch: string) => async (root: string) => {
  await mkdir(path.join(root, 'var/lib/dpkg'), { recursive: true });
  await writeFile(path.join(root, 'var/lib/dpkg/status'), `Package: base-files\nStatus: install ok installed\nArchitecture: ${arch}\n\nPackage: dpkg\nStatus: install ok installed\nArchitecture: ${arch}\nVersion: 1.22.21\n`);
};
/** A merged-/usr tree: /bin → usr/bin, /usr/bin/sh → dash (relative), dash an ELF for `machine`. */
const mergedUsrShell = (machine: number, absolute = false) => async (root: string) => {
  await mkdir(path.join(root, 'usr/bin'), { recursive: true });
  await writeFile(path.join(root, 'usr/bin/dash'), elf(machine));
  await symlink(absolute ? '/usr/bin/dash' : 'dash', path.join(root, 'usr/bin/sh'));
  await symlink('usr/bin', path.join(root, 'bin'));
};
const run = (o: { os: string; root?: string; arch?: string }) => renderOutput({ inventory: inv, out: path.join(dir, `out-${++n}`), diff: false, packagesPresent: false, ...o });

describe('render --os auto --root', () => {
  test('Debian 13 on arm64: detected, the architecture read from dpkg, the bookworm repository noted', async () => {
    const r = await run({ os: 'auto', root: await tree('debian-13', dpkgStatus('arm64')) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^render: debian-13 \(Debian 13 \(trixie\), arm64\), group "all"/);
    expect(r.stdout).toContain('note: architecture arm64, from var/lib/dpkg/status (package dpkg)');
    expect(r.stdout).toContain('note: detected debian-13 (Debian 13 (trixie)) from');
    expect(r.stdout).toContain('note: if the packages are missing: STNS packages: upstream builds no trixie repository; installing from the bookworm one');
  });

  test('every stock tree is detected as its profile', async () => {
    const cases: [string, RegExp][] = [
      ['raspberry-pi-os-13', /^render: raspberry-pi-os /],
      ['ubuntu-26.04', /^render: ubuntu-26\.04 /],
      ['amazon-linux-2023', /^render: amazon-linux-2023 /],
      ['debian-12', /^render: debian-12 /],
    ];
    for (const [stockDir, want] of cases) {
      const r = await run({ os: 'auto', root: await tree(stockDir) });
      expect(r.stdout, stockDir).toMatch(want);
    }
  });

  test('a Raspberry Pi OS trixie image: raspberry-pi-os, arm64 from its /bin/sh', async () => {
    const r = await run({ os: 'auto', root: await tree('raspberry-pi-os-13', mergedUsrShell(183)) });
    expect(r.stdout).toMatch(/^render: raspberry-pi-os \(Raspberry Pi OS \(trixie, bookworm, bullseye\), arm64\)/);
  });

  test('no architecture in the tree: the profile\'s usual one, said so', async () => {
    const r = await run({ os: 'auto', root: await tree('debian-13') });
    expect(r.stdout).toMatch(/does not say its architecture \(no var\/lib\/dpkg, no ELF \/bin\/sh\): assuming amd64, the usual one for debian-13; give --arch/);
  });

  test('an unsupported tree is an error, never a guess', async () => {
    const root = await tree('debian-13', async (r) => writeFile(path.join(r, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 14 (forky)"\nID=debian\nVERSION_ID="14"\n'));
    await expect(run({ os: 'auto', root })).rejects.toThrow(/unsupported OS: Debian GNU\/Linux 14 \(forky\) \(ID=debian, VERSION_ID=14\)/);
  });

  test('--os auto needs --root', async () => {
    await expect(run({ os: 'auto' })).rejects.toThrow(/render --os auto detects the OS from a host tree: give --root DIR/);
  });
});

describe('a named --os or --arch the tree contradicts', () => {
  test('--os debian-12 on a trixie tree is refused, naming both; nothing written', async () => {
    const root = await tree('debian-13');
    const out = path.join(dir, 'refused-out');
    await expect(renderOutput({ inventory: inv, os: 'debian-12', root, out, diff: false, packagesPresent: false })).rejects.toThrow(
      /--os debian-12 was given but the host is debian-13: Debian GNU\/Linux 13 \(trixie\) \(ID=debian, VERSION_ID=13\)/,
    );
    await expect(readFile(path.join(out, 'etc/apt/sources.list.d/stns-fleet.list'))).rejects.toThrow();
  });

  test('--os debian-13 on a Raspberry Pi OS trixie tree, and --os raspberry-pi-os on a Debian 13 tree', async () => {
    await expect(run({ os: 'debian-13', root: await tree('raspberry-pi-os-13') })).rejects.toThrow(/debian-13 was given but the host is raspberry-pi-os/);
    await expect(run({ os: 'raspberry-pi-os', root: await tree('debian-13') })).rejects.toThrow(/raspberry-pi-os was given but the host is debian-13/);
  });

  test('--arch amd64 on an arm64 tree is refused; agreeing is fine', async () => {
    const root = await tree('debian-13', dpkgStatus('arm64'));
    await expect(run({ os: 'auto', root, arch: 'amd64' })).rejects.toThrow(/--arch amd64 but the tree is arm64 \(from var\/lib\/dpkg\/status \(package dpkg\)\)/);
    expect((await run({ os: 'debian-13', root, arch: 'aarch64' })).exitCode).toBe(0);
  });
});
