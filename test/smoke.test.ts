import { expect, test } from 'vitest';
test('node version', () => { expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22); });
