// /etc/stns/client/stns.conf from the group's settings. Every value is encoded as a TOML literal before it
// reaches the template; the auth token is a placeholder (see secrets.ts).
import { STNS_OPTION_KEYS, type StnsSettings } from '../model/settings.js';
import { headerSecret, secretPlaceholder } from './secrets.js';
import type { Templates } from './templates.js';
import { tomlKey, tomlString, tomlValue } from './toml.js';

export const STNS_CONF = '/etc/stns/client/stns.conf';

type Entry = { key: string; value: string };

export function renderStnsConf(t: Templates, s: StnsSettings): string {
  const options: Entry[] = [];
  for (const k of STNS_OPTION_KEYS) {
    const v = s.options[k];
    if (v !== undefined) options.push({ key: k, value: tomlValue(v) });
  }
  const tls: Entry[] = (['ca', 'cert', 'key'] as const)
    .filter((k) => s.tls?.[k] !== undefined)
    .map((k) => ({ key: k, value: tomlString(s.tls![k]!) }));
  // Header values may be credentials: placeholders, like the token (sealed at apply, hidden in diffs).
  const httpHeaders: Entry[] = Object.keys(s.httpHeaders ?? {}).map((k) => ({ key: tomlKey(k), value: `"${secretPlaceholder(headerSecret(k), 'toml')}"` }));
  const cached: Entry[] = [{ key: 'enable', value: tomlValue(s.cached.enable) }];
  if (s.cached.prefetch !== undefined) cached.push({ key: 'prefetch', value: tomlValue(s.cached.prefetch) });
  return t.render('stns.conf.hbs', {
    apiEndpoint: tomlString(s.apiEndpoint),
    authToken: s.authToken ? `"${secretPlaceholder('auth_token', 'toml')}"` : undefined,
    options,
    tls,
    httpHeaders,
    cached,
  });
}
