// Shared by the lab's stns-key-wrapper and getent: read /etc/stns/client/stns.conf as libnss-stns does (the
// top-level keys before the first [table]; TOML basic strings with their escapes, literal strings, integers,
// booleans) and ask the STNS server with `Authorization: token <auth_token>`.
import { readHostFile } from './host.mjs';

export const STNS_CONFIG = '/etc/stns/client/stns.conf';

function basicString(s, i) {
  // s[i] is the opening quote; returns [value, index after the closing quote].
  let out = '';
  for (i++; i < s.length; i++) {
    const c = s[i];
    if (c === '"') return [out, i + 1];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    const simple = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' }[e];
    if (simple !== undefined) out += simple;
    else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = s.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw new Error(`bad escape \\${e}${hex}`);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += n;
    } else throw new Error(`bad escape \\${e}`);
  }
  throw new Error('unterminated string');
}

/** Top-level keys of a stns.conf; throws on what libnss would refuse to parse. */
export function parseStnsConf(text) {
  const out = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) break;
    const m = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`cannot parse: ${line}`);
    const v = m[2];
    if (v.startsWith('"')) out[m[1]] = basicString(v, 0)[0];
    else if (v.startsWith("'")) out[m[1]] = v.slice(1, v.indexOf("'", 1));
    else if (/^(true|false)\b/.test(v)) out[m[1]] = v.startsWith('true');
    else if (/^[+-]?\d+/.test(v)) out[m[1]] = Number(/^[+-]?\d+/.exec(v)[0]);
    else throw new Error(`cannot parse value of ${m[1]}`);
  }
  return out;
}

/** The parsed config, or undefined when it cannot be read or parsed (libnss: NSS_STATUS_UNAVAIL). */
export function loadConfig(path = STNS_CONFIG) {
  const text = readHostFile(path);
  if (text === undefined) return undefined;
  try {
    return parseStnsConf(text);
  } catch {
    return undefined;
  }
}

/** GET <api_endpoint>/<query>: the parsed JSON array, or undefined on any failure (HTTP ≥ 400, network). */
export async function stnsGet(conf, query) {
  const base = String(conf.api_endpoint ?? 'http://localhost:1104/v1').replace(/\/+$/, '');
  const headers = {};
  if (typeof conf.auth_token === 'string') headers.authorization = `token ${conf.auth_token}`;
  const timeout = typeof conf.request_timeout === 'number' && conf.request_timeout > 0 ? conf.request_timeout : 10;
  try {
    const r = await fetch(`${base}/${query}`, { headers, signal: AbortSignal.timeout(Math.min(timeout, 10) * 1000) });
    if (r.status >= 400) return undefined;
    const body = await r.json();
    return Array.isArray(body) ? body : undefined;
  } catch {
    return undefined;
  }
}
