// stns-fleet lab stand-in for libnss-stns-v2's stns-key-wrapper: `stns-key-wrapper [-c CONF] USER` prints
// the user's public keys from the STNS server named in stns.conf, one per line, then an empty line. As the
// real one: a user that is not found, a wrong token and an unreachable server all end with
// "http request failed user: USER" and exit 255; an unreadable config exits 255 without a message. With
// `[cached] enable = true` it asks only cache-stnsd (the lab's model, lib/cache-stnsd.mjs), as the real one.
// Unlike the real one it does not retry, and keeps neither an answer cache nor /var/tmp/.stns.lock.
import { STNS_CONFIG, stnsLookup } from './lib/stns.mjs';

const args = process.argv.slice(2);
let conf = STNS_CONFIG;
const rest = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-c') conf = args[++i] ?? conf;
  else if (args[i].startsWith('-c')) conf = args[i].slice(2);
  else rest.push(args[i]);
}
const user = rest[0];
if (!user) {
  process.stderr.write('User name is a required parameter\n');
  process.exit(255);
}
if (user.length >= 32) {
  process.stderr.write('user name too long\n');
  process.exit(255);
}
const r = await stnsLookup(`users?name=${encodeURIComponent(user)}`, conf);
if (!r) process.exit(255);
const found = r.status === 200 && Array.isArray(r.body) ? r.body : undefined;
if (!found) {
  process.stderr.write(`http request failed user: ${user}\n`);
  process.exit(255);
}
const keys = found.flatMap((u) => (Array.isArray(u?.keys) ? u.keys : []));
process.stdout.write(keys.length > 0 ? `${keys.join('\n')}\n\n` : '\n');
