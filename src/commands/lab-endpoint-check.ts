// Before any command reaches a host: when the AWS endpoint is on loopback and answers as the local lab
// (GET /_lab/info), the inventory's STNS endpoints must be the lab's STNS server (targets/lab-endpoint.ts says
// why and how the message reads). Anything else on loopback (no lab, an older lab, a proxy) is not checked:
// this only turns a known mistake into one clear error, it never blocks a run.
import { UserError } from '../errors.js';
import { hostSettingsFor } from '../inventory/resolve.js';
import type { Inventory } from '../inventory/schema.js';
import { labEndpointMismatch } from '../targets/lab-endpoint.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export async function checkLabEndpoint(
  inventory: Inventory,
  groups: string[],
  env: NodeJS.ProcessEnv = process.env,
  get: typeof fetch = fetch,
): Promise<void> {
  const endpoint = env['AWS_ENDPOINT_URL_SSM'] ?? env['AWS_ENDPOINT_URL'];
  if (!endpoint) return;
  let url: URL;
  try {
    url = new URL('/_lab/info', endpoint);
  } catch {
    return;
  }
  if (!LOOPBACK.has(url.hostname)) return;
  const info = await get(url, { signal: AbortSignal.timeout(30_000) })
    .then(async (r) => (r.ok ? ((await r.json()) as { stnsUrl?: unknown }) : undefined))
    .catch(() => undefined);
  if (typeof info?.stnsUrl !== 'string') return;
  const mismatch = labEndpointMismatch(
    groups.map((g) => hostSettingsFor(inventory, g).stns.apiEndpoint),
    info.stnsUrl,
  );
  if (mismatch) throw new UserError(mismatch, { hint: 'nothing was sent to any host' });
}
