// The lab command as a user meets it: --os takes the inventory's os: names, the banner shows every fault it was
// given and which inventory reaches its STNS server, GET /_lab/info tells a client the same, and
// --write-inventory writes the shipped inventory with the lab's actual endpoint.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OS_PROFILE_IDS } from 'stns-fleet';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { banner, optionsFromArgs } from '../src/cli.js';
import { LAB_INVENTORY } from '../src/inventory.js';
import { startLab } from '../src/lab.js';
import { resolveOptions } from '../src/options.js';

const work = mkdtempSync(path.join(tmpdir(), 'lab-cli-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const resolved = (...argv: string[]) => resolveOptions(optionsFromArgs(argv));

describe('--os: the inventory os: names', () => {
  test('every profile ID is accepted alone; raspberry-pi-os alone makes every host a Pi', () => {
    for (const os of OS_PROFILE_IDS) expect(resolved('--hosts', '3', '--os', os).os, os).toEqual(os === 'raspberry-pi-os' ? [] : [os]);
    expect(resolved('--hosts', '4', '--os', 'raspberry-pi-os')).toMatchObject({ hosts: 4, pis: 4 });
    expect(resolved('--hosts', '5', '--os', 'debian-12,raspberry-pi-os')).toMatchObject({ pis: 1, os: ['debian-12'] });
  });

  test('auto (what an inventory writes for "detect it") is the default, every profile; names outside the list are refused', () => {
    const dflt = resolved('--hosts', '12');
    expect(resolved('--hosts', '12', '--os', 'auto')).toMatchObject({ os: dflt.os, pis: dflt.pis });
    expect(() => resolved('--os', 'auto,debian-12')).toThrow(/"auto" means every profile: name it alone/);
    expect(() => resolved('--os', 'raspbian')).toThrow(/unknown OS "raspbian": known are amazon-linux-2, .*raspberry-pi-os, or auto/);
  });

  test('a lab of raspberry-pi-os only: managed nodes, every one a Pi', async () => {
    const lab = await startLab({ ...optionsFromArgs(['--port', '0', '--stns-port', '0', '--hosts', '2', '--os', 'raspberry-pi-os']) });
    try {
      expect(lab.hosts.map((h) => [h.kind, h.os])).toEqual([
        ['managed', 'raspberry-pi-os'],
        ['managed', 'raspberry-pi-os'],
      ]);
    } finally {
      await lab.stop();
    }
  });
});

test('clones=K without --pis on a small lab: one Pi to copy (an explicit --pis 0 is still refused)', () => {
  expect(resolved('--hosts', '6', '--faults', 'clones=3')).toMatchObject({ hosts: 6, pis: 1 });
  expect(resolved('--hosts', '6')).toMatchObject({ pis: 0 });
  expect(() => resolved('--hosts', '6', '--pis', '0', '--faults', 'clones=3')).toThrow(/clones copy the first Raspberry Pi, but the lab has no Pi hosts/);
});

describe('the banner', () => {
  test('every fault of the SPEC, with the hosts that carry it: clones and throttle too, and a fault no host got', async () => {
    const lab = await startLab({ hosts: 4, pis: 1, stnsPort: 0, faults: 'offline=1,slow=25%,timeout=0,clones=3,throttle=20%' });
    try {
      const line = banner(lab).split('\n').find((l) => l.startsWith('  faults:'))!;
      const key = (f: string): string => lab.hosts.find((h) => h.fault === f)!.key;
      const first = lab.hosts.find((h) => h.kind === 'managed' && !h.cloneOf)!.key;
      expect(line).toBe(
        `  faults:       offline=1: ${key('offline')}; slow=25%: ${key('slow')}; timeout=0: no host; clones=3: lab-005, lab-006, lab-007 (copies of ${first}); throttle=20% of API calls`,
      );
    } finally {
      await lab.stop();
    }
    const quiet = await startLab({ hosts: 1, pis: 0, stnsPort: 0 });
    try {
      expect(banner(quiet)).toContain('\n  faults:       none\n');
    } finally {
      await quiet.stop();
    }
  });
});

describe('which inventory reaches the lab\'s STNS server', () => {
  const shipped = readFileSync(LAB_INVENTORY, 'utf8');
  const shippedEndpoint = (parse(shipped) as { stns: { api_endpoint: string } }).stns.api_endpoint;

  test('GET /_lab/info names the STNS server and whether the shipped inventory is pointed at it; --write-inventory writes one that is', async () => {
    const file = path.join(work, 'written.yaml');
    const lab = await startLab({ hosts: 1, pis: 0, stnsPort: 0, writeInventory: file });
    try {
      const info = (await (await fetch(`${lab.endpoint}/_lab/info`)).json()) as ReturnType<typeof lab.info>;
      expect(info).toEqual({
        endpoint: lab.endpoint,
        region: 'us-east-1',
        stnsUrl: lab.stnsEndpoint,
        inventory: { shipped: LAB_INVENTORY, apiEndpoints: [shippedEndpoint], matches: shippedEndpoint === lab.stnsEndpoint, written: [file] },
      });
      expect(shippedEndpoint).toBe('http://127.0.0.1:4567/v1');
      // The written file is the shipped one but for the endpoint: same groups, tokens, pi settings, comments.
      const text = readFileSync(file, 'utf8');
      const doc = parse(text) as { stns: { api_endpoint: string } };
      expect(doc.stns.api_endpoint).toBe(lab.stnsEndpoint);
      expect({ ...doc, stns: { ...doc.stns, api_endpoint: shippedEndpoint } }).toEqual(parse(shipped));
      expect(text).toContain('# one host first, alone, then verified');
      const b = banner(lab, path.dirname(file));
      expect(b).toContain(`  inventory:    written.yaml (written for this lab): stns-fleet plan -i written.yaml\n`);
      if (!info.inventory.matches) {
        expect(b).toContain(`does not match: its api_endpoint is http://127.0.0.1:4567/v1, not this lab's STNS server ${lab.stnsEndpoint}\n`);
      }
    } finally {
      await lab.stop();
    }
  });

  test('STNS on 4567 when it is free, any free port when it is taken (then the banner says the shipped inventory does not match)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    try {
      await expect(startLab({ hosts: 0, pis: 0, stnsPort: taken })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      const lab = await startLab({ hosts: 0, pis: 0, stnsPort: taken, stnsPortFallback: true });
      try {
        expect(new URL(lab.stnsEndpoint).port).not.toBe(String(taken));
        expect(lab.info().inventory.matches).toBe(false);
        expect(banner(lab)).toMatch(/does not match: .*; start the lab with --write-inventory FILE and use FILE\n/);
      } finally {
        await lab.stop();
      }
    } finally {
      blocker.close();
    }
    // The lab command's own choice: 4567, unless something else holds it on this machine.
    const lab = await startLab({ ...optionsFromArgs(['--port', '0', '--hosts', '0', '--pis', '0']) });
    try {
      const on4567 = new URL(lab.stnsEndpoint).port === '4567';
      expect(lab.info().inventory.matches).toBe(on4567);
      if (on4567) expect(banner(lab)).toMatch(/inventory: +\S*inventories\/lab\.yaml names this STNS server: stns-fleet plan -i /);
    } finally {
      await lab.stop();
    }
  });

  test('npm run lab -- --port N --write-inventory FILE: the banner names FILE, FILE names the server the banner names; Ctrl-C ends it', async () => {
    const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
    const file = path.join(work, 'from-cli.yaml');
    const child = spawn(process.execPath, [main, '--port', '0', '--hosts', '1', '--pis', '0', '--write-inventory', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const bannerShown = new Promise<void>((resolve) =>
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('Ctrl-C stops the lab')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await Promise.race([bannerShown, exited]);
    child.kill('SIGINT');
    expect(await exited, out).toBe(0);
    const stns = /^export STNS_LAB_ENDPOINT=(\S+)$/m.exec(out)?.[1];
    expect(stns, out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(out).toContain(`(written for this lab): stns-fleet plan -i `);
    expect((parse(readFileSync(file, 'utf8')) as { stns: { api_endpoint: string } }).stns.api_endpoint).toBe(stns);
  });
});
