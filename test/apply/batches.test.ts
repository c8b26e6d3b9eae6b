import { describe, expect, test } from 'vitest';
import { batchesFor } from '../../src/apply/batches.js';

// A script like apply's: a fixed body and one line per host (its sealed run key).
const scriptFor = (body: number) => (hosts: string[]): string => `${'x'.repeat(body)}\n${hosts.map((h) => `sf_seal_ecdh ${h} ${'0'.repeat(128)}`).join('\n')}`;
const hosts = (n: number): string[] => Array.from({ length: n }, (_, i) => `i-${String(i).padStart(17, '0')}`);

describe('batchesFor', () => {
  test('at most 50 hosts per command, every host once, in order', () => {
    const b = batchesFor(hosts(120), scriptFor(100));
    expect(b.map((x) => x.hosts.length)).toEqual([50, 50, 20]);
    expect(b.flatMap((x) => x.hosts)).toEqual(hosts(120));
  });

  test('a batch whose script would outgrow the cap is cut into as few even batches as fit', () => {
    const cap = 4000;
    const b = batchesFor(hosts(50), scriptFor(1000), cap);
    // 1001 bytes of body and 162 per host line: 18 hosts fit in 4000 bytes, so 50 hosts take 3 commands
    // (halving took 4: 13, 12, 13, 12).
    expect(b.map((x) => x.hosts.length)).toEqual([17, 17, 16]);
    for (const x of b) {
      expect(Buffer.byteLength(x.script)).toBeLessThanOrEqual(cap);
      expect(x.script).toBe(scriptFor(1000)(x.hosts));
    }
    expect(b.flatMap((x) => x.hosts)).toEqual(hosts(50));
  });

  test('one host whose script alone is over the cap is an error, not a command AWS would refuse', () => {
    expect(() => batchesFor(hosts(1), scriptFor(5000), 4000)).toThrow(/over the 4000 one command may carry/);
  });
});
