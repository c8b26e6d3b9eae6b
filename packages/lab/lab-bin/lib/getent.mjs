// The lab's getent: `getent passwd|group KEY...` (a name or a numeric id) resolved through the host's own
// nsswitch.conf, source by source: "files" (and "compat") read the host tree's /etc/passwd and /etc/group;
// "stns" asks the lab's STNS server as libnss-stns would (api_endpoint and auth_token of stns.conf,
// uid_shift/gid_shift applied; with `[cached] enable = true` only cache-stnsd, cache-stnsd.mjs); other
// sources (systemd, sss, …) find nothing here. Exit 0 when every key was found, 2 when one was not, 1 for an
// unknown database. Run as a process (../getent.mjs) or answered by the lab (served-standins.ts).
import { readHostFile } from './host.mjs';
import { loadConfig, stnsFind } from './stns.mjs';

/** What `getent ARGS...` prints and exits with on the host whose tree is `root`. */
export async function getent(args, root) {
  const [db, ...keys] = args;
  if (db !== 'passwd' && db !== 'group') return { code: 1, stdout: '', stderr: `Unknown database: ${db ?? ''}\n` };
  if (keys.length === 0) return { code: 1, stdout: '', stderr: 'getent: lab stand-in: give a key (enumeration is not supported)\n' };

  const sources = () => {
    for (const line of (readHostFile('/etc/nsswitch.conf', root) ?? '').split('\n')) {
      const m = new RegExp(`^\\s*${db}\\s*:(.*)$`).exec(line.replace(/#.*/, ''));
      if (m) return m[1].replace(/\[[^\]]*\]/g, ' ').split(/\s+/).filter(Boolean);
    }
    return ['files'];
  };
  const fromFiles = (key) => {
    const file = readHostFile(db === 'passwd' ? '/etc/passwd' : '/etc/group', root) ?? '';
    for (const line of file.split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && (f[0] === key || f[2] === key)) return line;
    }
    return undefined;
  };
  const fromStns = async (key) => {
    const c = loadConfig(undefined, root);
    if (!c) return undefined;
    const numeric = /^\d+$/.test(key);
    const shift = Number((db === 'passwd' ? c.uid_shift : c.gid_shift) ?? 0) || 0;
    const query = numeric ? `id=${Number(key) - shift}` : `name=${encodeURIComponent(key)}`;
    const found = await stnsFind(`${db === 'passwd' ? 'users' : 'groups'}?${query}`, undefined, root);
    const x = found?.[0];
    if (!x) return undefined;
    if (db === 'passwd') {
      const gshift = Number(c.gid_shift ?? 0) || 0;
      return `${x.name}:x:${x.id + shift}:${x.group_id + gshift}:${x.gecos ?? ''}:${x.directory ?? ''}:${x.shell ?? ''}`;
    }
    return `${x.name}:x:${x.id + shift}:${(x.users ?? []).join(',')}`;
  };

  let stdout = '';
  let missing = false;
  const order = sources();
  for (const key of keys) {
    let line;
    for (const s of order) {
      if (s === 'files' || s === 'compat') line = fromFiles(key);
      else if (s === 'stns') line = await fromStns(key);
      if (line) break;
    }
    if (line) stdout += `${line}\n`;
    else missing = true;
  }
  return { code: missing ? 2 : 0, stdout, stderr: '' };
}
