// A fake `Transport & ManagedNodeAdmin` that models Raspberry Pis cloned from one SD card (not a test file).
// Built on the one transport fake (test/helpers/fake-transport.ts), which keeps the seam's promises (one
// final result per host, onUpdate, cancellation) and records requests and admin calls; this adds the boards.
//
// Boards hold a registration (the agent's vault: a managed-node ID). Several boards may hold the same ID; a
// command sent to an ID reaches ONE of them:
//   'last-booted'  the board whose agent started last (what the issue describes), always the same one
//   'flapping'     the boards take turns (agents sharing one identity keep displacing each other)
// SSM's view of a shared ID (DescribeInstanceInformation IPAddress) is the last ping, which in 'last-booted'
// mode comes from another board than the one answering commands.
//
// Scripts are recognised by their marker lines and answered as the real ones would: the identity script
// prints the board's identity; the re-register launcher is OPENED for real with the board's RSA seal key
// (node:crypto, independently of src/) and the board then moves after the worker's delay: a valid activation
// (not deleted, not expired, registrations left) gives it a new ID carrying the activation's tags, a new
// machine-id and host key; an invalid one leaves it on its old ID with a failed status, as the worker's
// restore does. Time is virtual: `sleep` and delivery timeouts advance `clock`.
import { constants, createDecipheriv, createHash, generateKeyPairSync, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { AwsError } from '../../src/errors.js';
import type { Discovery, DiscoveredHost, HostSelection, InvocationResult, ManagedNodeAdmin, RunOptions, RunRequest } from '../../src/transport/types.js';
import { FakeTransport, ran, undelivered, type Outcome } from '../helpers/fake-transport.js';

export interface SealPair {
  privateKey: KeyObject;
  publicDer: string;
}

export function newSealPair(): SealPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicDer: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}

export interface FakeBoard {
  serial: string;
  mac: string;
  ip: string;
  machineId: string;
  hostKey: string;
  bootId: string;
  online: boolean;
  startedAt: number;
  /** The agent's vault: the ID it holds. */
  registeredAs?: string;
  seal?: SealPair;
  status: Record<string, string>;
  /** Set while the detached worker runs (agent stopped): the board answers nothing. */
  moving?: { at: number; code: string; activationId: string; region: string; oldId: string; newMachineId: boolean; newHostKeys: boolean };
}

interface FakeNode {
  id: string;
  tags: Record<string, string>;
  activationId?: string;
  deregistered: boolean;
}

interface FakeActivation {
  id: string;
  createdAt: number;
  code: string;
  iamRole: string;
  limit: number;
  used: number;
  expiresAt: number;
  tags: Record<string, string>;
  deleted: boolean;
}

const hex = (n: number): string => randomBytes(n).toString('hex');

export class FakeFleet extends FakeTransport {
  clock = Date.UTC(2026, 10, 23, 9, 0, 0);
  readonly boards: FakeBoard[] = [];
  readonly nodes = new Map<string, FakeNode>();
  readonly activations = new Map<string, FakeActivation>();
  /** Seconds the re-register worker needs after its delay (stop agent, clear, keys, register, start). */
  moveSeconds = 20;
  /** Called after each successful registration with the count so far (tests expire activations here). */
  onRegistered?: (count: number) => void;
  private registrations = 0;
  private nextId = 1;
  private turn = new Map<string, number>();

  constructor(
    readonly mode: 'last-booted' | 'flapping' = 'last-booted',
    readonly region = 'ap-northeast-1',
  ) {
    super();
    this.o.answer = (id, req) => this.answer(id, req); // every host's result comes from the board model
  }

  readonly sleep = (ms: number): Promise<void> => {
    this.clock += ms;
    return Promise.resolve();
  };
  readonly now = (): number => this.clock;

  newNodeId(tags: Record<string, string> = {}, activationId?: string): string {
    const id = `mi-${(this.nextId++).toString(16).padStart(17, '0')}`;
    this.nodes.set(id, { id, tags: { ...tags }, ...(activationId ? { activationId } : {}), deregistered: false });
    return id;
  }

  /** An EC2 instance (only discovered and tagged: tag names EC2 instances too). */
  addEc2(id: string, tags: Record<string, string> = {}): void {
    this.nodes.set(id, { id, tags: { ...tags }, deregistered: false });
  }

  /** A board, registered as `id`, started `startedAt` seconds after the epoch of the test. */
  addBoard(b: { serial: string; registeredAs: string; seal?: SealPair; online?: boolean; startedAt?: number; machineId?: string; hostKey?: string }): FakeBoard {
    const n = this.boards.length + 1;
    const board: FakeBoard = {
      serial: b.serial,
      mac: `dc:a6:32:00:00:${n.toString(16).padStart(2, '0')}`,
      ip: `192.168.1.${10 + n}`,
      machineId: b.machineId ?? hex(16),
      hostKey: b.hostKey ?? `SHA256:${hex(8)}`,
      bootId: `${hex(4)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`,
      online: b.online ?? true,
      startedAt: this.clock - 3_600_000 + (b.startedAt ?? n) * 1000,
      registeredAs: b.registeredAs,
      ...(b.seal ? { seal: b.seal } : {}),
      status: {},
    };
    this.boards.push(board);
    return board;
  }

  /** Switch a board on (its agent starts now, so it becomes the last-booted one). */
  powerOn(b: FakeBoard): void {
    b.online = true;
    b.startedAt = this.clock;
    b.bootId = `${hex(4)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`;
  }

  expireAllActivations(): void {
    for (const a of this.activations.values()) a.expiresAt = Math.min(a.expiresAt, this.clock);
  }

  /** Managed nodes that are registered and answered by a board that is on. */
  onlineNodes(): string[] {
    this.tick();
    return [...this.nodes.values()].filter((n) => !n.deregistered && this.holders(n.id).length > 0).map((n) => n.id);
  }

  // -------------------------------------------------------------------------------- the model

  private holders(id: string): FakeBoard[] {
    return this.boards.filter((b) => b.online && !b.moving && b.registeredAs === id).sort((a, b) => b.startedAt - a.startedAt);
  }

  private answering(id: string): FakeBoard | undefined {
    const hs = this.holders(id);
    if (hs.length === 0) return undefined;
    if (this.mode === 'last-booted') return hs[0];
    const t = this.turn.get(id) ?? 0;
    this.turn.set(id, t + 1);
    return hs[t % hs.length];
  }

  /** Runs every detached worker whose time has come. */
  private tick(): void {
    for (const b of this.boards) {
      const m = b.moving;
      if (!m || m.at > this.clock) continue;
      delete b.moving;
      const a = this.activations.get(m.activationId);
      const valid = a !== undefined && !a.deleted && a.code === m.code && this.clock < a.expiresAt && a.used < a.limit && m.region === this.region;
      b.startedAt = this.clock; // the worker starts the agent again either way
      if (!valid) {
        b.status = { state: 'failed', old: m.oldId, serial: b.serial, step: 'register', reason: 'amazon-ssm-agent -register failed: ActivationExpired' };
        continue; // old registration, machine-id and host keys restored
      }
      a.used++;
      const id = this.newNodeId(a.tags, a.id);
      b.registeredAs = id;
      if (m.newMachineId) b.machineId = hex(16);
      if (m.newHostKeys) b.hostKey = `SHA256:${hex(8)}`;
      b.status = { state: 'done', old: m.oldId, new: id, serial: b.serial };
      this.onRegistered?.(++this.registrations);
    }
  }

  private identityText(b: FakeBoard, target: string): string {
    const lines = [
      'STNS_FLEET_PI_IDENTITY v1',
      `serial ${b.serial}`,
      'model Raspberry Pi 4 Model B Rev 1.5',
      `machine_id ${b.machineId}`,
      'hostname raspberrypi',
      `boot_id ${b.bootId}`,
      `mac eth0 ${b.mac}`,
      `ip ${b.ip}`,
      ...(b.registeredAs ? [`managed_id ${b.registeredAs}`, `registration_file_id ${b.registeredAs}`] : []),
      `region ${this.region}`,
      `command_target ${target}`,
      `hostkey ${b.hostKey}`,
      `seal ${b.seal?.publicDer ?? 'none'}`,
      ...Object.entries(b.status).map(([k, v]) => `status ${k}=${v}`),
      'STNS_FLEET_PI_IDENTITY_END',
    ];
    return `${lines.join('\n')}\n`;
  }

  /** What the launcher + worker's check print on board `b`. */
  private reregister(b: FakeBoard, script: string): { code: number; out: string } {
    const oldId = /^SF_OLD_ID='(mi-[0-9a-f]{17})'$/m.exec(script)?.[1];
    const delay = Number(/^SF_DELAY=(\d+)$/m.exec(script)?.[1] ?? '5');
    if (!b.seal) return { code: 20, out: 'STNS_FLEET_PI_REREGISTER refused preflight required tool missing: openssl\n' };
    const params = openSealed(script, b.seal);
    if (!params) return { code: 11, out: 'STNS_FLEET_PI_REREGISTER refused seal this board holds no key for the sealed activation\n' };
    if (!oldId || b.registeredAs !== oldId) return { code: 12, out: `STNS_FLEET_PI_REREGISTER refused wrong-id this board is registered as ${b.registeredAs}, not ${oldId}\n` };
    b.status = { state: 'accepted', old: oldId, serial: b.serial };
    b.moving = {
      at: this.clock + (delay + this.moveSeconds) * 1000,
      code: params.code,
      activationId: params.id,
      region: params.region,
      oldId,
      newMachineId: /^SF_NEW_MACHINE_ID=1$/m.test(script),
      newHostKeys: /^SF_NEW_HOST_KEYS=1$/m.test(script),
    };
    return { code: 0, out: `STNS_FLEET_PI_REREGISTER accepted serial=${b.serial} mac=${b.mac} boot=${b.bootId}\nSTNS_FLEET_PI_REREGISTER detached via systemd-run (the agent stops in ${delay} s)\n` };
  }

  // -------------------------------------------------------------------------------- Transport

  override discover(t: HostSelection): Promise<Discovery> {
    this.calls.discover.push(t);
    this.tick();
    const hosts: DiscoveredHost[] = [];
    const notFound: string[] = [];
    for (const id of t.ids) if (!this.nodes.get(id) || this.nodes.get(id)!.deregistered) notFound.push(id);
    for (const n of this.nodes.values()) {
      if (n.deregistered) continue;
      const byId = t.ids.includes(n.id);
      const byTag = t.tagSelectors.some((sel) => Object.keys(sel).length > 0 && Object.entries(sel).every(([k, vs]) => n.tags[k] !== undefined && vs.includes(n.tags[k]!)));
      if (!byId && !byTag) continue;
      if (n.id.startsWith('i-')) {
        hosts.push({ id: n.id, kind: 'ec2', ...(n.tags['Name'] ? { name: n.tags['Name'] } : {}), tags: { ...n.tags }, ec2State: 'running', ssm: { pingStatus: 'Online' } });
        continue;
      }
      const hs = this.holders(n.id);
      // The last ping: in 'last-booted' mode every holder pings, the earliest-started last of all.
      const pinger = this.mode === 'last-booted' ? hs[hs.length - 1] : hs[0];
      hosts.push({
        id: n.id,
        kind: 'managed',
        ...(n.tags['Name'] ? { name: n.tags['Name'] } : {}),
        tags: { ...n.tags },
        ssm: {
          pingStatus: hs.length > 0 ? 'Online' : 'ConnectionLost',
          platformName: 'Debian GNU/Linux',
          platformVersion: '12',
          ...(pinger ? { ipAddress: pinger.ip } : {}),
          ...(n.activationId ? { activationId: n.activationId } : {}),
        },
      });
    }
    return Promise.resolve({ hosts, notFound });
  }

  /** A deregistered or unknown ID makes SendCommand fail as a whole, as SSM's InvalidInstanceId does. Time
   * passes: the delivery timeout when a host did not answer, else two seconds. */
  override async run(req: RunRequest, o?: RunOptions): Promise<InvocationResult[]> {
    this.tick();
    for (const id of req.instanceIds) {
      const n = this.nodes.get(id);
      if (!n || n.deregistered) throw new AwsError(`ssm:SendCommand failed: InvalidInstanceId (${id})`);
    }
    const rs = await super.run(req, o);
    this.clock += rs.some((r) => r.kind === 'undelivered') ? req.deliveryTimeoutSeconds * 1000 : 2000;
    return rs;
  }

  /** What one host returns: the board answering to the ID runs the script, or none does. */
  private answer(id: string, req: RunRequest): Outcome {
    const b = this.answering(id);
    if (!b) return undelivered('delivery-timed-out');
    if (req.script.includes("echo 'STNS_FLEET_PI_IDENTITY v1'")) return ran(this.identityText(b, id));
    if (req.script.includes('# stns-fleet pi-reregister v1 (launcher)')) {
      const { code, out } = this.reregister(b, req.script);
      return ran(out, code);
    }
    throw new Error(`FakeFleet: unknown script:\n${req.script.slice(0, 200)}`);
  }

  // -------------------------------------------------------------------------------- ManagedNodeAdmin

  override createActivation(o: Parameters<ManagedNodeAdmin['createActivation']>[0]): Promise<{ activationId: string; activationCode: string }> {
    this.calls.createActivation.push(o);
    const id = `${hex(4)}-${hex(2)}-4${hex(2).slice(1)}-a${hex(2).slice(1)}-${hex(6)}`;
    const code = `Cd${hex(10)}`; // 22 characters, as real codes are 20+
    this.activations.set(id, { id, createdAt: this.clock, code, iamRole: o.iamRole, limit: o.registrationLimit, used: 0, expiresAt: o.expiresAt.getTime(), tags: { ...(o.tags ?? {}) }, deleted: false });
    return Promise.resolve({ activationId: id, activationCode: code });
  }

  override deleteActivation(activationId: string): Promise<void> {
    this.calls.deleteActivation.push(activationId);
    const a = this.activations.get(activationId);
    if (!a || a.deleted) return Promise.reject(new AwsError(`InvalidActivation: ${activationId}`));
    a.deleted = true;
    return Promise.resolve();
  }

  override deregisterManagedInstance(id: string): Promise<void> {
    this.calls.deregister.push(id);
    const n = this.nodes.get(id);
    if (!n || n.deregistered) return Promise.reject(new AwsError(`InvalidInstanceId: ${id}`));
    n.deregistered = true;
    return Promise.resolve();
  }

  override setTags(id: string, tags: Record<string, string>): Promise<void> {
    this.calls.setTags.push({ id, tags: { ...tags } });
    const n = this.nodes.get(id);
    if (!n || n.deregistered) return Promise.reject(new AwsError(`InvalidResourceId: ${id}`));
    Object.assign(n.tags, tags);
    return Promise.resolve();
  }

  override listTags(id: string): Promise<Record<string, string>> {
    const n = this.nodes.get(id);
    if (!n) return Promise.reject(new AwsError(`InvalidResourceId: ${id}`));
    return Promise.resolve({ ...n.tags });
  }
}

/** Opens the sealed activation in a re-register script with one board's seal key, as openssl does there. */
export function openSealed(script: string, seal: SealPair): { code: string; id: string; region: string } | undefined {
  const fp = createHash('sha256').update(Buffer.from(seal.publicDer, 'base64')).digest('hex').slice(0, 16);
  const wrapped = new RegExp(`^sf_seal ${fp} (\\S+)$`, 'm').exec(script)?.[1];
  const payload = /sf_params <<'SF_EOF'\n([\s\S]*?)\nSF_EOF/.exec(script)?.[1]?.replace(/\n/g, '');
  if (!wrapped || !payload) return undefined;
  const keyIv = privateDecrypt({ key: seal.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from(wrapped, 'base64'));
  const d = createDecipheriv('aes-256-cbc', keyIv.subarray(0, 32), keyIv.subarray(32, 48));
  const text = gunzipSync(Buffer.concat([d.update(Buffer.from(payload, 'base64')), d.final()])).toString('utf8');
  const get = (k: string): string => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1] ?? '';
  return { code: get('code'), id: get('id'), region: get('region') };
}
