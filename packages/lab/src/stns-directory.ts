// What the lab's STNS server serves: users, groups, and per token the users and groups it may see (the custom
// authorizer table of Serverless STNS). The default is drawn from the seed; `--stns-users FILE` (LabOptions
// stnsDirectory) replaces it with the user's own, JSON or YAML:
//
//   users:                       # a list, or a map by name (as the STNS server's [users.NAME] tables)
//     - name: alice              # letters, digits, - and _; starts with a letter; at most 32 characters
//       id: 2001                 # uid, a whole number >= 1
//       group_id: 2001           # default: id
//       directory: /home/alice   # default: /home/NAME
//       shell: /bin/bash         # default: /bin/bash
//       gecos: Alice             # default: ''
//       keys: [ "ssh-ed25519 AAAAC3… alice@laptop" ]   # OpenSSH public key lines; default none
//   groups:                      # a list, or a map by name
//     - { name: ops, id: 3000, users: [alice] }
//   tokens:                      # optional; a token not listed sees everything
//     web: { users: [], groups: [] }                  # empty lists: all users / all groups
//     pi:  { users: [alice], groups: [alice, ops] }
//     ci:  { value: "s3cret", users: [alice] }        # more tokens: `value` required (web/pi: optional)
//
// Every mistake is reported with the file and the field (`users[1].keys[0]: …`), all of them at once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Rng } from './random.js';
import type { StnsAccess, StnsDirectory, StnsGroup, StnsUser } from './stns-server.js';

export class StnsDirectoryError extends Error {}

/** STNS's own rule for user and group names (libnss `is_valid_username`). */
const NAME_RE = /^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/;
const TOKEN_NAME_RE = /^[a-z][a-z0-9_-]*$/;
const KEY_RE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)(-cert-v01@openssh\.com)? [A-Za-z0-9+/]+={0,2}( [^\r\n]*)?$/;

/** The lab's built-in directory. The web token (EC2 hosts) sees everyone; the Pi token does not see dave (a
 * database admin of the EC2 hosts), and the web token does not see erin (who looks after the Raspberry Pis). */
export function labDirectory(seed: string | number): StnsDirectory {
  const rng = new Rng(seed, 'stns-keys');
  const user = (id: number, name: string, gecos: string, keys: string[]): StnsUser => ({
    id, name, password: '', group_id: id, directory: `/home/${name}`, shell: '/bin/bash', gecos, keys,
  });
  // Keys drawn in this order: adding a user at the end keeps everyone else's keys.
  const users = [
    user(2001, 'alice', 'Alice Lab', [rng.sshEd25519('alice@lab')]),
    user(2002, 'bob', 'Bob Lab', [rng.sshEd25519('bob@laptop'), rng.sshEd25519('bob@desktop')]),
    user(2003, 'carol', 'Carol Lab (no keys)', []),
    user(2004, 'dave', 'Dave Lab (EC2 hosts only)', [rng.sshEd25519('dave@lab')]),
    user(2005, 'erin', 'Erin Lab (Raspberry Pis only)', [rng.sshEd25519('erin@lab')]),
  ];
  const groups: StnsGroup[] = [
    ...users.map((u) => ({ id: u.id, name: u.name, users: [u.name] })),
    { id: 3000, name: 'ops', users: ['alice', 'bob'] },
    { id: 3001, name: 'dba', users: ['dave'] },
    { id: 3002, name: 'pi-admins', users: ['erin', 'alice'] },
  ];
  return {
    users,
    groups,
    access: {
      web: { users: ['alice', 'bob', 'carol', 'dave'], groups: ['alice', 'bob', 'carol', 'dave', 'ops', 'dba'] },
      pi: { users: ['alice', 'bob', 'carol', 'erin'], groups: ['alice', 'bob', 'carol', 'erin', 'ops', 'pi-admins'] },
    },
  };
}

type Path = (string | number)[];

function fmt(p: Path): string {
  return p.reduce<string>((s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s === '' ? seg : `${s}.${seg}`), '');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v) : JSON.stringify(v) ?? String(v));

class Checker {
  readonly problems: string[] = [];
  add(p: Path, message: string): void {
    this.problems.push(`${p.length > 0 ? `${fmt(p)}: ` : ''}${message}`);
  }
  /** Keys of an object that are not in `known`. */
  unknownKeys(o: Record<string, unknown>, known: string[], p: Path): void {
    for (const k of Object.keys(o)) if (!known.includes(k)) this.add([...p, k], `unknown field (known: ${known.join(', ')})`);
  }
  int(v: unknown, p: Path, min: number): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 4294967294) {
      this.add(p, `must be a whole number >= ${min} (got ${show(v)})`);
      return undefined;
    }
    return v;
  }
  str(v: unknown, p: Path): string | undefined {
    if (typeof v !== 'string') {
      this.add(p, `must be a string (got ${show(v)})`);
      return undefined;
    }
    return v;
  }
  name(v: unknown, p: Path, what: string): string | undefined {
    const s = this.str(v, p);
    if (s !== undefined && !NAME_RE.test(s)) {
      this.add(p, `${show(s)} is not a valid ${what} name (letters, digits, - and _, starting with a letter, at most 32 characters: libnss-stns refuses others without asking)`);
      return undefined;
    }
    return s;
  }
  absolute(v: unknown, p: Path): string | undefined {
    const s = this.str(v, p);
    if (s !== undefined && (!s.startsWith('/') || /[:\n]/.test(s))) {
      this.add(p, `${show(s)} must be an absolute path without ":" or newlines`);
      return undefined;
    }
    return s;
  }
  names(v: unknown, p: Path): string[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.add(p, `must be a list of names (got ${show(v)})`);
      return [];
    }
    return v.map((x, i) => this.str(x, [...p, i])).filter((x): x is string => x !== undefined);
  }
}

/** A list of entries, or a map by name (then each entry's `name` is its key). */
function entries(c: Checker, v: unknown, p: Path): { value: unknown; path: Path }[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map((value, i) => ({ value, path: [...p, i] }));
  if (isObject(v)) {
    return Object.entries(v).map(([name, value]) => {
      if (isObject(value) && value['name'] !== undefined && value['name'] !== name) c.add([...p, name, 'name'], `is ${show(value['name'])} but the entry is keyed ${show(name)}`);
      return { value: isObject(value) ? { ...value, name } : value, path: [...p, name] };
    });
  }
  c.add(p, `must be a list (or a map by name) (got ${show(v)})`);
  return [];
}

/** Checks a parsed directory document; returns it normalised (defaults filled in). `where` names it in errors. */
export function validateDirectory(doc: unknown, where: string): StnsDirectory {
  const c = new Checker();
  const users: StnsUser[] = [];
  const groups: StnsGroup[] = [];
  const access: StnsDirectory['access'] = {};
  if (!isObject(doc)) c.add([], `must be a mapping with users, groups and (optionally) tokens (got ${show(doc)})`);
  else {
    c.unknownKeys(doc, ['users', 'groups', 'tokens'], []);
    if (doc['users'] === undefined) c.add(['users'], 'is missing: list at least one user');
    for (const { value, path: p } of entries(c, doc['users'], ['users'])) {
      if (!isObject(value)) {
        c.add(p, `must be a mapping with name, id, keys, … (got ${show(value)})`);
        continue;
      }
      c.unknownKeys(value, ['name', 'id', 'group_id', 'directory', 'shell', 'gecos', 'password', 'keys'], p);
      const name = value['name'] === undefined ? (c.add([...p, 'name'], 'is missing'), undefined) : c.name(value['name'], [...p, 'name'], 'user');
      const id = value['id'] === undefined ? (c.add([...p, 'id'], 'is missing'), undefined) : c.int(value['id'], [...p, 'id'], 1);
      const groupId = value['group_id'] === undefined ? id : c.int(value['group_id'], [...p, 'group_id'], 0);
      const directory = value['directory'] === undefined ? `/home/${name ?? ''}` : c.absolute(value['directory'], [...p, 'directory']);
      const shell = value['shell'] === undefined ? '/bin/bash' : c.absolute(value['shell'], [...p, 'shell']);
      const gecos = value['gecos'] === undefined ? '' : c.str(value['gecos'], [...p, 'gecos']);
      if (gecos !== undefined && /[:\n]/.test(gecos)) c.add([...p, 'gecos'], 'must not contain ":" or newlines');
      const password = value['password'] === undefined ? '' : c.str(value['password'], [...p, 'password']);
      const keys: string[] = [];
      const rawKeys = value['keys'] === undefined ? [] : value['keys'];
      if (!Array.isArray(rawKeys)) c.add([...p, 'keys'], `must be a list of public key lines (got ${show(rawKeys)})`);
      else {
        rawKeys.forEach((k, i) => {
          const s = c.str(k, [...p, 'keys', i]);
          if (s === undefined) return;
          if (!KEY_RE.test(s.trim())) c.add([...p, 'keys', i], `${show(s)} is not an OpenSSH public key line (expected e.g. "ssh-ed25519 AAAAC3Nza… you@laptop", as in ~/.ssh/id_ed25519.pub)`);
          else keys.push(s.trim());
        });
      }
      if (name === undefined || id === undefined || groupId === undefined || directory === undefined || shell === undefined || gecos === undefined || password === undefined) continue;
      const dupName = users.find((u) => u.name === name);
      if (dupName) c.add([...p, 'name'], `user ${show(name)} is listed twice`);
      const dupId = users.find((u) => u.id === id);
      if (dupId) c.add([...p, 'id'], `id ${id} is also the id of user ${show(dupId.name)}`);
      users.push({ id, name, password, group_id: groupId, directory, shell, gecos, keys });
    }
    for (const { value, path: p } of entries(c, doc['groups'], ['groups'])) {
      if (!isObject(value)) {
        c.add(p, `must be a mapping with name, id and users (got ${show(value)})`);
        continue;
      }
      c.unknownKeys(value, ['name', 'id', 'users'], p);
      const name = value['name'] === undefined ? (c.add([...p, 'name'], 'is missing'), undefined) : c.name(value['name'], [...p, 'name'], 'group');
      const id = value['id'] === undefined ? (c.add([...p, 'id'], 'is missing'), undefined) : c.int(value['id'], [...p, 'id'], 1);
      const members = c.names(value['users'], [...p, 'users']);
      members.forEach((m, i) => {
        if (!users.some((u) => u.name === m)) c.add([...p, 'users', i], `no user named ${show(m)} in users`);
      });
      if (name === undefined || id === undefined) continue;
      if (groups.some((g) => g.name === name)) c.add([...p, 'name'], `group ${show(name)} is listed twice`);
      const dupId = groups.find((g) => g.id === id);
      if (dupId) c.add([...p, 'id'], `id ${id} is also the id of group ${show(dupId.name)}`);
      groups.push({ id, name, users: members });
    }
    const tokens = doc['tokens'];
    if (tokens !== undefined && !isObject(tokens)) c.add(['tokens'], `must be a map from token name (web, pi, …) to { value, users, groups } (got ${show(tokens)})`);
    else if (tokens !== undefined) {
      for (const [tname, t] of Object.entries(tokens)) {
        const p: Path = ['tokens', tname];
        if (!TOKEN_NAME_RE.test(tname)) c.add(p, 'token names are lower-case letters, digits, - and _');
        if (!isObject(t)) {
          c.add(p, `must be a mapping with users, groups (and value) (got ${show(t)})`);
          continue;
        }
        c.unknownKeys(t, ['value', 'users', 'groups'], p);
        const a: StnsAccess & { value?: string } = { users: c.names(t['users'], [...p, 'users']), groups: c.names(t['groups'], [...p, 'groups']) };
        a.users.forEach((n, i) => {
          if (!users.some((u) => u.name === n)) c.add([...p, 'users', i], `no user named ${show(n)} in users`);
        });
        a.groups.forEach((n, i) => {
          if (!groups.some((g) => g.name === n)) c.add([...p, 'groups', i], `no group named ${show(n)} in groups`);
        });
        if (t['value'] !== undefined) {
          const v = c.str(t['value'], [...p, 'value']);
          if (v !== undefined && !/^[\x21-\x7e]+$/.test(v)) c.add([...p, 'value'], 'must be printable ASCII without spaces (it travels in an HTTP header)');
          else if (v !== undefined) a.value = v;
        } else if (tname !== 'web' && tname !== 'pi') c.add([...p, 'value'], 'is missing: a token other than web and pi needs its value');
        access[tname] = a;
      }
      const values = Object.entries(access).filter(([, a]) => a.value !== undefined);
      for (const [i, [n, a]] of values.entries()) {
        const other = values.slice(0, i).find(([, b]) => b.value === a.value);
        if (other) c.add(['tokens', n, 'value'], `is the same as the value of token ${show(other[0])}`);
      }
    }
  }
  if (c.problems.length > 0) {
    throw new StnsDirectoryError(`${where}: ${c.problems.length === 1 ? c.problems[0] : `${c.problems.length} problems:\n  ${c.problems.join('\n  ')}`}`);
  }
  return { users, groups, access };
}

/** Reads and checks a directory file (.json as JSON, anything else as YAML, which JSON also is). */
export function loadDirectoryFile(file: string): StnsDirectory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new StnsDirectoryError(`${file}: cannot read the STNS directory file: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new StnsDirectoryError(`${file}: not valid ${path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  return validateDirectory(doc, file);
}
