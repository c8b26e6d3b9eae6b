// The seal key's cost on the host, for `npm run bench`: what the facts script's first contact pays to make a
// seal key and export its public half (RSA-2048 as before; P-256 as OpenSSL 1.0.2 makes it; X25519), and what
// the apply script pays to open the run key wrapped to it (the processes sf_seal / sf_seal_ecdh run). Measured
// with each root's own openssl: this machine's, and the cached Debian roots (bookworm: OpenSSL 3.0, trixie:
// 3.5) through chroot; an arm64 root runs under qemu-user, whose figures are an emulator's, not a board's.
// Wall time of one `sh -c` per sample, less the median of an empty one (process start-up of sh and chroot),
// median of `runs` samples; and CPU time (the shell's `times`, 10 ms ticks) over `cpuRuns` in a row. The
// machine's load average is given with the figures.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export type SealScheme = 'rsa-2048' | 'p256' | 'x25519';

export interface SealKeyFigure {
  /** "this machine", "bookworm", "trixie", "bookworm-arm64 (qemu)". */
  root: string;
  /** `openssl version` in that root. */
  openssl: string;
  scheme: SealScheme;
  /** Making the key and exporting its public key (DER), ms per key, median; null: this openssl cannot. */
  makeMs: number | null;
  /** Opening the run key (every process the host script runs for it), ms, median; null as above. */
  unwrapMs: number | null;
  /** The same in CPU time (user + system of the processes, from the shell's `times`), ms per operation,
   * averaged over `cpuRuns` in a row: on a loaded machine wall time also counts the wait for a CPU. */
  makeCpuMs: number | null;
  unwrapCpuMs: number | null;
}

export interface SealKeyBench {
  runs: number;
  cpuRuns: number;
  /** os.loadavg() when the bench started and ended. */
  load: { before: number[]; after: number[] };
  figures: SealKeyFigure[];
  /** Roots not measured, and why. */
  skipped: { root: string; reason: string }[];
}

interface Root {
  name: string;
  /** argv prefix that runs `sh -c` in the root */
  sh: string[];
}

const SCHEMES: SealScheme[] = ['rsa-2048', 'p256', 'x25519'];

/** The key as facts.sh makes it (templates/host/facts.sh), in $1; the work directory is $2. */
const MAKE: Record<SealScheme, string> = {
  'rsa-2048': 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1/k.pem" 2>/dev/null',
  p256: 'openssl ecparam -name prime256v1 -genkey -noout -out "$1/k.pem" 2>/dev/null',
  x25519: 'openssl genpkey -algorithm X25519 -out "$1/k.pem" 2>/dev/null',
};
const EXPORT = 'openssl pkey -in "$1/k.pem" -pubout -outform DER -out "$1/k.der" 2>/dev/null';

/** Run once before the unwrap samples: a run key wrapped to k.pem as the controller would (RSA-OAEP, or an
 * ephemeral key of the same curve for ECDH), made with the root's own openssl. */
const PREPARE: Record<SealScheme, string> = {
  'rsa-2048': 'head -c 80 /dev/urandom | openssl pkeyutl -encrypt -inkey "$1/k.pem" -pkeyopt rsa_padding_mode:oaep | base64 | tr -d "\\n" >"$1/wrap"',
  p256: 'openssl ecparam -name prime256v1 -genkey -noout -out "$1/e.pem" && openssl pkey -in "$1/e.pem" -pubout -out "$1/peer.pem"',
  x25519: 'openssl genpkey -algorithm X25519 -out "$1/e.pem" && openssl pkey -in "$1/e.pem" -pubout -out "$1/peer.pem"',
};

/** What the apply script runs to open the run key (templates/host/converge.sh): RSA: the key's id from openssl
 * (a key made before the ECDH seal has no first line) and the OAEP decryption; ECDH: derive and hash (the id is
 * read from the key's first line, the XOR is shell arithmetic). */
const RSA_UNWRAP =
  'id=$(openssl pkey -in "$1/k.pem" -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-16); ' +
  'k=$(base64 -d <"$1/wrap" | openssl pkeyutl -decrypt -inkey "$1/k.pem" -pkeyopt rsa_padding_mode:oaep 2>/dev/null | od -An -v -tx1 | tr -d " \\n"); [ ${#k} -eq 160 ]';
const ECDH_UNWRAP =
  'ks=$({ openssl pkeyutl -derive -inkey "$1/k.pem" -peerkey "$1/peer.pem" 2>/dev/null && printf "stns-fleet-seal label"; } | sha512sum); [ ${#ks} -gt 128 ]';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function sh(root: Root, script: string, dir: string): { ok: boolean; out: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(root.sh[0]!, [...root.sh.slice(1), script, 'sh', dir, dir], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), ms: performance.now() - t0 };
}

function samples(root: Root, script: string, dir: string, runs: number, baseline: number): number | null {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = sh(root, script, dir);
    if (!r.ok) return null;
    ms.push(r.ms);
  }
  return Math.max(0, Math.round((median(ms) - baseline) * 100) / 100);
}

/** CPU ms per run of `script`, run `n` times in one shell: its children's user + system time (`times`). */
function cpuMs(root: Root, script: string, dir: string, n: number): number | null {
  const r = sh(root, `i=0; while [ "$i" -lt ${n} ]; do ${script} || exit 1; i=$((i + 1)); done; times`, dir);
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(r.out.split('\n').pop() ?? '');
  if (!r.ok || !m) return null;
  const seconds = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
  return Math.round((seconds * 1000 * 100) / n) / 100;
}

function cacheDir(): string {
  return process.env['STNS_FLEET_CACHE'] ?? path.join(process.env['HOME'] ?? '/root', '.cache/stns-fleet');
}

function roots(skipped: SealKeyBench['skipped']): Root[] {
  const found: Root[] = [{ name: 'this machine', sh: ['sh', '-c'] }];
  const asRoot = process.getuid?.() === 0;
  for (const [name, dir] of [
    ['bookworm', 'bookworm/rootfs'],
    ['trixie', 'trixie/rootfs'],
    ['bookworm-arm64 (qemu)', 'bookworm-arm64/rootfs'],
  ] as const) {
    const tree = path.join(cacheDir(), dir);
    if (!existsSync(path.join(tree, 'usr/bin/openssl'))) skipped.push({ root: name, reason: `not cached (${tree})` });
    else if (!asRoot) skipped.push({ root: name, reason: 'chroot needs root' });
    else found.push({ name, sh: ['chroot', tree, '/bin/sh', '-c'] });
  }
  return found;
}

/** Per root and scheme: ms to make a seal key (and export its public key), and ms to open a run key with it. */
export async function benchSealKeys(runs = 7, cpuRuns = 20): Promise<SealKeyBench> {
  const before = loadavg();
  const skipped: SealKeyBench['skipped'] = [];
  const figures: SealKeyFigure[] = [];
  for (const root of roots(skipped)) {
    // a scratch directory inside the root (removed at the end): /tmp there
    const mk = sh(root, 'mktemp -d /tmp/sf-seal-bench.XXXXXX', '');
    if (!mk.ok) {
      skipped.push({ root: root.name, reason: 'cannot make a scratch directory' });
      continue;
    }
    const dir = mk.out;
    try {
      const openssl = sh(root, 'openssl version', dir).out;
      const empty: number[] = [];
      for (let i = 0; i < runs; i++) empty.push(sh(root, ':', dir).ms);
      const baseline = median(empty);
      for (const scheme of SCHEMES) {
        const make = `${MAKE[scheme]} && ${EXPORT}`;
        const makeMs = samples(root, make, dir, runs, baseline);
        const makeCpuMs = makeMs === null ? null : cpuMs(root, make, dir, cpuRuns);
        let unwrapMs: number | null = null;
        let unwrapCpuMs: number | null = null;
        if (makeMs !== null && sh(root, PREPARE[scheme], dir).ok) {
          const unwrap = scheme === 'rsa-2048' ? RSA_UNWRAP : ECDH_UNWRAP;
          unwrapMs = samples(root, unwrap, dir, runs, baseline);
          unwrapCpuMs = unwrapMs === null ? null : cpuMs(root, unwrap, dir, cpuRuns);
        }
        figures.push({ root: root.name, openssl, scheme, makeMs, unwrapMs, makeCpuMs, unwrapCpuMs });
      }
    } finally {
      sh(root, 'rm -rf "$1"', dir);
    }
  }
  return { runs, cpuRuns, load: { before, after: loadavg() }, figures, skipped };
}
