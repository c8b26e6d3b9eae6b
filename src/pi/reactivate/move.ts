// Moving the boards behind one cloned ID, one board at a time, as a state machine. One board's move:
//
//   probe   ask who answers to the old ID ── nobody, its script fails, the cap is reached, it already
//     │     failed in this run, or no seal key is known (the board fails) → settle
//     │     a board still moving from an earlier send → wait → probe
//     │ a board
//   send    the re-register script, the activation sealed to every seal key seen ── refused: seal (the next
//     │     probe learns that board's key) → probe; busy → wait; otherwise the board fails → settle
//     │ accepted
//   await   a new node with the run's stamp and this board's identity ── timeout: pending → probe;
//     │     registration refused → a new activation (once per run) → probe, else the board fails → settle
//     │ found
//   tag     tag the new node, report the board moved → probe (the next board)
//
//   settle  deregister or keep the old ID (retire.ts) → done
//
// Each transition returns a new state; the only state shared beyond one ID is the run's Ledger and
// Activations, which step() is handed explicitly.
import type { MissingBoard } from '../clones.js';
import { boardKey, boardKeyOfAccepted, type BoardIdentity } from '../identity-script.js';
import { parseReregisterOutput, reregisterScript } from '../reregister-script.js';
import type { Activation, Activations } from './activations.js';
import { checkAbort, type RunEnv } from './env.js';
import { awaitNewNode, finishMove } from './new-node.js';
import { inheritable, type GroupPlan, type MovePlan } from './plan.js';
import { probe, replyText, runSafe, stdoutOf, type Probe } from './probe.js';
import { boardRow, describeBoard, keyRow, type IdReport, type Ledger } from './report.js';
import { settleMoved } from './retire.js';

/** How the moves behind the ID stand; every transition makes a new one. */
export interface Tally {
  readonly moved: number;
  /** Probes so far: the machine gives up after cap * 2 + 2 (boards that keep refusing, pending ones). */
  readonly attempts: number;
  /** Consecutive seal refusals: a board may hold a key the polls never saw; two tries to learn it. */
  readonly sealMisses: number;
  /** Seal keys seen: the activation is sealed to all of them (clones share the image's key). */
  readonly sealKeys: ReadonlySet<string>;
  /** Keys of boards that accepted but did not end under a new ID. */
  readonly unfinished: ReadonlySet<string>;
  readonly last?: Probe;
}

export type MoveState =
  | { at: 'probe'; tally: Tally }
  | { at: 'wait'; tally: Tally }
  | { at: 'send'; tally: Tally; board: BoardIdentity }
  | { at: 'await'; tally: Tally; board: BoardIdentity; moving: string; activation: Activation }
  | { at: 'tag'; tally: Tally; before: BoardIdentity; newId: string; identity: BoardIdentity }
  | { at: 'settle'; tally: Tally; stop?: string }
  | { at: 'done'; report: IdReport };

export interface MoveCtx {
  env: RunEnv;
  ledger: Ledger;
  activations: Activations;
  plan: MovePlan;
  group: GroupPlan;
  /** The group's listed boards that detection did not see. */
  missing: MissingBoard[] | undefined;
}

export function initialState(p: MovePlan): MoveState {
  const sealKeys = new Set(p.suspect.boards.flatMap((b) => (b.identity.sealKey ? [b.identity.sealKey] : [])));
  return { at: 'probe', tally: { moved: 0, attempts: 0, sealMisses: 0, sealKeys, unfinished: new Set() } };
}

/** Runs the machine to its end: the old ID's report. Board rows go to the ledger as they are decided. */
export async function moveBoards(c: MoveCtx): Promise<IdReport> {
  let s = initialState(c.plan);
  while (s.at !== 'done') s = await step(s, c);
  return s.report;
}

export async function step(s: MoveState, c: MoveCtx): Promise<MoveState> {
  switch (s.at) {
    case 'probe':
      return probeStep(s.tally, c);
    case 'wait':
      await c.env.sleep(c.env.limits.newNodePollMs);
      return { at: 'probe', tally: s.tally };
    case 'send':
      return sendStep(s.tally, s.board, c);
    case 'await':
      return awaitStep(s, c);
    case 'tag':
      await finishMove(c.env, c.ledger, { suspect: c.plan.suspect, pi: c.group.pi, oldTags: inheritable(c.plan.tags) }, s.newId, s.identity, s.before);
      return { at: 'probe', tally: s.tally };
    case 'settle': {
      const t = s.tally;
      const end = { moved: t.moved, unfinished: t.unfinished.size, ...(t.last ? { last: t.last } : {}), ...(s.stop ? { stop: s.stop } : {}) };
      return { at: 'done', report: await settleMoved(c.env, c.ledger, c.plan, c.missing, end) };
    }
    case 'done':
      return s;
    default:
      return s satisfies never;
  }
}

async function probeStep(t: Tally, c: MoveCtx): Promise<MoveState> {
  const { env, plan } = c;
  const id = plan.suspect.id;
  if (t.moved >= plan.cap || t.attempts >= plan.cap * 2 + 2) return { at: 'settle', tally: t };
  checkAbort(env.signal);
  const last = await probe(env, id);
  const counted: Tally = { ...t, attempts: t.attempts + 1, last };
  if (last.kind === 'silent') return { at: 'settle', tally: counted }; // no board answers to the old ID any more
  if (last.kind === 'error') return { at: 'settle', tally: counted, stop: `a board answers but its identity script fails (${last.detail})` };
  const board = last.identity;
  const tally: Tally = board.sealKey && !t.sealKeys.has(board.sealKey) ? { ...counted, sealKeys: new Set([...t.sealKeys, board.sealKey]) } : counted;
  if (t.unfinished.has(boardKey(board))) return { at: 'settle', tally, stop: `${describeBoard(board)} already failed to move in this run` };
  const state = board.status['state'];
  if ((state === 'accepted' || state === 'running') && board.status['old'] === id) {
    env.say(`${id}: ${describeBoard(board)} is still moving (step ${board.status['step'] ?? state}); waiting`);
    return { at: 'wait', tally };
  }
  if (tally.sealKeys.size === 0) {
    const stop = `${describeBoard(board)} has no seal key (no openssl on the board?): the activation code cannot be sent to it sealed`;
    c.ledger.boards.push(boardRow(plan.suspect, board, c.group.pi, 'failed', stop));
    return { at: 'settle', tally, stop };
  }
  return { at: 'send', tally, board };
}

async function sendStep(t: Tally, board: BoardIdentity, c: MoveCtx): Promise<MoveState> {
  const { env, plan, group } = c;
  const s = plan.suspect;
  let act = c.activations.of(group.group)!;
  if (c.activations.usedUp(act)) act = await c.activations.create(group, Math.max(1, plan.cap - t.moved), 'used-up');
  const script = reregisterScript(
    env.templates,
    { oldId: s.id, newMachineId: group.pi.newMachineId, newHostKeys: group.pi.newHostKeys, recipients: [...t.sealKeys], delaySeconds: env.limits.workerDelaySeconds },
    { activationId: act.record.activationId, activationCode: act.code, region: env.region },
  );
  env.say(`${s.id}: sending the re-register script (board ${t.moved + 1} of ${s.expectedFrom === 'inventory' ? s.expected : `up to ${plan.cap}`})`);
  const sent = (await runSafe(env, { script, instanceIds: [s.id], comment: `stns-fleet pi reregister ${s.id}`, deliveryTimeoutSeconds: 60, executionTimeoutSeconds: 120 })).get(s.id);
  const ans = parseReregisterOutput(stdoutOf(sent));
  switch (ans.kind) {
    case 'refused': {
      if (ans.word === 'seal' && t.sealMisses < 2) return { at: 'probe', tally: { ...t, sealMisses: t.sealMisses + 1 } }; // the next probe learns its key
      if (ans.word === 'busy') return { at: 'wait', tally: t };
      const stop = `the board refused to move: ${ans.word} ${ans.reason}`;
      c.ledger.boards.push(boardRow(s, board, group.pi, 'failed', stop));
      return { at: 'settle', tally: t, stop };
    }
    case 'none':
      env.warn(`${s.id}: the re-register script got no answer (${replyText(sent)}); asking again`);
      return { at: 'probe', tally: t };
    case 'accepted':
      return { at: 'await', tally: { ...t, sealMisses: 0 }, board, moving: boardKeyOfAccepted(ans.fields), activation: act };
    default:
      return ans satisfies never;
  }
}

async function awaitStep(s: Extract<MoveState, { at: 'await' }>, c: MoveCtx): Promise<MoveState> {
  const { env, plan, group } = c;
  const t = s.tally;
  const r = await awaitNewNode(env, c.ledger, plan.suspect.id, s.moving);
  switch (r.kind) {
    case 'moved':
      c.activations.registered(s.activation);
      return { at: 'tag', tally: { ...t, moved: t.moved + 1 }, before: s.board, newId: r.id, identity: r.identity };
    case 'register-failed': {
      if (c.activations.takeRenewal()) {
        env.warn(`${plan.suspect.id}: ${describeBoard(r.board)} could not register (${r.reason}); creating a new activation and trying again`);
        await c.activations.create(group, Math.max(1, plan.cap - t.moved), 'expired');
        return { at: 'probe', tally: t };
      }
      const stop = `registration failed again with a new activation (${r.reason})`;
      c.ledger.boards.push(keyRow(plan.suspect, s.moving, group.pi, 'failed', `${stop}; the board put its old registration back`));
      return { at: 'settle', tally: { ...t, unfinished: new Set([...t.unfinished, s.moving]) }, stop };
    }
    case 'timeout':
      c.ledger.boards.push(
        keyRow(plan.suspect, s.moving, group.pi, 'pending', 'accepted the re-registration, but no new ID came online in time; /var/lib/stns-fleet/pi-reregister.status on the board says how it ended (a later run finds it)'),
      );
      return { at: 'probe', tally: { ...t, unfinished: new Set([...t.unfinished, s.moving]) } };
    default:
      return r satisfies never;
  }
}
