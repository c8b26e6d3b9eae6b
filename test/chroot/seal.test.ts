/**
 * The seal key in real Debian root filesystems, with each one's own dash and openssl (bookworm: OpenSSL 3.0,
 * trixie: 3.5): facts.sh's seal block makes the key (X25519) and reports it, converge.sh's sf_seal functions
 * open the run key wrapped to it; a key made before the ECDH seal (RSA, no first line) keeps working. The
 * shell is cut from the templates themselves (test/host-script/seal-host.ts).
 */
import { expect, test } from 'vitest';
import { newRunKey, sealFingerprint, sealKind, sealTable, type RunKey } from '../../src/host-script/seal.js';
import { makeKeyScript, unwrapScript } from '../host-script/seal-host.js';
import { ensureRootfs, freshRoot, readFileIn, requireChrootOrSkip, runInChroot } from './harness.js';

const describeChroot = requireChrootOrSkip();
const D = '/var/lib/stns-fleet';
const W = '/tmp/sf-work';
const runKeyHex = (rk: RunKey): string => rk.key.toString('hex') + rk.iv.toString('hex') + rk.mac.toString('hex');

describeChroot('the seal key in a chroot, with its own openssl', () => {
  for (const suite of ['bookworm', 'trixie'] as const) {
    test(`${suite}: X25519 made once, the run key opened; an older RSA key still opens`, async () => {
      const root = await freshRoot({ rootfs: await ensureRootfs(suite) });
      try {
        const sh = async (script: string): Promise<string> => {
          const r = await runInChroot(root.dir, `mkdir -p ${D} ${W}\n${script}`, { args: [D, W] });
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
          return r.stdout.trim();
        };
        const version = await sh('openssl version');
        expect(version).toMatch(suite === 'bookworm' ? /^OpenSSL 3\.0\./ : /^OpenSSL 3\.5\./);
        const pub = await sh(makeKeyScript());
        expect(sealKind(pub)).toBe('x25519');
        expect((await readFileIn(root.dir, `${D}/seal.key`)).split('\n')[0]).toBe(`stns-fleet-seal x25519 ${sealFingerprint(pub)} ${pub}`);
        expect(await sh(makeKeyScript())).toBe(pub);
        const rk = newRunKey();
        expect(await sh(unwrapScript(sealTable(rk, [pub])))).toBe(runKeyHex(rk));

        await sh(`rm -f ${D}/seal.key && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ${D}/seal.key 2>/dev/null`);
        const rsa = await sh(makeKeyScript());
        expect(sealKind(rsa)).toBe('rsa');
        const rk2 = newRunKey();
        expect(await sh(unwrapScript(sealTable(rk2, [pub, rsa])))).toBe(runKeyHex(rk2));
      } finally {
        await root.cleanup();
      }
    });
  }
});
