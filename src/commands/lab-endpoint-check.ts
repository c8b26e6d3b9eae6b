// Before any command reaches a host: when the AWS endpoint is on loopback and answers as the local lab
// (GET /_lab/info), the inventory's STNS endpoints must be the lab's STNS server (targets/lab-endpoint.ts says
// why and how the message reads). Anything else on loopback (no lab, an older lab, a proxy) is not checked:
// this only turns a known mistake into one clear error, it never blocks a run. Asked with node:http, which the
// SDK has loaded already: fetch would load undici first (~30 ms of CPU at every start against the lab).
import { get as httpGet } from 'node:http';
import { UserError } from '../errors.js';
import { hostSettingsFor } from '../inventory/resolve.js';
import type { Inventory } from '../inventory/schema.js';
import { labEndpointMismatch } from '../targets/lab-endpoint.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const ASK_MS = 30_000;

/** GET `url` as JSON; undefined for anything but a 200 with JSON (refused, 404, not JSON, no answer in time). */
export type GetJson = (url: URL) => Promise<unknown>;

const getJson: GetJson = (url) =>
  new Promise((resolve) => {
    const req = httpGet(url, { timeout: ASK_MS }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve(undefined);
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });

export async function checkLabEndpoint(inventory: Inventory, groups: string[], env: NodeJS.ProcessEnv = process.env, get: GetJson = getJson): Promise<void> {
  const endpoint = env['AWS_ENDPOINT_URL_SSM'] ?? env['AWS_ENDPOINT_URL'];
  if (!endpoint) return;
  let url: URL;
  try {
    url = new URL('/_lab/info', endpoint);
  } catch {
    return;
  }
  if (!LOOPBACK.has(url.hostname)) return;
  if (url.protocol !== 'http:') return; // the lab serves plain HTTP on loopback
  const info = (await get(url).catch(() => undefined)) as { stnsUrl?: unknown } | undefined;
  if (typeof info?.stnsUrl !== 'string') return;
  const mismatch = labEndpointMismatch(
    groups.map((g) => hostSettingsFor(inventory, g).stns.apiEndpoint),
    info.stnsUrl,
  );
  if (mismatch) throw new UserError(mismatch, { hint: 'nothing was sent to any host' });
}
