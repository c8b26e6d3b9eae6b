// The lab's STNS v2 API server, answering as the real STNS server (STNS/STNS) and Serverless STNS (API Gateway +
// Lambda + DynamoDB) answer libnss-stns-v2 and stns-key-wrapper (../shared/upstream/README.md outside the repository, docs/reference/stns-client.md):
//   GET /v1/users, /v1/users?name=N, /v1/users?id=I, /v1/groups, /v1/groups?name=N, /v1/groups?id=I
//     200 and a JSON array (the full list, or the one match); 404 {"message":"Not Found"} when nothing matches;
//     400 for an id that is not a number or a query key other than name/id; 405 for a method other than GET.
//   `Authorization: token <t>`: 401 {"message":"Unauthorized"} without a token the server knows.
//   Per-token authorization, as Serverless STNS's custom authorizer table: each token lists the users and the
//     groups it may see (an empty list: all of them). A user or group a token may not see does not exist for
//     that token: it is missing from the lists, answers 404 by name and by id, and is left out of the members of
//     the groups the token does see. The web and Pi tokens of the lab's default directory see different users.
//   Range headers in canonical case, as Go's net/http writes them and as libnss reads them (strcmp, so case
//     matters): `User-Highest-Id` / `User-Lowest-Id` on /users answers, `Group-Highest-Id` / `Group-Lowest-Id`
//     on /groups answers, over what the token may see, and left out when that is empty (the real server leaves
//     them out when they would be 0; libnss then skips no by-id query).
// Tokens are rotated by name (setToken): the old value is refused from then on; the access list stays.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StnsUser {
  id: number;
  name: string;
  password: string;
  group_id: number;
  directory: string;
  shell: string;
  gecos: string;
  keys: string[];
}

export interface StnsGroup {
  id: number;
  name: string;
  users: string[];
}

/** What one token may see: user and group names; an empty list means all of them. */
export interface StnsAccess {
  users: string[];
  groups: string[];
}

/** A token the server accepts: its name (the lab's are `web` and `pi`), its value and what it may see. */
export interface StnsToken extends StnsAccess {
  name: string;
  value: string;
}

export interface StnsDirectory {
  users: StnsUser[];
  groups: StnsGroup[];
  /** Access lists by token name. A token the directory does not list sees everything. `value` is the token
   * itself when the directory fixes it (for `web` and `pi` the lab's own tokens are used otherwise). */
  access: Record<string, StnsAccess & { value?: string }>;
}

export interface StnsStats {
  requests: number;
  unauthorized: number;
  notFound: number;
}

/** One request as the server saw it (the last LOG_MAX are kept). */
export interface StnsRequestRecord {
  method: string;
  /** Path and query, e.g. /v1/users?name=alice. */
  url: string;
  /** The name of the token that authorised it, or null (401). Never the token's value. */
  token: string | null;
  status: number;
  userAgent: string;
}

const LOG_MAX = 2000;

export const ALL_ACCESS: StnsAccess = Object.freeze({ users: [], groups: [] }) as StnsAccess;

export class StnsServer {
  readonly stats: StnsStats = { requests: 0, unauthorized: 0, notFound: 0 };
  private server: Server | undefined;
  private byValue = new Map<string, StnsToken>();
  private byName = new Map<string, StnsToken>();
  private log: StnsRequestRecord[] = [];

  constructor(
    readonly directory: { users: StnsUser[]; groups: StnsGroup[] },
    tokens: StnsToken[],
  ) {
    for (const t of tokens) this.addToken(t);
  }

  private addToken(t: StnsToken): void {
    if (t.value === '') throw new Error(`STNS token "${t.name}" must not be empty`);
    const other = this.byValue.get(t.value);
    if (other && other.name !== t.name) throw new Error(`STNS tokens "${other.name}" and "${t.name}" have the same value`);
    const copy = { ...t, users: [...t.users], groups: [...t.groups] };
    this.byName.set(t.name, copy);
    this.byValue.set(t.value, copy);
  }

  /** Rotates the token `name`: `value` is accepted from now on, its previous value is refused (401). */
  setToken(name: string, value: string): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no STNS token named "${name}"`);
    this.byValue.delete(t.value);
    this.addToken({ ...t, value });
  }

  /** The tokens in force (values included: for the lab's own use). */
  tokens(): StnsToken[] {
    return [...this.byName.values()].map((t) => ({ ...t, users: [...t.users], groups: [...t.groups] }));
  }

  /** What the token `name` may see, as the server answers it: users, and groups with only visible members. */
  visibleTo(name: string): { users: StnsUser[]; groups: StnsGroup[] } {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no STNS token named "${name}"`);
    return this.visible(t);
  }

  /** The requests seen, oldest first (the last 2000). */
  requests(): StnsRequestRecord[] {
    return [...this.log];
  }

  async listen(port: number): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server!.close(r));
  }

  private visible(t: StnsAccess): { users: StnsUser[]; groups: StnsGroup[] } {
    const users = t.users.length === 0 ? this.directory.users : this.directory.users.filter((u) => t.users.includes(u.name));
    const names = new Set(users.map((u) => u.name));
    const groups = (t.groups.length === 0 ? this.directory.groups : this.directory.groups.filter((g) => t.groups.includes(g.name))).map((g) => ({
      ...g,
      users: g.users.filter((n) => names.has(n)),
    }));
    return { users, groups };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.stats.requests++;
    const record: StnsRequestRecord = { method: req.method ?? '', url: req.url ?? '', token: null, status: 0, userAgent: req.headers['user-agent'] ?? '' };
    this.log.push(record);
    if (this.log.length > LOG_MAX) this.log.splice(0, this.log.length - LOG_MAX);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      if (status === 404) this.stats.notFound++;
      // Header names exactly as written here: Node keeps their case on the wire.
      res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', ...headers });
      res.end(`${JSON.stringify(body)}\n`);
    };
    const auth = /^token\s+(.+?)\s*$/.exec(req.headers.authorization ?? '');
    const token = auth ? this.byValue.get(auth[1]!) : undefined;
    if (!token) {
      this.stats.unauthorized++;
      send(401, { message: 'Unauthorized' }, { 'Www-Authenticate': 'token realm=Restricted' });
      return;
    }
    record.token = token.name;
    const url = new URL(req.url ?? '/', 'http://stns');
    const kind = /^\/v1\/(users|groups)\/?$/.exec(url.pathname)?.[1] as 'users' | 'groups' | undefined;
    if (!kind) {
      send(404, { message: 'Not Found' });
      return;
    }
    if (req.method !== 'GET') {
      send(405, { message: 'Method Not Allowed' }, { Allow: 'GET' });
      return;
    }
    const seen = this.visible(token);
    const all: { id: number; name: string }[] = seen[kind];
    const ids = all.map((x) => x.id).filter((id) => id !== 0);
    const prefix = kind === 'users' ? 'User' : 'Group';
    const range: Record<string, string> = ids.length === 0 ? {} : { [`${prefix}-Highest-Id`]: String(Math.max(...ids)), [`${prefix}-Lowest-Id`]: String(Math.min(...ids)) };
    let name: string | undefined;
    let id: number | undefined;
    for (const [k, v] of url.searchParams) {
      if (k === 'name') name = v;
      else if (k === 'id') {
        if (!/^-?\d+$/.test(v)) {
          send(400, { message: `strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax` }, range);
          return;
        }
        id = Number(v);
      } else {
        send(400, { message: `unknown query parameter ${k}` }, range);
        return;
      }
    }
    const found = all.filter((x) => (name === undefined || x.name === name) && (id === undefined || x.id === id));
    if (found.length === 0 && (name !== undefined || id !== undefined)) send(404, { message: 'Not Found' }, range);
    else send(200, found, range);
  }
}
