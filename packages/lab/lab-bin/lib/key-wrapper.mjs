// The lab's libnss-stns-v2 stns-key-wrapper: `stns-key-wrapper [-c CONF] USER` prints the user's public keys
// from the STNS server named in stns.conf, one per line, then an empty line. As the real one: a user that is
// not found, a wrong token and an unreachable server all end with "http request failed user: USER" and exit
// 255; an unreadable config exits 255 without a message. With `[cached] enable = true` it asks only
// cache-stnsd (the lab's model, cache-stnsd.mjs), as the real one. Unlike the real one it does not retry, and
// keeps neither an answer cache nor /var/tmp/.stns.lock. Run as a process (../stns-key-wrapper.mjs) or
// answered by the lab (served-standins.ts).
import { STNS_CONFIG, stnsLookup } from './stns.mjs';

/** What `stns-key-wrapper ARGS...` prints and exits with on the host whose tree is `root`. */
export async function keyWrapper(args, root) {
  let conf = STNS_CONFIG;
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c') conf = args[++i] ?? conf;
    else if (args[i].startsWith('-c')) conf = args[i].slice(2);
    else rest.push(args[i]);
  }
  const user = rest[0];
  if (!user) return { code: 255, stdout: '', stderr: 'User name is a required parameter\n' };
  if (user.length >= 32) return { code: 255, stdout: '', stderr: 'user name too long\n' };
  const r = await stnsLookup(`users?name=${encodeURIComponent(user)}`, conf, root);
  if (!r) return { code: 255, stdout: '', stderr: '' };
  const found = r.status === 200 && Array.isArray(r.body) ? r.body : undefined;
  if (!found) return { code: 255, stdout: '', stderr: `http request failed user: ${user}\n` };
  const keys = found.flatMap((u) => (Array.isArray(u?.keys) ? u.keys : []));
  return { code: 0, stdout: keys.length > 0 ? `${keys.join('\n')}\n\n` : '\n', stderr: '' };
}
