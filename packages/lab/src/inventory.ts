// An inventory for a running lab (its STNS port is chosen at start), shaped like inventories/lab.yaml:
// web/db EC2 hosts with the web token, Raspberry Pis with their own. Used by the benchmark and the tests.
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
