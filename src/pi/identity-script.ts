// Who is this board? The identity script (templates/host/pi-identity.sh) and its parser. One SendCommand per
// ≤ 50 nodes; a command sent to a managed-node ID reaches whichever board answers to that ID at the time,
// so several polls of one ID that report different boards are the sign of a cloned registration.
import type { Templates } from '../render/templates.js';
import { isSealKey } from '../host-script/seal.js';
import { describeResult, succeeded } from '../transport/result.js';
import type { InvocationResult, Transport } from '../transport/types.js';
import { normalizeSerial } from './settings.js';

export const PI_IDENTITY_LIB = 'host/pi-identity.sh';
const IDENTITY_HEADER = 'STNS_FLEET_PI_IDENTITY v1';
const IDENTITY_END = 'STNS_FLEET_PI_IDENTITY_END';

export interface BoardIdentity {
  /** SoC serial as the board prints it (lowercase hex); absent on boards that have none (not a Pi). */
  serial?: string;
  model?: string;
  machineId?: string;
  hostname?: string;
  bootId?: string;
  macs: { iface: string; mac: string }[];
  ips: string[];
  /** The managed-node ID the board's agent holds (vault), else the registration file's. */
  managedId?: string;
  registrationFileId?: string;
  region?: string;
  /** The ID SSM delivered the command to (AWS_SSM_INSTANCE_ID). */
  commandTarget?: string;
  hostKey?: string;
  /** Seal public key (base64 DER) or undefined when the board has no openssl. */
  sealKey?: string;
  /** The board's last re-registration status file (state, old, new, step, reason, …). */
  status: Record<string, string>;
}

export function identityScript(t: Templates): string {
  return t.data(PI_IDENTITY_LIB).toString('utf8');
}

/** Parses the identity output; an error when the output is not a complete identity document. */
export function parseIdentity(output: string): BoardIdentity | { error: string } {
  const start = output.indexOf(`${IDENTITY_HEADER}\n`);
  if (start < 0) return { error: 'no STNS_FLEET_PI_IDENTITY header in the output' };
  const body = output.slice(start + IDENTITY_HEADER.length + 1);
  const end = body.search(new RegExp(`^${IDENTITY_END}$`, 'm'));
  if (end < 0) return { error: 'the identity output is incomplete (no END line)' };
  const id: BoardIdentity = { macs: [], ips: [], status: {} };
  for (const line of body.slice(0, end).split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1).trim();
    if (value === '') continue;
    switch (key) {
      case 'serial':
        if (/^[0-9a-fA-F]{1,32}$/.test(value)) id.serial = value.toLowerCase();
        break;
      case 'model':
        id.model = value;
        break;
      case 'machine_id':
        id.machineId = value.toLowerCase();
        break;
      case 'hostname':
        id.hostname = value;
        break;
      case 'boot_id':
        id.bootId = value.toLowerCase();
        break;
      case 'mac': {
        const [iface, mac] = value.split(/\s+/);
        if (iface && mac && /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) id.macs.push({ iface, mac: mac.toLowerCase() });
        break;
      }
      case 'ip':
        id.ips.push(value.toLowerCase());
        break;
      case 'managed_id':
        id.managedId = value;
        break;
      case 'registration_file_id':
        id.registrationFileId = value;
        break;
      case 'region':
        id.region = value;
        break;
      case 'command_target':
        id.commandTarget = value;
        break;
      case 'hostkey':
        id.hostKey = value;
        break;
      case 'seal':
        if (value !== 'none' && isSealKey(value)) id.sealKey = value;
        break;
      case 'status': {
        const eq = value.indexOf('=');
        if (eq > 0) id.status[value.slice(0, eq)] = value.slice(eq + 1);
        break;
      }
    }
  }
  return id;
}

/** The identity an identity-script run printed (all of its stdout when SSM cut it), else why there is none. */
export async function identityOf(tr: Pick<Transport, 'fullOutput'>, r: InvocationResult): Promise<BoardIdentity | { error: string }> {
  if (!succeeded(r)) return { error: describeResult(r) };
  const out = r.truncated ? (await tr.fullOutput(r.commandId, r.instanceId)).stdout : r.stdout;
  return parseIdentity(out);
}

const ZERO_MAC = '00:00:00:00:00:00';

/** The board's hardware key: its serial, else its first MAC address, else (last resort) its boot id. */
export function boardKey(i: Pick<BoardIdentity, 'serial' | 'macs' | 'bootId'>): string {
  if (i.serial) return `serial:${normalizeSerial(i.serial)}`;
  // The first real MAC in interface order (the re-register script reports the same one).
  const mac = i.macs.map((m) => m.mac).find((m) => m !== ZERO_MAC);
  if (mac) return `mac:${mac}`;
  return `boot:${i.bootId ?? 'unknown'}`;
}

/** The board key from the re-register script's `accepted` line (serial=… mac=… boot=…). */
export function boardKeyOfAccepted(fields: Record<string, string>): string {
  const serial = fields['serial'];
  const mac = fields['mac'];
  return boardKey({ ...(serial ? { serial } : {}), macs: mac ? [{ iface: 'x', mac: mac.toLowerCase() }] : [], ...(fields['boot'] ? { bootId: fields['boot'] } : {}) });
}
