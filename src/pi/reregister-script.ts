// The script sent to a cloned managed-node ID to move the board that receives it to a new ID: a small
// launcher that writes the worker (templates/host/pi-reregister.sh plus its data) to /var/lib/stns-fleet/,
// runs its check (which prints the `accepted` marker), then starts it detached from the SSM agent
// (systemd-run when systemd runs, else setsid/nohup) because stopping the agent ends this very command.
//
// The activation code never travels in clear: the parameters (code, activation ID, region) are gzip +
// AES-256-CBC under a fresh run key, and the run key is wrapped (ECDH or RSA-OAEP) to each seal key seen for the
// boards behind that ID — exactly how the auth token travels (src/host-script/seal.ts). Boards cloned from one
// image share a seal key; boards whose keys differ each find their own copy by fingerprint.
import { shq } from '../host-script/shq.js';
import { newRunKey, sealContent, sealTable, type RunKey } from '../host-script/seal.js';
import { MANAGED_NODE_ID_RE, REGION_RE } from '../inventory/patterns.js';
import type { Templates } from '../render/templates.js';

export const PI_REREGISTER_LIB = 'host/pi-reregister.sh';
const REREGISTER_MARKER = 'STNS_FLEET_PI_REREGISTER';
/** Exit codes of the check (templates/host/pi-reregister.sh). */
const REREGISTER_EXIT = { seal: 11, wrongId: 12, busy: 13, preflight: 20 } as const;

interface ActivationParams {
  activationId: string;
  activationCode: string;
  region: string;
}

interface ReregisterOptions {
  /** The managed-node ID the board must currently hold (a stale script refuses). */
  oldId: string;
  newMachineId: boolean;
  newHostKeys: boolean;
  /** Seal public keys (base64 DER) of the boards that may receive the script. */
  recipients: string[];
  /** Seconds the detached worker waits before stopping the agent (so SSM gets this command's output). */
  delaySeconds?: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function lines76(b64: string): string {
  return (b64.match(/.{1,76}/g) ?? []).join('\n');
}

/** The parameters as the worker reads them (`key=value` lines), before sealing. */
function paramsText(p: ActivationParams): string {
  return `code=${p.activationCode}\nid=${p.activationId}\nregion=${p.region}\n`;
}

export function reregisterScript(t: Templates, o: ReregisterOptions, p: ActivationParams, runKey: RunKey = newRunKey()): string {
  if (!MANAGED_NODE_ID_RE.test(o.oldId)) throw new Error(`not a managed node ID: ${o.oldId}`);
  if (!UUID_RE.test(p.activationId)) throw new Error('the activation ID is not a UUID');
  if (!REGION_RE.test(p.region)) throw new Error(`not a region: ${p.region}`);
  if (p.activationCode.length < 20 || /\s/.test(p.activationCode)) throw new Error('the activation code is malformed');
  if (o.recipients.length === 0) throw new Error('no seal key to send the activation code to');
  const delay = o.delaySeconds ?? 5;
  if (!Number.isInteger(delay) || delay < 0 || delay > 600) throw new Error(`bad delay ${delay}`);

  const worker = [
    t.data(PI_REREGISTER_LIB).toString('utf8').trimEnd(),
    `SF_OLD_ID=${shq(o.oldId)}`,
    `SF_NEW_MACHINE_ID=${o.newMachineId ? 1 : 0}`,
    `SF_NEW_HOST_KEYS=${o.newHostKeys ? 1 : 0}`,
    `SF_DELAY=${delay}`,
    ...sealTable(runKey, o.recipients),
    "sf_params <<'SF_EOF'",
    lines76(sealContent(Buffer.from(paramsText(p)), runKey).toString('base64')),
    'SF_EOF',
    'sf_main "$@"',
    '',
  ].join('\n');
  if (worker.includes(p.activationCode)) throw new Error('internal: the activation code would travel in clear');

  return [
    '#!/bin/sh',
    `# stns-fleet pi-reregister v1 (launcher) for ${o.oldId}: writes the worker below, runs its check (one`,
    '# STNS_FLEET_PI_REREGISTER accepted|refused line), then starts it detached from the SSM agent.',
    '# The activation it carries is sealed to this board\'s seal key: nothing here is a secret in clear.',
    'set -u',
    'umask 077',
    'R="${STNS_FLEET_ROOT:-}"',
    'R="${R%/}"',
    'D="$R/var/lib/stns-fleet"',
    `mkdir -p "$D" || { echo '${REREGISTER_MARKER} refused preflight cannot create /var/lib/stns-fleet'; exit ${REREGISTER_EXIT.preflight}; }`,
    'W="$D/pi-reregister.$$.run"',
    "cat >\"$W\" <<'SF_WORKER_EOF'",
    worker.trimEnd(),
    'SF_WORKER_EOF',
    'sh "$W" check',
    'rc=$?',
    'if [ "$rc" != 0 ]; then',
    '\trm -f "$W"',
    '\texit "$rc"',
    'fi',
    'delay="${STNS_FLEET_REREGISTER_DELAY:-' + String(delay) + '}"',
    'how=""',
    'if [ -z "$R" ] && [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then',
    '\t# Its own unit, outside amazon-ssm-agent.service: stopping the agent cannot take it down.',
    '\tsystemd-run --unit="stns-fleet-pi-reregister-$$" --description="stns-fleet: move this board to a new SSM managed-node ID" --collect --quiet /bin/sh "$W" run "$delay" >/dev/null 2>&1 && how=\'systemd-run\'',
    'fi',
    'if [ -z "$how" ]; then',
    '\t# Own session, no terminal, stdio off the agent\'s pipes (the agent waits for them to close).',
    '\tif command -v setsid >/dev/null 2>&1; then',
    '\t\t(setsid nohup /bin/sh "$W" run "$delay" </dev/null >>"$D/pi-reregister.log" 2>&1 &)',
    "\t\thow='setsid'",
    '\telse',
    '\t\t(nohup /bin/sh "$W" run "$delay" </dev/null >>"$D/pi-reregister.log" 2>&1 &)',
    "\t\thow='nohup'",
    '\tfi',
    'fi',
    `echo "${REREGISTER_MARKER} detached via $how (the agent stops in $delay s)"`,
    '',
  ].join('\n');
}

/** The worker alone (for shellcheck and tests): what the launcher writes to /var/lib/stns-fleet/. */
export function workerOf(script: string): string {
  const m = /<<'SF_WORKER_EOF'\n([\s\S]*?)\nSF_WORKER_EOF\n/.exec(script);
  if (!m) throw new Error('no worker in this script');
  return `${m[1]!}\n`;
}

type ReregisterAnswer =
  | { kind: 'accepted'; fields: Record<string, string>; detached?: string }
  | { kind: 'refused'; word: string; reason: string }
  | { kind: 'none' };

/** What the launcher printed: accepted (with the board's serial/mac/boot), refused (why), or nothing. */
export function parseReregisterOutput(output: string): ReregisterAnswer {
  const acc = new RegExp(`^${REREGISTER_MARKER} accepted(.*)$`, 'm').exec(output);
  if (acc) {
    const fields: Record<string, string> = {};
    for (const kv of acc[1]!.trim().split(/\s+/)) {
      const eq = kv.indexOf('=');
      if (eq > 0) fields[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const det = new RegExp(`^${REREGISTER_MARKER} detached via ([a-z-]+)`, 'm').exec(output)?.[1];
    return { kind: 'accepted', fields, ...(det ? { detached: det } : {}) };
  }
  const ref = new RegExp(`^${REREGISTER_MARKER} refused (\\S+) ?(.*)$`, 'm').exec(output);
  if (ref) return { kind: 'refused', word: ref[1]!, reason: ref[2]! };
  return { kind: 'none' };
}
