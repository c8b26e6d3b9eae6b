// NextToken paging as AWS does it: an opaque token, valid only for the request it came from. The token
// carries the offset and a digest of the request (without NextToken/MaxResults); replaying it with other
// filters, or sending garbage, is an invalid token, which the caller maps to the service's own error.
import { createHash } from 'node:crypto';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

function digest(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex').slice(0, 16);
}

/** Returns the page, or undefined when `token` is not a token this request could have produced. */
export function paginate<T>(items: readonly T[], o: { maxResults: number; token?: string; request: unknown }): Page<T> | undefined {
  let offset = 0;
  const d = digest(o.request);
  if (o.token !== undefined && o.token !== '') {
    const decoded = Buffer.from(o.token, 'base64url').toString('utf8');
    const m = /^lab1:([0-9a-f]{16}):(\d+)$/.exec(decoded);
    if (!m || m[1] !== d) return undefined;
    offset = Number(m[2]);
  }
  const slice = items.slice(offset, offset + o.maxResults);
  const next = offset + slice.length;
  return next < items.length ? { items: slice, nextToken: Buffer.from(`lab1:${d}:${next}`).toString('base64url') } : { items: slice };
}
