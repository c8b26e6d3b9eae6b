// A small STNS v2 API server (stns-client.md): GET /v1/users, /v1/users?name=, ?id=, /v1/groups, ?name=, ?id=,
// answering JSON arrays as libnss-stns and stns-key-wrapper expect, 404 when nothing matches, 401 without a
// valid `Authorization: token …` (the lab has one token for EC2 hosts and one for Pis; both are accepted;
// setTokens replaces them, as a token rotation on the real server: the old value is refused from then on).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Rng } from './random.js';

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

export interface StnsStats {
  requests: number;
  unauthorized: number;
}

export function labDirectory(seed: string | number): { users: StnsUser[]; groups: StnsGroup[] } {
  const rng = new Rng(seed, 'stns-keys');
  const user = (id: number, name: string, gecos: string, keys: string[]): StnsUser => ({
    id, name, password: '', group_id: id, directory: `/home/${name}`, shell: '/bin/bash', gecos, keys,
  });
  const users = [
    user(2001, 'alice', 'Alice Lab', [rng.sshEd25519('alice@lab')]),
    user(2002, 'bob', 'Bob Lab', [rng.sshEd25519('bob@laptop'), rng.sshEd25519('bob@desktop')]),
    user(2003, 'carol', 'Carol Lab (no keys)', []),
  ];
  const groups: StnsGroup[] = [
    ...users.map((u) => ({ id: u.id, name: u.name, users: [u.name] })),
    { id: 3000, name: 'ops', users: ['alice', 'bob'] },
  ];
  return { users, groups };
}

export class StnsServer {
  readonly stats: StnsStats = { requests: 0, unauthorized: 0 };
  private server: Server | undefined;
  private tokens: Set<string>;

  constructor(
    readonly directory: { users: StnsUser[]; groups: StnsGroup[] },
    tokens: string[],
  ) {
    this.tokens = new Set(tokens);
  }

  /** The tokens accepted from now on (every other one, the previous ones included, gets 401). */
  setTokens(tokens: string[]): void {
    this.tokens = new Set(tokens);
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

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.stats.requests++;
    const send = (status: number, body: unknown): void => {
      const ids = (xs: { id: number }[]): number[] => xs.map((x) => x.id);
      res.writeHead(status, {
        'content-type': 'application/json',
        'user-highest-id': String(Math.max(...ids(this.directory.users))),
        'user-lowest-id': String(Math.min(...ids(this.directory.users))),
        'group-highest-id': String(Math.max(...ids(this.directory.groups))),
        'group-lowest-id': String(Math.min(...ids(this.directory.groups))),
      });
      res.end(JSON.stringify(body));
    };
    const auth = /^token\s+(.+)$/.exec(req.headers.authorization ?? '');
    if (!auth || !this.tokens.has(auth[1]!)) {
      this.stats.unauthorized++;
      send(401, { message: 'Unauthorized' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://stns');
    const kind = /^\/v1\/(users|groups)\/?$/.exec(url.pathname)?.[1];
    if (req.method !== 'GET' || !kind) {
      send(404, { message: 'Not Found' });
      return;
    }
    const all: { id: number; name: string }[] = kind === 'users' ? this.directory.users : this.directory.groups;
    const name = url.searchParams.get('name');
    const id = url.searchParams.get('id');
    const found = all.filter((x) => (name === null || x.name === name) && (id === null || String(x.id) === id));
    if (found.length === 0) send(404, { message: 'Not Found' });
    else send(200, found);
  }
}
