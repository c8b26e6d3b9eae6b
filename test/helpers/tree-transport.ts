// A transport for tests that runs each script for real with /bin/sh on directory trees laid out like a
// host's / (STNS_FLEET_ROOT), with tiny stand-ins for the host's sshd and package tools on PATH. It is the
// one FakeTransport (fake-transport.ts) with that answer: it records every request, so tests can assert what
// would have reached SSM.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { profileById } from '../../src/profiles/index.js';
import { STOCK_DIR } from '../../src/render/stock.js';
import { runSh } from './sh.js';
import type { RunRequest } from '../../src/transport/types.js';
import { FakeTransport, onlineEc2, ran, type Outcome } from './fake-transport.js';

const STANDINS: Record<string, string> = {
  // sshd -t accepts; sshd -T [-o OPT]… prints the first AuthorizedKeysCommand: -o options, then drop-ins, then sshd_config.
  sshd: [
    '#!/bin/sh',
    '[ "$1" = -T ] || exit 0',
    'shift',
    'for a; do case "$a" in [Aa]uthorized[Kk]eys[Cc]ommand\\ *|[Aa]uthorized[Kk]eys[Cc]ommand=*) printf "authorizedkeyscommand %s\\n" "${a#*[ =]}"; exit 0;; esac; done',
    'R="$STNS_FLEET_ROOT"',
    'v=$(cat "$R"/etc/ssh/sshd_config.d/*.conf "$R/etc/ssh/sshd_config" 2>/dev/null | awk \'tolower($1) == "authorizedkeyscommand" { $1 = ""; sub(/^ /, ""); print; exit }\')',
    'echo "authorizedkeyscommand ${v:-none}"',
    '',
  ].join('\n'),
  // dpkg-query [--admindir=DIR] -W -f='${Package} ${Status}\n' PKG... (or -f='${Status}': the status alone)
  'dpkg-query': [
    '#!/bin/sh',
    'f="$STNS_FLEET_ROOT/var/lib/test-installed"',
    "fmt='${Status}'",
    'for a; do case "$a" in -f=*) fmt=${a#-f=} ;; esac; done',
    'for p; do',
    '\tcase "$p" in -*) continue ;; esac',
    '\t[ -f "$f" ] && grep -qx "$p" "$f" || continue',
    "\tcase \"$fmt\" in *'${Package}'*) printf '%s install ok installed\\n' \"$p\" ;; *) echo 'install ok installed' ;; esac",
    'done',
    'exit 0',
    '',
  ].join('\n'),
  // Never let a test install on the machine running it.
  'apt-get': '#!/bin/sh\necho "E: apt-get is a test stand-in: no packages here" >&2\nexit 100\n',
  dpkg: '#!/bin/sh\necho amd64\n',
};

export interface TreeHost {
  id: string;
  root: string;
}

/** A test's own answer for some requests; undefined: the script runs on the tree. */
export type TreeOverride = (id: string, req: RunRequest) => Outcome | undefined;

/** The one fake transport, answering each host by running the script on its tree (the hosts are online EC2 instances). */
export class TreeTransport extends FakeTransport {
  constructor(
    readonly hosts: TreeHost[],
    bin: string,
    override?: TreeOverride,
  ) {
    super({
      hosts: hosts.map((h) => onlineEc2(h.id)),
      answer: async (id, req) => {
        const mine = override?.(id, req);
        if (mine) return mine;
        const h = hosts.find((x) => x.id === id)!;
        const r = await runSh(req.script, { ...process.env, STNS_FLEET_ROOT: h.root, PATH: `${bin}:${process.env['PATH']}`, AWS_SSM_INSTANCE_ID: id });
        return ran(r.stdout, r.code, r.stderr);
      },
    });
  }
}

/** Directory hosts seeded from an OS profile's stock files, plus the stand-ins' bin directory. */
export function treeHosts(osIds: string[], o: { installed?: boolean } = {}): { dir: string; bin: string; hosts: TreeHost[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sf-tree-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, body] of Object.entries(STANDINS)) {
    writeFileSync(path.join(bin, name), body);
    chmodSync(path.join(bin, name), 0o755);
  }
  const hosts = osIds.map((os, i) => {
    const id = `i-${String(i + 1).padStart(17, '0')}`;
    const root = path.join(dir, id);
    const p = profileById(os);
    for (const layer of p.stockLayers(p.defaultArch)) cpSync(path.join(STOCK_DIR, layer), root, { recursive: true });
    if (os === 'raspberry-pi-os') writeFileSync(path.join(root, 'etc/rpi-issue'), 'Raspberry Pi reference 2024-11-19\n');
    if (o.installed ?? true) {
      mkdirSync(path.join(root, 'var/lib'), { recursive: true });
      writeFileSync(path.join(root, 'var/lib/test-installed'), 'libnss-stns-v2\ncache-stnsd\n');
    }
    return { id, root };
  });
  return { dir, bin, hosts };
}
