/** `items` cut into consecutive slices of at most `size` (SSM's 50 IDs per call, apply's 50 hosts per command). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
