// Duplicate mapping keys. The YAML is parsed with uniqueKeys off so that one pass reports them all, and the
// data keeps the last value of each; here every later occurrence is reported, naming the first.

import { isMap, isSeq, type Node } from 'yaml';
import { keyString, type Finding, type YamlPositions } from './positions.js';
import type { Path } from './problems.js';

/** At each repeated key's node. */
export function duplicateKeys(pos: YamlPositions, node: unknown, path: Path = []): Finding[] {
  const out: Finding[] = [];
  if (isMap(node)) {
    const seen = new Map<string, Node>();
    for (const pair of node.items) {
      const k = keyString(pair.key);
      if (k !== undefined) {
        const first = seen.get(k);
        if (first !== undefined) {
          out.push({ node: pair.key as Node, path: [...path, k], message: `duplicate key "${k}" (first at line ${pos.line(first)})` });
        } else {
          seen.set(k, pair.key as Node);
        }
      }
      out.push(...duplicateKeys(pos, pair.value, [...path, k ?? '?']));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => out.push(...duplicateKeys(pos, item, [...path, i])));
  }
  return out;
}
