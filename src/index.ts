// stns-fleet as a library (`import … from 'stns-fleet'`): the package's only entry point besides the
// `stns-fleet` command. What is exported here is the public API; every other module under dist/ is internal
// and may change between versions. The repository's local lab, demo and benchmark (packages/lab) use only this.

// The fleet commands, as `stns-fleet plan|apply|verify` run them: the options are the command line's flags,
// `sdkTransport` reaches AWS (or the endpoint AWS_ENDPOINT_URL names), `Io` takes what the command prints
// (stdout and stderr; secrets scrubbed), and each returns its exit code (`EXIT`: the one exit-code map).
export { planCommand, applyCommand, verifyCommand, type PlanOptions, type ApplyCliOptions, type VerifyCliOptions } from './cli/run.js';
export type { CommonOptions, TransportFactory } from './commands/session.js';
export { sdkTransport } from './cli/transport.js';
export type { Io } from './output/io.js';
/** One host in `verify --json`'s `hosts`. */
export type { HostVerdict, VerifyReason } from './verify/judge.js';
export { EXIT } from './exit-codes.js';

// The OS profiles stns-fleet knows (`stns-fleet profiles`) and how a host's os-release is read.
export { OS_PROFILE_IDS, isOsProfileId, type OsProfileId } from './profiles/ids.js';
export { PROFILES, profileById } from './profiles/index.js';
export { parseOsRelease, type OsRelease } from './profiles/os-release.js';
export type { Arch, HostIdentity, OsProfile } from './profiles/types.js';

// Rendering one host, as `stns-fleet render` and `plan` do: current files (a profile's stock files, under
// STOCK_DIR, or a tree laid out like `/`) → identity → desired state → file plan → host script.
export { STOCK_DIR, stockSnapshot } from './render/stock.js';
export { snapshotFromRoot, snapshotOf, type HostSnapshot } from './model/host-snapshot.js';
export { identityOf } from './model/host-identity.js';
export type { HostSettings } from './model/settings.js';
export { loadTemplates, type Templates } from './render/templates.js';
export { watchFor } from './render/watch.js';
export { desiredState, type DesiredState } from './render/desired.js';
export type { SecretValues } from './render/secrets.js';
export { planHost, type HostPlan } from './plan/host-plan.js';
/** The plan stage itself, as `plan` runs it once facts are in: one unit per (group, distinct host state). For
 * the benchmark (packages/lab/src/bench/render.ts), which times it at fleet scale. */
export { buildFleetPlan, type FleetPlan } from './plan/fleet-plan.js';
export { parseInventory } from './inventory/load.js';
export type { Gathered } from './facts/gather.js';
export type { HostState } from './facts/facts.js';
export type { Fleet } from './targets/fleet.js';
/** `generateHostScript`: the script with its secrets; `draftHostScript`: the secret-free draft `plan` makes once per distinct host state. */
export { draftHostScript, generateHostScript } from './plan/host-script.js';

// What sshd will really use: its configuration read as OpenSSH reads it (`-o` options first, Include where it
// stands, the first value wins), e.g. `effective(evaluateSshd(snapshot), 'AuthorizedKeysCommand')`.
export { effective, evaluateSshd, optionDirectives } from './sshd/config.js';
