// The EC2 query protocol's request side: a form body (Action=…&Version=…&Filter.1.Name=…&Filter.1.Value.1=…)
// read into lists the way EC2 numbers them (1-based, possibly sparse, ordered by number).

export class QueryParams {
  constructor(private readonly p: URLSearchParams) {}

  static parse(body: string): QueryParams {
    return new QueryParams(new URLSearchParams(body));
  }

  get(key: string): string | undefined {
    return this.p.get(key) ?? undefined;
  }

  /** Values of `Prefix.N` in N order. */
  list(prefix: string): string[] {
    return this.indexes(prefix).map((n) => this.p.get(`${prefix}.${n}`)!).filter((v) => v !== null);
  }

  /** The numbers N for which some `Prefix.N` or `Prefix.N.…` key exists, sorted. */
  indexes(prefix: string): number[] {
    const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)(\\.|$)`);
    const set = new Set<number>();
    for (const k of this.p.keys()) {
      const m = re.exec(k);
      if (m) set.add(Number(m[1]));
    }
    return [...set].sort((a, b) => a - b);
  }

  /** `Filter.N.Name` / `Filter.N.Value.M` → [{ name, values }]. */
  filters(): { name: string; values: string[] }[] {
    return this.indexes('Filter').map((n) => ({ name: this.get(`Filter.${n}.Name`) ?? '', values: this.list(`Filter.${n}.Value`) }));
  }

  /** `Tag.N.Key` / `Tag.N.Value`. */
  tags(): { key: string; value: string | undefined }[] {
    return this.indexes('Tag').map((n) => ({ key: this.get(`Tag.${n}.Key`) ?? '', value: this.get(`Tag.${n}.Value`) }));
  }
}
