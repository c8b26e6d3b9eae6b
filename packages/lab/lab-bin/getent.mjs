// stns-fleet lab stand-in for getent: `getent passwd|group KEY...` (a name or a numeric id) resolved through
// the host's own nsswitch.conf, source by source: "files" (and "compat") read the host tree's /etc/passwd
// and /etc/group; "stns" asks the lab's STNS server as libnss-stns would (api_endpoint and auth_token of
// stns.conf, uid_shift/gid_shift applied; with `[cached] enable = true` only cache-stnsd, lib/cache-stnsd.mjs);
// other sources (systemd, sss, …) find nothing here.
// Exit 0 when every key was found, 2 when one was not, 1 for an unknown database.
import { readHostFile } from './lib/host.mjs';
import { loadConfig, stnsFind } from './lib/stns.mjs';

const [db, ...keys] = process.argv.slice(2);
if (db !== 'passwd' && db !== 'group') {
  process.stderr.write(`Unknown database: ${db ?? ''}\n`);
  process.exit(1);
}

function sources() {
  for (const line of (readHostFile('/etc/nsswitch.conf') ?? '').split('\n')) {
    const m = new RegExp(`^\\s*${db}\\s*:(.*)$`).exec(line.replace(/#.*/, ''));
    if (m) return m[1].replace(/\[[^\]]*\]/g, ' ').split(/\s+/).filter(Boolean);
  }
  return ['files'];
}

function fromFiles(key) {
  const file = readHostFile(db === 'passwd' ? '/etc/passwd' : '/etc/group') ?? '';
  for (const line of file.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && (f[0] === key || f[2] === key)) return line;
  }
  return undefined;
}

async function fromStns(key) {
  const c = loadConfig();
  if (!c) return undefined;
  const numeric = /^\d+$/.test(key);
  const shift = Number((db === 'passwd' ? c.uid_shift : c.gid_shift) ?? 0) || 0;
  const query = numeric ? `id=${Number(key) - shift}` : `name=${encodeURIComponent(key)}`;
  const found = await stnsFind(`${db === 'passwd' ? 'users' : 'groups'}?${query}`);
  const x = found?.[0];
  if (!x) return undefined;
  if (db === 'passwd') {
    const gshift = Number(c.gid_shift ?? 0) || 0;
    return `${x.name}:x:${x.id + shift}:${x.group_id + gshift}:${x.gecos ?? ''}:${x.directory ?? ''}:${x.shell ?? ''}`;
  }
  return `${x.name}:x:${x.id + shift}:${(x.users ?? []).join(',')}`;
}

let missing = false;
const order = sources();
for (const key of keys) {
  let line;
  for (const s of order) {
    if (s === 'files' || s === 'compat') line = fromFiles(key);
    else if (s === 'stns') line = await fromStns(key);
    if (line) break;
  }
  if (line) process.stdout.write(`${line}\n`);
  else missing = true;
}
if (keys.length === 0) {
  process.stderr.write('getent: lab stand-in: give a key (enumeration is not supported)\n');
  process.exit(1);
}
process.exit(missing ? 2 : 0);
