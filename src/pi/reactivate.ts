// `reactivate`: give every board of a cloned SD-card image its own SSM managed-node ID.
//
//   detect    identity script K times on every online managed node → suspects (reactivate/detect.ts,
//             src/pi/clones.ts)
//   plan      per suspect: move its boards, retire it (offline), or report it cannot move (reactivate/plan.ts)
//   activate  CreateActivation per group: the group's pi.iam_role, RegistrationLimit = boards to move + a
//             small margin, expiring in 1 h, tagged stns-fleet:reactivated=<run stamp> (copied to every
//             node that registers with it, which is how the new IDs are found) (reactivate/activations.ts)
//   move      per suspect ID, one board at a time: ask who answers → send the re-register script (the
//             activation sealed to that board's seal key) → the board that accepts says which it is →
//             wait for a node carrying the run stamp to come online → its identity must be that board →
//             tag it (Name, stns-fleet:previous-id, the old ID's other tags) → again, while the old ID
//             still answers from another board, up to the expected count (reactivate/move.ts, new-node.ts)
//   clean     deregister an old ID no board answers to once every board it stood for has moved; else keep
//             it (tagged stns-fleet:cloned) so boards that were off can still be reached and moved later
//             (reactivate/retire.ts)
//   always    DeleteActivation for every activation created, on success, failure or interrupt (reactivate/run.ts)
//
// Decision: EVERY board behind a cloned ID moves, the last one included. The old ID's credentials sit on
// every copy of the image (spare cards, the image file itself); retiring the ID makes those copies
// harmless, and every board ends with a fresh machine-id and host keys. So the old ID is deregistered only
// when no board answers to it AND no board the inventory lists for the group is unaccounted for.
//
// An activation that stops working mid-run (expired, used up) shows as a board that put its old
// registration back and reports step=register failed: a new activation is created once and the move
// retried. A re-run on a clean fleet only polls: no activation is created.
export { PREVIOUS_ID_TAG, REACTIVATED_TAG } from './reactivate/env.js';
export type { ActivationRecord, BoardOutcome, BoardReport, IdReport, ReactivateEvent, ReactivateReport } from './reactivate/report.js';
export { reactivate, type ReactivateOptions } from './reactivate/run.js';
