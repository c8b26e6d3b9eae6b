// Where a field is in the YAML text: from a path (['groups', 'web', 'targets', 1]) to the node it names, and
// from a node to its line:col. Every problem is reported at such a position.

import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { Path } from './problems.js';

/** What a check found, at the YAML node to point at. */
export interface Finding {
  node: Node | null;
  path: Path;
  message: string;
}

interface Located {
  found: boolean;
  /** When not found: the deepest node that exists on the way (the mapping that lacks the key). */
  parent: Node | null;
  key: Node | null;
  node: Node | null;
}

export class YamlPositions {
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
  ) {}

  /** 1-based line and column of a node; 1:1 (the document) when there is none. */
  pos(node: Node | null | undefined): { line: number; col: number } {
    const off = node?.range?.[0];
    return off === undefined ? { line: 1, col: 1 } : this.lc.linePos(off);
  }

  line(node: Node | null | undefined): number {
    return this.pos(node).line;
  }

  /** The YAML nodes along `path`. */
  locate(path: Path): Located {
    let cur: Node | null = this.doc.contents as Node | null;
    let key: Node | null = null;
    for (const seg of path) {
      if (cur !== null && isAlias(cur)) cur = (cur.resolve(this.doc) as Node | undefined) ?? null;
      if (cur !== null && isMap(cur)) {
        const pair = lastPair(cur.items, String(seg));
        if (pair === undefined) return { found: false, parent: cur, key: null, node: null };
        key = (pair.key as Node | null) ?? null;
        cur = (pair.value as Node | null) ?? null;
      } else if (cur !== null && isSeq(cur) && typeof seg === 'number') {
        const item = cur.items[seg] as Node | undefined;
        if (item === undefined) return { found: false, parent: cur, key: null, node: null };
        key = null;
        cur = item;
      } else {
        return { found: false, parent: cur, key: null, node: null };
      }
    }
    return { found: true, parent: null, key, node: cur };
  }

  /** Where to point for a value: the value node, or its key when the value is empty (`key:`). */
  valueNode(path: Path): Node | null {
    const l = this.locate(path);
    if (!l.found) return l.parent;
    const v = l.node;
    if (v === null || (isScalar(v) && v.value === null && (v.range == null || v.range[0] === v.range[1]))) {
      return l.key ?? v;
    }
    return v;
  }

  /** Where to point for a key (an unknown or invalid one). */
  keyNode(path: Path): Node | null {
    const l = this.locate(path);
    return l.found ? (l.key ?? l.node) : l.parent;
  }
}

/** A mapping key as the parsed data holds it; undefined for a complex (non-scalar) key. */
export function keyString(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return undefined;
}

/** Last pair with this key: with duplicate keys, the last one is what the parsed data holds. */
function lastPair(items: readonly unknown[], key: string) {
  let found: { key: unknown; value: unknown } | undefined;
  for (const p of items) if (isPair(p) && keyString(p.key) === key) found = p;
  return found;
}
