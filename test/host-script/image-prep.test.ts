// image-prep leaves nothing of the host script on an image that is copied to many boards: its backups (old
// tokens; the re-register worker's hold old host keys and machine-id) and whatever a killed run left in
// /var/lib/stns-fleet (its lock, its work directory with decrypted payloads), besides what it removed before.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { imagePrepScript, PI_FIRSTBOOT_LIB, PI_IMAGE_PREP_LIB, runImagePrep } from '../../src/pi/image-prep.js';
import { loadTemplates } from '../../src/render/templates.js';
import { entries, filesWithSecret, put } from './tree.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sf-image-prep-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('image-prep removes /var/backups/stns-fleet and every leftover in /var/lib/stns-fleet, backing them up outside the image', async () => {
  const t = await loadTemplates(undefined, [PI_IMAGE_PREP_LIB, PI_FIRSTBOOT_LIB]);
  const img = path.join(dir, 'img');
  const backup = path.join(dir, 'backup');
  await mkdir(path.join(img, 'etc'), { recursive: true });
  await put(img, '/var/lib/stns-fleet/seal.key', 'KEY', 0o600);
  await put(img, '/var/lib/stns-fleet/lock/pid', '4242 -\n');
  await put(img, '/var/lib/stns-fleet/lock/phase', 'writing\n');
  await put(img, '/var/lib/stns-fleet/converge.AbC123/1', 'auth_token = "s3cr3t-from-a-killed-run"\n', 0o600);
  await put(img, '/var/lib/stns-fleet/facts.Xy12Zq.b', 'file …\n', 0o600);
  await put(img, '/var/backups/stns-fleet/20240101T000000Z-77/etc/stns/client/stns.conf', 'auth_token = "s3cr3t-old"\n', 0o600);
  await put(img, '/var/backups/stns-fleet/20240101T000000Z-77/manifest', 'present x 644 0 0 0 /etc/stns/client/stns.conf\n');
  await put(img, '/var/backups/stns-fleet/pi-reregister-20240101T000000Z/etc/machine-id', 'old\n');
  await writeFile(path.join(img, 'var/lib/keep-me'), 'not stns-fleet’s\n');

  const r = await runImagePrep(imagePrepScript(t), img, backup);
  expect(r.error, r.stderr).toBeUndefined();
  expect(r.code).toBe(0);
  const removed = r.actions.filter((a) => a.verb === 'removed').map((a) => a.path);
  expect(removed).toEqual(
    expect.arrayContaining([
      '/var/backups/stns-fleet',
      '/var/lib/stns-fleet/lock',
      '/var/lib/stns-fleet/converge.AbC123',
      '/var/lib/stns-fleet/facts.Xy12Zq.b',
      '/var/lib/stns-fleet/seal.key',
    ]),
  );
  expect(await entries(path.join(img, 'var/lib/stns-fleet'))).toEqual([]);
  expect(await entries(path.join(img, 'var/backups'))).toEqual([]);
  expect(await filesWithSecret(img)).toEqual([]);
  expect(await readFile(path.join(img, 'var/lib/keep-me'), 'utf8')).toBe('not stns-fleet’s\n');
  // The backup (outside the image) holds what was removed.
  expect(await readFile(path.join(r.backup!, 'var/backups/stns-fleet/pi-reregister-20240101T000000Z/etc/machine-id'), 'utf8')).toBe('old\n');
  expect(await readFile(path.join(r.backup!, 'var/lib/stns-fleet/lock/phase'), 'utf8')).toBe('writing\n');

  const again = await runImagePrep(imagePrepScript(t), img, null);
  expect(again.error).toBeUndefined();
  expect(again.actions).toEqual([]);
});
