// Inventories for a running lab. The shipped one (inventories/lab.yaml, what the README and the demo use) names
// the STNS server at 127.0.0.1:4567; labInventoryFile() is that file with this lab's actual endpoint, for a lab
// whose STNS server is elsewhere (`npm run lab -- --write-inventory FILE`). labInventoryYaml() builds one of the
// same shape from options, for the benchmark and the tests: web/db EC2 hosts with the web token, Raspberry Pis
// with their own.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository's lab inventory (src/ and dist/ are both one level under the package). */
export const LAB_INVENTORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../inventories/lab.yaml');

/** Every api_endpoint an inventory text names: the top-level one, then the groups' overrides. */
export function inventoryEndpoints(text: string): string[] {
  const doc = (parse(text) ?? {}) as { stns?: { api_endpoint?: unknown }; groups?: Record<string, { stns?: { api_endpoint?: unknown } } | null> };
  const all = [doc.stns?.api_endpoint, ...Object.values(doc.groups ?? {}).map((g) => g?.stns?.api_endpoint)];
  return all.filter((e): e is string => typeof e === 'string');
}

/** Whether an api_endpoint is the STNS server at `stnsUrl` (a trailing slash aside). */
export function sameEndpoint(a: string, stnsUrl: string): boolean {
  const norm = (u: string): string => u.trim().replace(/\/+$/, '');
  return norm(a) === norm(stnsUrl);
}

/** The shipped lab inventory with every api_endpoint set to `stnsEndpoint`, comments kept. */
export function labInventoryFile(stnsEndpoint: string, source = LAB_INVENTORY): string {
  const text = readFileSync(source, 'utf8');
  let n = 0;
  const body = text
    .replace(/^# yaml-language-server: .*\n/m, '') // a path relative to the shipped file: wrong anywhere else
    .replace(/^(\s*api_endpoint:\s*)(\S+)/gm, (_m, key: string) => (n++, `${key}${stnsEndpoint}`));
  if (n === 0) throw new Error(`${source} names no stns.api_endpoint`);
  return `# Written by the stns-fleet lab from ${source}: api_endpoint is this lab's STNS server, ${stnsEndpoint}.\n${body}`;
}

export interface LabInventoryOptions {
  stnsEndpoint: string;
  region: string;
  rollout?: { canary: number | string; max_concurrency: number | string; max_errors: number | string };
  verifyUsers?: string[];
  /** harden_sudo: true for the Pi group (their images' passwordless sudo: 010_pi-nopasswd, 90-cloud-init-users). */
  hardenPiSudo?: boolean;
  /** Extra YAML appended at the end (more groups, group keys). */
  extra?: string;
}

export function labInventoryYaml(o: LabInventoryOptions): string {
  const r = o.rollout ?? { canary: 1, max_concurrency: '50%', max_errors: 0 };
  const q = (v: number | string): string => (typeof v === 'number' ? String(v) : JSON.stringify(v));
  return `version: 1
aws: { region: ${o.region} }
stns:
  api_endpoint: ${o.stnsEndpoint}
  allow_insecure_http: true
  auth_token: { ssm_parameter: /stns-fleet/lab/web-token }
rollout: { canary: ${q(r.canary)}, max_concurrency: ${q(r.max_concurrency)}, max_errors: ${q(r.max_errors)} }
verify: { users: [${(o.verifyUsers ?? ['alice', 'bob']).join(', ')}] }
groups:
  ec2: { targets: [ { tags: { Env: lab, Role: [web, db] } } ] }
  pi:
    os: raspberry-pi-os
    targets: [ { tags: { Env: lab, Role: pi } } ]${o.hardenPiSudo ? '\n    harden_sudo: true' : ''}
    stns: { auth_token: { ssm_parameter: /stns-fleet/lab/pi-token } }
${o.extra ?? ''}`;
}
