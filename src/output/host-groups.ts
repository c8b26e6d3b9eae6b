// Hosts said once per reason: how every report shows many hosts that share one thing (a unit, a reason, a
// verdict). The groups keep the order they were first seen in; a group's hosts are summarised, the first few
// and "… and N more", or, verbose, every one; either way wrapped to lines of a readable width.

/** Items grouped by key: the groups, and the items in each, in the order first seen. */
export function groupBy<T>(items: Iterable<T>, key: (t: T) => string): T[][] {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const g = m.get(k);
    if (g) g.push(t);
    else m.set(k, [t]);
  }
  return [...m.values()];
}

/** The first `few` of `items` and how many more, when there are more than `max`; all of them otherwise. */
export function firstFew<T>(items: readonly T[], verbose: boolean, max: number, few: number): { shown: T[]; more: number } {
  if (verbose || items.length <= max) return { shown: [...items], more: 0 };
  return { shown: items.slice(0, few), more: items.length - few };
}

/** "[web]", or "[web, db]" for hosts of several groups. */
export function groupsLabel(groups: Iterable<string>): string {
  return `[${[...new Set(groups)].join(', ')}]`;
}

/** Text reports: up to 5 hosts are named, more show the first 3 and "… and N more" on one line. */
const MAX = 5;
const FEW = 3;
const WIDTH = 100;

/** Host lists for the text reports, remembering whether any was shortened (the report then says how to see
 * every host). */
export class HostLists {
  #shortened = false;
  constructor(readonly verbose: boolean) {}

  /** `labels` as lines that start with `indent`: a shortened list on one line, a full one joined with ", "
   * and wrapped at 100 columns. */
  lines(labels: readonly string[], indent: string): string[] {
    const { shown, more } = firstFew(labels, this.verbose, MAX, FEW);
    if (more > 0) {
      this.#shortened = true;
      return [`${indent}${shown.join(', ')} … and ${more} more`];
    }
    const out: string[] = [];
    let line = '';
    for (const [i, l] of shown.entries()) {
      const p = i < shown.length - 1 ? `${l},` : l;
      if (line !== '' && indent.length + line.length + 1 + p.length > WIDTH) {
        out.push(`${indent}${line}`);
        line = p;
      } else line = line === '' ? p : `${line} ${p}`;
    }
    if (line !== '') out.push(`${indent}${line}`);
    return out;
  }

  /** `labels` on one line: the first few and how many more, or every one. */
  inline(labels: readonly string[]): string {
    const { shown, more } = firstFew(labels, this.verbose, MAX, FEW);
    if (more > 0) this.#shortened = true;
    return `${shown.join(', ')}${more > 0 ? ` … and ${more} more` : ''}`;
  }

  /** The last line of a report whose lists were shortened; none otherwise. */
  hint(): string[] {
    return this.#shortened ? ['Host lists are shortened: --verbose lists every host (and --json every detail).'] : [];
  }
}
