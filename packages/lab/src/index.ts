// @stns-fleet/lab: the local fleet lab (README.md), for the demo, the benchmark and the tests of this
// repository. Private: never published; it reaches stns-fleet through the CLI's public exports only.
export { startLab, TOKEN_ENV, TOKEN_PARAMETERS, type AnsweredRequest, type Lab, type LabStats, type StartLabOptions, type TokenName } from './lab.js';
export { EC2_PROFILES, LabOptionsError, resolveOptions, type LabOptions, type ResolvedOptions } from './options.js';
export type { ModelStats } from './model-hosts.js';
export type { LabHostInfo, LabInfo } from './lab-api.js';
export { LAB_INVENTORY, labInventoryFile, labInventoryYaml, type LabInventoryOptions } from './inventory.js';
export type { RecordedRequest, RecordedResponse } from './server.js';
export { LAB_BIN, writeStandins } from './standins.js';
export { labDirectory } from './stns-directory.js';
export { StnsServer, type StnsDirectory, type StnsGroup, type StnsToken, type StnsUser } from './stns-server.js';
export { chrootSupport, type ChrootSupport } from './chroot-hosts.js';
export { BENCH_USAGE, BenchUsageError, parseBenchOptions, type BenchOptions } from './bench/options.js';
export { benchRender } from './bench/render.js';
export { benchSealKeys, type SealKeyBench, type SealKeyFigure, type SealScheme } from './bench/seal-keys.js';
export { runCli, startupMs, type CliRun } from './bench/cli-run.js';
export { runAnsiblePeer, type PeerRun } from './bench/peer.js';
export { timeline, type PhaseSpan } from './bench/timeline.js';
