// A little XML for EC2 responses: elements built from nested arrays, text escaped.

export type Node = string | number | boolean | undefined | Element | Node[];
export interface Element {
  tag: string;
  attrs?: Record<string, string>;
  children: Node[];
}

export function el(tag: string, ...children: Node[]): Element {
  return { tag, children };
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function render(n: Node): string {
  if (n === undefined) return '';
  if (Array.isArray(n)) return n.map(render).join('');
  if (typeof n !== 'object') return escapeXml(String(n));
  const attrs = Object.entries(n.attrs ?? {}).map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
  const inner = render(n.children);
  return inner === '' ? `<${n.tag}${attrs}/>` : `<${n.tag}${attrs}>${inner}</${n.tag}>`;
}

export function document(root: Element): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(root)}`;
}
