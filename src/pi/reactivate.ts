// `reactivate`: give every board of a cloned SD-card image its own SSM managed-node ID.
//
//   detect    identity script K times on every online managed node → suspects (src/pi/clones.ts)
//   activate  CreateActivation per group: the group's pi.iam_role, RegistrationLimit = boards to move + a
//             small margin, expiring in 1 h, tagged stns-fleet:reactivated=<run stamp> (copied to every
//             node that registers with it, which is how the new IDs are found)
//   move      per suspect ID, one board at a time: ask who answers → send the re-register script (the
//             activation sealed to that board's seal key) → the board that accepts says which it is →
//             wait for a node carrying the run stamp to come online → its identity must be that board →
//             tag it (Name, stns-fleet:previous-id, the old ID's other tags) → again, while the old ID
//             still answers from another board, up to the expected count
//   clean     deregister an old ID no board answers to once every board it stood for has moved; else keep
//             it (tagged stns-fleet:cloned) so boards that were off can still be reached and moved later
//   always    DeleteActivation for every activation created, on success, failure or abort
//
// Decision: EVERY board behind a cloned ID moves, the last one included. The old ID's credentials sit on
// every copy of the image (spare cards, the image file itself); retiring the ID makes those copies
// harmless, and every board ends with a fresh machine-id and host keys. So the old ID is deregistered only
// when no board answers to it AND no board the inventory lists for the group is unaccounted for.
//
// An activation that stops working mid-run (expired, used up) shows as a board that put its old
// registration back and reports step=register failed: a new activation is created once and the move
// retried. A re-run on a clean fleet only polls: no activation is created.
import { FleetError } from '../errors.js';
import { groupNames, targetsOf } from '../inventory/resolve.js';
import type { Inventory } from '../inventory/schema.js';
import type { Templates } from '../render/templates.js';
import type { DiscoveredHost, InvocationResult, ManagedNodeAdmin, Transport } from '../transport/types.js';
import { CLONED_TAG, detectClones, reasonText, type Detection, type GroupExpectation, type MissingBoard, type NodeObservation, type PollResult, type Suspect } from './clones.js';
import { boardKey, boardKeyOfAccepted, identityScript, parseIdentity, type BoardIdentity } from './identity-script.js';
import { boardName } from './naming.js';
import { parseReregisterOutput, reregisterScript } from './reregister-script.js';
import { normalizeSerial, piSettingsFor, type PiSettings } from './settings.js';

export const REACTIVATED_TAG = 'stns-fleet:reactivated';
export const PREVIOUS_ID_TAG = 'stns-fleet:previous-id';

export type ReactivateEvent = { kind: 'progress'; text: string } | { kind: 'warning'; text: string };

export interface ReactivateOptions {
  inventory: Inventory;
  groups?: string[];
  transport: Transport & ManagedNodeAdmin;
  /** Must hold host/pi-identity.sh and host/pi-reregister.sh. */
  templates: Templates;
  region: string;
  /** Identity polls per node for detection (default 3), this far apart (default 5 s). */
  polls?: number;
  pollIntervalMs?: number;
  /** How long to wait for a moved board's new ID to come online (default 4 min), polling this often (10 s). */
  newNodeTimeoutMs?: number;
  newNodePollMs?: number;
  /** Activation lifetime (default 1 h) and registrations beyond the boards to move (default 2). */
  activationTtlMs?: number;
  registrationMargin?: number;
  /** Boards moved per ID at most when the inventory lists none (default 50). */
  maxBoards?: number;
  /** Seconds the board waits before stopping its agent (default 5). */
  workerDelaySeconds?: number;
  /** IDs to treat as cloned whatever the polls say (--id). */
  forced?: string[];
  dryRun?: boolean;
  /** Asked after detection, before anything changes, with what would be done; false stops there. */
  confirm?: (planned: ReactivateReport) => Promise<boolean>;
  /** Told every activation code as soon as it exists (so the caller can scrub it from any output). */
  onSecret?: (code: string) => void;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onEvent?: (e: ReactivateEvent) => void;
}

export type BoardOutcome = 'moved' | 'failed' | 'pending' | 'offline' | 'planned';

export interface BoardReport {
  group: string;
  oldId: string;
  newId?: string;
  serial?: string;
  name?: string;
  outcome: BoardOutcome;
  detail: string;
}

export interface IdReport {
  id: string;
  group: string;
  reasons: string[];
  expected: number;
  expectedFrom: 'inventory' | 'seen';
  boardsSeen: number;
  action: 'deregistered' | 'kept' | 'planned';
  detail: string;
}

export interface ActivationRecord {
  group: string;
  activationId: string;
  registrationLimit: number;
  expiresAt: string;
  /** Why this one replaced the previous: 'expired' (registration refused) or 'used-up'. */
  replaced?: 'expired' | 'used-up';
  deleted: boolean;
  deleteError?: string;
}

export interface ReactivateReport {
  stamp: string;
  dryRun: boolean;
  /** Nothing suspected: nothing was created, moved or deregistered. */
  clean: boolean;
  nodesPolled: number;
  warnings: string[];
  ids: IdReport[];
  boards: BoardReport[];
  activations: ActivationRecord[];
  aborted?: string;
  /** The confirmation was declined: nothing changed. */
  declined?: boolean;
}

const IDENTITY_COMMENT = 'stns-fleet pi identity (read-only)';

interface Activation {
  record: ActivationRecord;
  code: string;
  used: number;
}

interface GroupCtx {
  group: string;
  pi: PiSettings;
  /** Tags of the group's cloned IDs (not Name, not stns-fleet:*): copied to every node that registers, so
   * the new IDs match the group's tag selectors from their first ping. */
  inherit: Record<string, string>;
  activation?: Activation;
}

type Probe = { kind: 'board'; identity: BoardIdentity } | { kind: 'silent'; detail: string } | { kind: 'error'; detail: string };

const NOT_DELIVERED = new Set(['Undeliverable', 'DeliveryTimedOut', 'NoInvocation', 'InvalidInstanceId']);

function inheritable(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => k !== 'Name' && !k.startsWith('stns-fleet:') && !k.startsWith('aws:')));
}

class Aborted extends Error {}

export async function reactivate(o: ReactivateOptions): Promise<ReactivateReport> {
  const tr = o.transport;
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => abortableSleep(ms, o.signal));
  const say = (text: string): void => o.onEvent?.({ kind: 'progress', text });
  const warnings: string[] = [];
  const warn = (text: string): void => {
    warnings.push(text);
    o.onEvent?.({ kind: 'warning', text });
  };
  const checkAbort = (): void => {
    if (o.signal?.aborted) throw new Aborted('interrupted');
  };
  const stamp = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const groups = o.groups ?? groupNames(o.inventory);
  const idScript = identityScript(o.templates);
  const polls = o.polls ?? 3;
  const report: ReactivateReport = { stamp, dryRun: o.dryRun === true, clean: true, nodesPolled: 0, warnings, ids: [], boards: [], activations: [] };

  // ---------------------------------------------------------------- discover
  say(`Discovering the managed nodes of ${groups.length} group(s)`);
  const nodes = new Map<string, { host: DiscoveredHost; group: string }>();
  for (const g of groups) {
    const d = await tr.discover(targetsOf(o.inventory, g), { tags: true });
    for (const h of d.hosts) {
      if (h.kind !== 'managed') continue;
      const first = nodes.get(h.id);
      if (first) warn(`${h.id} is selected by groups ${first.group} and ${g}: treated as ${first.group}`);
      else nodes.set(h.id, { host: h, group: g });
    }
  }
  const isOnline = (h: DiscoveredHost): boolean => h.ssm?.pingStatus === 'Online';
  const online = [...nodes.values()].filter((n) => isOnline(n.host)).map((n) => n.host.id);
  report.nodesPolled = online.length;

  // ---------------------------------------------------------------- detect
  const pollResults = new Map<string, PollResult[]>(online.map((id) => [id, []]));
  for (let i = 0; i < polls && online.length > 0; i++) {
    checkAbort();
    if (i > 0) await sleep(o.pollIntervalMs ?? 5000);
    say(`Identity poll ${i + 1}/${polls} of ${online.length} node(s)`);
    const rs = await runSafe(tr, { script: idScript, instanceIds: online, comment: IDENTITY_COMMENT, deliveryTimeoutSeconds: 60, executionTimeoutSeconds: 60 }, o.signal);
    for (const id of online) pollResults.get(id)!.push(await identityOf(tr, rs.get(id)));
  }
  const expectations = new Map<string, GroupExpectation>();
  const piOf = new Map<string, PiSettings>();
  for (const g of groups) {
    const pi = piSettingsFor(o.inventory, g);
    piOf.set(g, pi);
    expectations.set(g, { names: pi.names, namePrefix: pi.namePrefix, newMachineId: pi.newMachineId });
  }
  const observations: NodeObservation[] = [...nodes.values()].map(({ host, group }) => ({
    id: host.id,
    group,
    online: isOnline(host),
    ...(host.ssm?.ipAddress ? { ssmIp: host.ssm.ipAddress } : {}),
    tags: host.tags,
    polls: pollResults.get(host.id) ?? [],
  }));
  const detection = detectClones(observations, expectations, { forced: o.forced ?? [] });
  for (const w of detection.warnings) warn(w);
  if (detection.suspects.length === 0) {
    for (const [group, miss] of detection.missing) {
      for (const m of miss) warn(`group ${group}: ${m.name} (serial ${m.serial}) is listed in pi.names but no online node reported it`);
    }
    return report;
  }
  report.clean = false;

  const idReport = (s: Suspect, action: IdReport['action'], detail: string): IdReport => ({
    id: s.id,
    group: s.group,
    reasons: s.reasons.map(reasonText),
    expected: s.expected,
    expectedFrom: s.expectedFrom,
    boardsSeen: s.boards.length,
    action,
    detail,
  });

  const planned = (): ReactivateReport => {
    const p: ReactivateReport = { ...report, warnings: [...warnings], ids: [], boards: [], activations: [] };
    for (const s of detection.suspects) {
      const pi = piOf.get(s.group)!;
      const what = !s.online
        ? 'offline: deregister it once every board listed for its group answers under its own ID'
        : !pi.iamRole
          ? `cannot move its boards: group ${s.group} has no pi.iam_role`
          : `move ${s.expectedFrom === 'inventory' ? `its ${s.expected} board(s)` : `every board behind it (${s.boards.length} seen so far)`} to new IDs, then deregister it`;
      p.ids.push(idReport(s, 'planned', what));
      for (const b of s.boards) p.boards.push({ group: s.group, oldId: s.id, ...serialOf(b.identity), ...(b.name ? { name: b.name } : {}), outcome: 'planned', detail: 'to move to a new ID' });
    }
    for (const [group, miss] of detection.missing) for (const m of miss) p.boards.push(offlineBoard(group, m, detection));
    return p;
  };
  if (o.dryRun) return planned();
  if (o.confirm && !(await o.confirm(planned()))) return { ...planned(), declined: true };

  // ---------------------------------------------------------------- move, per group
  const claimed = new Set<string>(nodes.keys());
  const movedKeys = new Set<string>();
  const ctxs = new Map<string, GroupCtx>();
  let renewedOnce = false;

  const createActivation = async (c: GroupCtx, needed: number, replaced?: 'expired' | 'used-up'): Promise<Activation> => {
    if (c.activation) await deleteActivation(c.activation);
    const limit = Math.min(1000, Math.max(1, needed) + (o.registrationMargin ?? 2));
    const expiresAt = new Date(now() + (o.activationTtlMs ?? 3_600_000));
    say(`Creating an activation for group ${c.group} (${limit} registrations, until ${expiresAt.toISOString()})`);
    const a = await tr.createActivation({
      iamRole: c.pi.iamRole!,
      registrationLimit: limit,
      expiresAt,
      defaultInstanceName: c.pi.namePrefix,
      description: `stns-fleet reactivate ${stamp}, group ${c.group}`,
      tags: { ...c.inherit, [REACTIVATED_TAG]: stamp },
    });
    codes.push(a.activationCode);
    o.onSecret?.(a.activationCode);
    const act: Activation = {
      record: { group: c.group, activationId: a.activationId, registrationLimit: limit, expiresAt: expiresAt.toISOString(), ...(replaced ? { replaced } : {}), deleted: false },
      code: a.activationCode,
      used: 0,
    };
    report.activations.push(act.record);
    c.activation = act;
    return act;
  };
  const deleteActivation = async (a: Activation): Promise<void> => {
    if (a.record.deleted) return;
    try {
      await tr.deleteActivation(a.record.activationId);
      a.record.deleted = true;
    } catch (e) {
      a.record.deleteError = (e as Error).message;
      warn(`activation ${a.record.activationId} could not be deleted (${(e as Error).message}); it expires at ${a.record.expiresAt}`);
    }
  };
  const codes: string[] = [];

  /** Who answers to `id` now: a board, nobody (the command was not delivered), or a board whose script failed. */
  const probe = async (id: string): Promise<Probe> => {
    const rs = await runSafe(tr, { script: idScript, instanceIds: [id], comment: IDENTITY_COMMENT, deliveryTimeoutSeconds: 30, executionTimeoutSeconds: 60 }, o.signal);
    const r = rs.get(id);
    if (!r || r.responseCode === -1 || NOT_DELIVERED.has(r.statusDetails)) return { kind: 'silent', detail: r ? `${r.status}/${r.statusDetails}` : 'no result' };
    const i = await identityOf(tr, r);
    return 'error' in i ? { kind: 'error', detail: i.error } : { kind: 'board', identity: i };
  };

  try {
    // Online IDs first: retiring an offline one depends on which listed boards the others moved.
    const ordered = [...detection.suspects.filter((x) => x.online), ...detection.suspects.filter((x) => !x.online)];
    for (const s of ordered) {
      checkAbort();
      const pi = piOf.get(s.group)!;
      if (!s.online) {
        report.ids.push(await retireOffline(s));
        continue;
      }
      if (!pi.iamRole) {
        report.ids.push(idReport(s, 'kept', `group ${s.group} has no pi.iam_role: no activation can be created for it`));
        for (const b of s.boards) report.boards.push({ group: s.group, oldId: s.id, ...serialOf(b.identity), ...(b.name ? { name: b.name } : {}), outcome: 'failed', detail: 'not moved: set pi.iam_role for this group' });
        continue;
      }
      let c = ctxs.get(s.group);
      if (!c) {
        const inherit: Record<string, string> = {};
        for (const x of detection.suspects.filter((y) => y.group === s.group).reverse()) Object.assign(inherit, inheritable(nodes.get(x.id)!.host.tags));
        c = { group: s.group, pi, inherit };
        ctxs.set(s.group, c);
        const needed = detection.suspects.filter((x) => x.group === s.group && x.online).reduce((n, x) => n + Math.max(1, x.expected), 0);
        await createActivation(c, needed);
      }
      report.ids.push(await moveBoards(s, c));
    }
    for (const [group, miss] of detection.missing) {
      for (const m of miss) if (!movedKeys.has(`serial:${normalizeSerial(m.serial)}`)) report.boards.push(offlineBoard(group, m, detection));
    }
  } catch (e) {
    if (e instanceof Aborted) report.aborted = e.message;
    else throw scrubError(e, codes);
  } finally {
    for (const c of ctxs.values()) if (c.activation) await deleteActivation(c.activation);
  }
  return report;

  // ---------------------------------------------------------------- helpers (closures over the run)

  async function retireOffline(s: Suspect): Promise<IdReport> {
    if (piOf.get(s.group)!.names.size === 0) {
      return idReport(s, 'kept', `offline; without pi.names for group ${s.group} stns-fleet cannot tell whether a switched-off board still holds it: deregister it yourself once every board is accounted for`);
    }
    const unaccounted = stillMissing(s.group);
    if (unaccounted.length > 0) {
      return idReport(s, 'kept', `offline; kept for ${unaccounted.length} listed board(s) not seen: ${unaccounted.map((m) => m.name).join(', ')}`);
    }
    try {
      await tr.deregisterManagedInstance(s.id);
      return idReport(s, 'deregistered', 'offline, and every board the inventory lists for its group answers under its own ID');
    } catch (e) {
      return idReport(s, 'kept', `deregistering failed: ${(e as Error).message}`);
    }
  }

  function stillMissing(group: string): MissingBoard[] {
    return (detection.missing.get(group) ?? []).filter((m) => !movedKeys.has(`serial:${normalizeSerial(m.serial)}`));
  }

  async function moveBoards(s: Suspect, c: GroupCtx): Promise<IdReport> {
    const oldTags = inheritable(nodes.get(s.id)!.host.tags);
    const sealKeys = new Set(s.boards.flatMap((b) => (b.identity.sealKey ? [b.identity.sealKey] : [])));
    const cap = s.expectedFrom === 'inventory' ? s.expected : Math.max(s.expected, o.maxBoards ?? 50);
    const maxAttempts = cap * 2 + 2;
    let moved = 0;
    let attempts = 0;
    let last: Probe | undefined;
    let stop: string | undefined;
    let sealMisses = 0;
    const unfinished = new Set<string>(); // boards that accepted but did not end under a new ID

    while (moved < cap && attempts < maxAttempts) {
      checkAbort();
      attempts++;
      last = await probe(s.id);
      if (last.kind === 'silent') break; // no board answers to the old ID any more
      if (last.kind === 'error') {
        stop = `a board answers but its identity script fails (${last.detail})`;
        break;
      }
      const board = last.identity;
      const key = boardKey(board);
      if (board.sealKey) sealKeys.add(board.sealKey);
      if (unfinished.has(key)) {
        stop = `${describeBoard(board)} already failed to move in this run`;
        break;
      }
      const state = board.status['state'];
      if ((state === 'accepted' || state === 'running') && board.status['old'] === s.id) {
        say(`${s.id}: ${describeBoard(board)} is still moving (step ${board.status['step'] ?? state}); waiting`);
        await sleep(o.newNodePollMs ?? 10_000);
        continue;
      }
      if (sealKeys.size === 0) {
        stop = `${describeBoard(board)} has no seal key (no openssl on the board?): the activation code cannot be sent to it sealed`;
        markFailed(s, board, stop);
        break;
      }
      let act = c.activation!;
      if (act.used >= act.record.registrationLimit) act = await createActivation(c, Math.max(1, cap - moved), 'used-up');

      const script = reregisterScript(
        o.templates,
        { oldId: s.id, newMachineId: c.pi.newMachineId, newHostKeys: c.pi.newHostKeys, recipients: [...sealKeys], delaySeconds: o.workerDelaySeconds ?? 5 },
        { activationId: act.record.activationId, activationCode: act.code, region: o.region },
      );
      say(`${s.id}: sending the re-register script (board ${moved + 1} of ${s.expectedFrom === 'inventory' ? s.expected : `up to ${cap}`})`);
      const sent = (await runSafe(tr, { script, instanceIds: [s.id], comment: `stns-fleet pi reregister ${s.id}`, deliveryTimeoutSeconds: 60, executionTimeoutSeconds: 120 }, o.signal)).get(s.id);
      const ans = parseReregisterOutput(sent?.output ?? '');
      if (ans.kind === 'refused') {
        if (ans.word === 'seal' && ++sealMisses <= 2) continue; // the next probe learns that board's seal key
        if (ans.word === 'busy') {
          await sleep(o.newNodePollMs ?? 10_000);
          continue;
        }
        stop = `the board refused to move: ${ans.word} ${ans.reason}`;
        markFailed(s, board, stop);
        break;
      }
      if (ans.kind === 'none') {
        warn(`${s.id}: the re-register script got no answer (${sent ? `${sent.status}/${sent.statusDetails}` : 'no result'}); asking again`);
        continue;
      }
      sealMisses = 0;
      const moving = boardKeyOfAccepted(ans.fields);
      const r = await waitForNewNode(s, moving);
      if (r.kind === 'moved') {
        act.used++;
        moved++;
        await finishMove(s, c, r.id, r.identity, board, oldTags);
        continue;
      }
      if (r.kind === 'register-failed') {
        if (!renewedOnce) {
          renewedOnce = true;
          warn(`${s.id}: ${r.board ? describeBoard(r.board) : 'the board'} could not register (${r.reason}); creating a new activation and trying again`);
          await createActivation(c, Math.max(1, cap - moved), 'expired');
          continue;
        }
        stop = `registration failed again with a new activation (${r.reason})`;
        unfinished.add(moving);
        report.boards.push({ group: s.group, oldId: s.id, ...serialFromKey(moving), ...nameFromKey(moving, c.pi), outcome: 'failed', detail: `${stop}; the board put its old registration back` });
        break;
      }
      unfinished.add(moving);
      report.boards.push({
        group: s.group,
        oldId: s.id,
        ...serialFromKey(moving),
        ...nameFromKey(moving, c.pi),
        outcome: 'pending',
        detail: 'accepted the re-registration, but no new ID came online in time; /var/lib/stns-fleet/pi-reregister.status on the board says how it ended (a later run finds it)',
      });
    }

    // Does any board still answer to the old ID? (Trust a probe that just found nobody; else ask again.)
    const final = last?.kind === 'silent' ? last : await probe(s.id);
    const answering = final.kind === 'board' ? final.identity : undefined;
    if (final.kind === 'error' && !stop) stop = `a board answers but its identity script fails (${final.detail})`;
    const unaccounted = stillMissing(s.group);
    const leftBehind = s.boards.filter((b) => !movedKeys.has(b.key));
    if (final.kind === 'silent' && !stop && unfinished.size === 0 && unaccounted.length === 0 && leftBehind.length === 0) {
      try {
        await tr.deregisterManagedInstance(s.id);
        return idReport(s, 'deregistered', `${moved} board(s) moved; no board answers to it any more`);
      } catch (e) {
        return idReport(s, 'kept', `${moved} board(s) moved; deregistering failed: ${(e as Error).message}`);
      }
    }
    try {
      if (nodes.get(s.id)!.host.tags[CLONED_TAG] === undefined) await tr.setTags(s.id, { [CLONED_TAG]: stamp });
    } catch (e) {
      warn(`${s.id}: could not tag it ${CLONED_TAG} (${(e as Error).message})`);
    }
    const why = [
      ...(stop ? [stop] : []),
      ...(answering && !stop ? [`it still answers from ${describeBoard(answering)}${moved >= cap && s.expectedFrom === 'inventory' ? ', which the inventory does not list for this group (add it to pi.names)' : ''}`] : []),
      ...(unfinished.size > 0 ? [`${unfinished.size} board(s) did not finish moving`] : []),
      ...(unaccounted.length > 0 ? [`${unaccounted.length} listed board(s) not seen (switched off?): ${unaccounted.map((m) => m.name).join(', ')}`] : []),
      ...(leftBehind.length > 0 && !answering ? [`${leftBehind.length} board(s) seen behind it did not come back`] : []),
    ];
    return idReport(s, 'kept', `${moved} board(s) moved; kept (tagged ${CLONED_TAG}) because ${why.join('; ') || 'not every board moved'}; run reactivate again when they are online`);
  }

  function markFailed(s: Suspect, b: BoardIdentity, detail: string): void {
    const name = boardName(b, piOf.get(s.group)!)?.name;
    report.boards.push({ group: s.group, oldId: s.id, ...serialOf(b), ...(name ? { name } : {}), outcome: 'failed', detail });
  }

  async function waitForNewNode(
    s: Suspect,
    moving: string,
  ): Promise<{ kind: 'moved'; id: string; identity: BoardIdentity } | { kind: 'register-failed'; reason: string; board?: BoardIdentity } | { kind: 'timeout' }> {
    const deadline = now() + (o.newNodeTimeoutMs ?? 240_000);
    const every = o.newNodePollMs ?? 10_000;
    let round = 0;
    while (now() < deadline) {
      checkAbort();
      await sleep(every);
      round++;
      const d = await tr.discover({ ids: [], tagSelectors: [{ [REACTIVATED_TAG]: [stamp] }] });
      const fresh = d.hosts.filter((h) => h.kind === 'managed' && isOnline(h) && !claimed.has(h.id)).map((h) => h.id);
      if (fresh.length > 0) {
        const rs = await runSafe(tr, { script: idScript, instanceIds: fresh, comment: IDENTITY_COMMENT, deliveryTimeoutSeconds: 60, executionTimeoutSeconds: 60 }, o.signal);
        for (const id of fresh) {
          const ident = await identityOf(tr, rs.get(id));
          if ('error' in ident) continue;
          if (boardKey(ident) === moving) {
            claimed.add(id);
            return { kind: 'moved', id, identity: ident };
          }
        }
      }
      // Every other round, see whether the board came back under the old ID with a failed registration.
      if (round % 2 === 0) {
        const p = await probe(s.id);
        const b = p.kind === 'board' ? p.identity : undefined;
        if (b && boardKey(b) === moving && b.status['state'] === 'failed' && b.status['old'] === s.id) {
          return { kind: 'register-failed', reason: `${b.status['step'] ?? '?'}: ${b.status['reason'] ?? 'no reason given'}`, board: b };
        }
      }
    }
    return { kind: 'timeout' };
  }

  async function finishMove(s: Suspect, c: GroupCtx, newId: string, ident: BoardIdentity, before: BoardIdentity, oldTags: Record<string, string>): Promise<void> {
    const key = boardKey(ident);
    movedKeys.add(key);
    const named = boardName(ident, c.pi);
    const notes: string[] = [];
    if (ident.managedId && ident.managedId !== newId) notes.push(`the board reports ${ident.managedId}`);
    if (c.pi.newMachineId && boardKey(before) === key && before.machineId && before.machineId === ident.machineId) notes.push('machine-id unchanged');
    if (c.pi.newHostKeys && boardKey(before) === key && before.hostKey && before.hostKey === ident.hostKey) notes.push('SSH host keys unchanged');
    try {
      await tr.setTags(newId, { ...oldTags, ...(named ? { Name: named.name } : {}), [PREVIOUS_ID_TAG]: s.id });
    } catch (e) {
      notes.push(`tagging failed: ${(e as Error).message} (run stns-fleet tag)`);
    }
    say(`${s.id}: ${describeBoard(ident)} is now ${newId}${named ? ` (${named.name})` : ''}`);
    report.boards.push({
      group: s.group,
      oldId: s.id,
      newId,
      ...serialOf(ident),
      ...(named ? { name: named.name } : {}),
      outcome: 'moved',
      detail: notes.length > 0 ? `moved; ${notes.join('; ')}` : 'moved; new machine-id and host keys as configured',
    });
  }
}

// -------------------------------------------------------------------------------------------- small helpers

function serialOf(i: BoardIdentity): { serial?: string } {
  return i.serial ? { serial: i.serial } : {};
}

function serialFromKey(key: string): { serial?: string } {
  return key.startsWith('serial:') ? { serial: key.slice(7) } : {};
}

function nameFromKey(key: string, pi: PiSettings): { name?: string } {
  const serial = serialFromKey(key).serial;
  const n = serial ? boardName({ serial }, pi)?.name : undefined;
  return n ? { name: n } : {};
}

function describeBoard(i: BoardIdentity): string {
  if (i.serial) return `board ${i.serial}`;
  const mac = i.macs[0]?.mac;
  return mac ? `board with MAC ${mac}` : `board (boot ${i.bootId ?? '?'})`;
}

function offlineBoard(group: string, m: MissingBoard, d: Detection): BoardReport {
  const holder = d.suspects.find((s) => s.group === group && s.missing.some((x) => x.serial === m.serial));
  return {
    group,
    oldId: holder?.id ?? '-',
    serial: m.serial,
    name: m.name,
    outcome: 'offline',
    detail: holder ? `listed in the inventory but not seen: switched off, or still behind ${holder.id}; a later run moves it` : 'listed in the inventory but not seen on any node',
  };
}

async function runSafe(tr: Transport, req: Parameters<Transport['run']>[0], signal?: AbortSignal): Promise<Map<string, InvocationResult>> {
  try {
    const rs = await tr.run(req, signal ? { signal } : {});
    return new Map(rs.map((r) => [r.instanceId, r]));
  } catch (e) {
    // A deregistered or unknown ID makes SendCommand fail as a whole: treat it as "no answer".
    if (signal?.aborted) throw new Aborted('interrupted');
    const msg = (e as Error).message;
    return new Map(req.instanceIds.map((id) => [id, { instanceId: id, commandId: '', status: 'Failed', statusDetails: 'Undeliverable', responseCode: -1, output: '', stderr: msg, truncated: false }]));
  }
}

async function identityOf(tr: Transport, r: InvocationResult | undefined): Promise<PollResult> {
  if (!r) return { error: 'no result' };
  if (r.status !== 'Success') return { error: `${r.status}/${r.statusDetails}` };
  let out = r.output;
  if (r.truncated) out = (await tr.fullOutput(r.commandId, r.instanceId)).stdout;
  return parseIdentity(out);
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

function scrubError(e: unknown, codes: string[]): unknown {
  if (!(e instanceof Error)) return e;
  let m = e.message;
  for (const c of codes) if (c.length >= 4) m = m.split(c).join('(sensitive)');
  if (m === e.message) return e;
  return e instanceof FleetError ? new FleetError(e.code, m, { ...(e.hint ? { hint: e.hint } : {}), details: e.details }) : new Error(m);
}
