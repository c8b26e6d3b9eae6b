// Aligned columns for the reports that list hosts or boards (hosts, reactivate, tag): two spaces between
// columns, the last one unpadded, no trailing blanks.
export function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd()).join('\n');
}
