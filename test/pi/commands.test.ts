// The three commands as cli/program.ts calls them (cli/run.ts: options, transport factory, io → exit code), against
// the fake cloned fleet and directory trees. What reaches stdout/stderr, exit codes, confirmation, and no secret.
import { mkdir, mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { imagePrepCommand, reactivateCommand, tagCommand } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import { FleetError } from '../../src/errors.js';
import { Interrupted } from '../../src/exit-codes.js';
import { FakeFleet, newSealPair, type SealPair } from './fake-fleet.js';
import { OLD_ID, seedBoard, VAULT_KEY } from './board.js';
import { INVENTORY_HEAD } from '../helpers/inventory.js';

let imageKey: SealPair;
beforeAll(() => {
  imageKey = newSealPair();
});

const SERIALS = ['10000000a1b2c301', '10000000a1b2c302', '10000000a1b2c303'];
const INVENTORY = [
  ...INVENTORY_HEAD,
  '  edge-pi:',
  '    targets:',
  '      - tags: { Fleet: pi }',
  '    pi:',
  '      iam_role: SSMHybridPiRole',
  '      names:',
  ...SERIALS.map((s, i) => `        "${s}": board-${i + 1}`),
  '',
].join('\n');

function recorder(confirm?: boolean): Io & { stdout: string; stderr: string; asked: string[] } {
  const io = {
    stdout: '',
    stderr: '',
    asked: [] as string[],
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
    ...(confirm === undefined
      ? {}
      : {
          confirm: (q: string) => {
            io.asked.push(q);
            return Promise.resolve(confirm);
          },
        }),
  };
  return io;
}

let dir: string;
let inv: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sf-pi-cmd-'));
  inv = path.join(dir, 'inv.yaml');
  await writeFile(inv, INVENTORY);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cloned(): FakeFleet {
  const f = new FakeFleet('flapping');
  const golden = f.newNodeId({ Fleet: 'pi' });
  for (const serial of SERIALS) f.addBoard({ serial, registeredAs: golden, seal: imageKey });
  return f;
}

function factory(f: FakeFleet) {
  return () => f;
}
const fast = { interval: '5s', wait: '600s' };
/** reactivate waits between polls and for new nodes: on the fake's virtual clock. */
const clock = (f: FakeFleet) => ({ now: f.now, sleep: f.sleep });

describe('reactivate', () => {
  test('--dry-run: the suspect, its boards, exit 2, nothing changed', async () => {
    const f = cloned();
    const io = recorder();
    const code = await reactivateCommand({ inventory: inv, dryRun: true, quiet: true, ...fast }, factory(f), io, undefined, clock(f));
    expect(code).toBe(2);
    expect(io.stdout).toContain('Suspected clones (nothing was changed):');
    expect(io.stdout).toContain('mi-00000000000000001  group edge-pi: 3 different boards answered its polls');
    expect(io.stdout).toContain('board-1');
    expect(io.stdout).toContain('Dry run');
    expect(f.calls.createActivation).toEqual([]);
  });

  test('without --yes and without a terminal it refuses before doing anything', async () => {
    const f = cloned();
    await expect(reactivateCommand({ inventory: inv, quiet: true }, factory(f), recorder())).rejects.toThrow(FleetError);
    expect(f.requests).toEqual([]);
  });

  test('asks after detection; "no" changes nothing and exits 1', async () => {
    const f = cloned();
    const io = recorder(false);
    const code = await reactivateCommand({ inventory: inv, quiet: true, ...fast }, factory(f), io, undefined, clock(f));
    expect(code).toBe(1);
    expect(io.asked).toHaveLength(1);
    expect(io.stdout).toContain('would move its 3 board(s) to new IDs, then deregister it');
    expect(io.stderr).toContain('Cancelled; nothing was changed.');
    expect(f.calls.createActivation).toEqual([]);
  });

  test('--yes: every board moved, exit 0; the report and --json carry no activation code; a re-run says nothing to do', async () => {
    const f = cloned();
    const io = recorder();
    const code = await reactivateCommand({ inventory: inv, yes: true, json: true, ...fast }, factory(f), io, undefined, clock(f));
    expect(code).toBe(0);
    const r = JSON.parse(io.stdout) as { boards: { outcome: string; name: string }[]; ids: { action: string }[] };
    expect(r.boards.map((b) => [b.name, b.outcome]).sort()).toEqual([
      ['board-1', 'moved'],
      ['board-2', 'moved'],
      ['board-3', 'moved'],
    ]);
    expect(r.ids.map((i) => i.action)).toEqual(['deregistered']);
    const codes = [...f.activations.values()].map((a) => a.code);
    for (const c of codes) expect(io.stdout + io.stderr + JSON.stringify(f.requests)).not.toContain(c);

    const again = recorder();
    expect(await reactivateCommand({ inventory: inv, yes: true, quiet: true, ...fast }, factory(f), again, undefined, clock(f))).toBe(0);
    expect(again.stdout).toMatch(/^No cloned managed-node IDs: 3 online node\(s\) polled/);
  });

  test('SIGTERM after the first board: exit 143, the report says so, the activation is deleted', async () => {
    const f = cloned();
    const io = recorder();
    const ac = new AbortController();
    const err = io.err;
    io.err = (t: string) => {
      err(t);
      if (t.includes(' is now ')) ac.abort(new Interrupted('SIGTERM'));
    };
    const code = await reactivateCommand({ inventory: inv, yes: true, ...fast }, factory(f), io, ac.signal, clock(f));
    expect(code).toBe(143);
    expect(io.stdout).toContain('Summary: 1 moved,');
    expect(io.stdout).toContain('The run was interrupted (SIGTERM): the activation was deleted; run reactivate again to finish.');
    expect(f.calls.deleteActivation).toHaveLength(1);
    expect(f.calls.deregister).toEqual([]);
  });

  test('rejects a malformed --id before touching AWS', async () => {
    const f = cloned();
    await expect(reactivateCommand({ inventory: inv, id: ['mi-123'], dryRun: true }, factory(f), recorder())).rejects.toThrow(/not a managed node ID/);
    expect(f.requests).toEqual([]);
  });
});

describe('tag', () => {
  test('--dry-run lists the names and exits 2; then tagging exits 0', async () => {
    const f = new FakeFleet('last-booted');
    SERIALS.forEach((serial) => f.addBoard({ serial, registeredAs: f.newNodeId({ Fleet: 'pi' }), seal: imageKey }));
    const io = recorder();
    expect(await tagCommand({ inventory: inv, dryRun: true, quiet: true }, factory(f), io)).toBe(2);
    expect(io.stdout).toMatch(/mi-00000000000000001\s+edge-pi\s+10000000a1b2c301\s+-\s+board-1\s+pi\.names \(serial\)\s+would-set/);
    expect(io.stdout).toContain('0 renamed, 3 to rename');
    expect(f.calls.setTags).toEqual([]);
    const io2 = recorder();
    expect(await tagCommand({ inventory: inv, quiet: true }, factory(f), io2)).toBe(0);
    expect(f.calls.setTags).toHaveLength(3);
    expect(io2.stdout).toContain('3 renamed');
  });
});

describe('image-prep', () => {
  test('--print-script prints the script (with the first-boot unit inside) and how to run it', async () => {
    const io = recorder();
    expect(await imagePrepCommand({ printScript: true }, () => cloned(), io)).toBe(0);
    expect(io.stdout).toMatch(/^#!\/bin\/sh\n# stns-fleet image-prep v1/);
    expect(io.stdout).toContain("sf_stage /etc/systemd/system/stns-fleet-firstboot.service 0644 <<'SF_EOF'");
    expect(io.stdout.trimEnd().endsWith('sf_main "$@"')).toBe(true);
    expect(io.stderr).toContain('NOT on its SD card');
  });

  test('refuses: neither or both modes, / as the image, a directory without etc/, a backup inside the image', async () => {
    const run = (o: Parameters<typeof imagePrepCommand>[0]) => imagePrepCommand(o, () => cloned(), recorder());
    await expect(run({})).rejects.toThrow(/exactly one of/);
    await expect(run({ root: dir, printScript: true })).rejects.toThrow(/exactly one of/);
    await expect(run({ root: '/' })).rejects.toThrow(/that is this machine/);
    await expect(run({ root: path.join(dir, 'nope') })).rejects.toThrow(/not a directory/);
    await expect(run({ root: dir })).rejects.toThrow(/no etc\//);
    const img = path.join(dir, 'img');
    await seedBoard(img);
    await expect(run({ root: img, backup: path.join(img, 'root/bk') })).rejects.toThrow(/inside the image/);
    expect(await readFile(path.join(img, VAULT_KEY), 'utf8')).toContain(OLD_ID);
  });

  test('--root on a tree: prepared, backed up outside, the report lists each change; again: nothing to change', async () => {
    const img = path.join(dir, 'img');
    await seedBoard(img);
    await mkdir(path.join(img, 'etc/ssh'), { recursive: true });
    await writeFile(path.join(img, 'etc/ssh/ssh_host_ed25519_key'), 'key');
    const backup = path.join(dir, 'backup');
    const io = recorder();
    expect(await imagePrepCommand({ root: img, backup }, () => cloned(), io)).toBe(0);
    expect(io.stdout).toContain(`Prepared ${img}:`);
    expect(io.stdout).toContain('  removed /var/lib/amazon/ssm/Vault');
    expect(io.stdout).toContain('  emptied /etc/machine-id');
    expect(io.stdout).toContain('  installed /usr/local/sbin/stns-fleet-firstboot');
    expect(io.stdout).toContain(`Backup of everything removed or replaced: ${backup}/`);
    expect(io.stdout).toContain('ssm-activation');
    expect(await readdir(backup)).toHaveLength(1);
    const io2 = recorder();
    expect(await imagePrepCommand({ root: img, noBackup: true }, () => cloned(), io2)).toBe(0);
    expect(io2.stdout).toContain('was already prepared: nothing to change');
  });
});
