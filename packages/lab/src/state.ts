// Everything the API handlers share: options, hosts, commands, parameters, activations.
import type { Activations } from './activations.js';
import type { CommandEngine } from './commands.js';
import type { Fleet } from './fleet.js';
import type { ResolvedOptions } from './options.js';
import type { ParameterStore } from './parameters.js';
import type { Rng } from './random.js';

export const ACCOUNT_ID = '123456789012';
export const AGENT_VERSION = '3.3.1611.0';

/** What a request says about itself beyond its body. */
export interface RequestContext {
  /** The region the client signed for (SigV4 credential scope); the lab answers for any region. */
  region: string;
}

export interface LabState {
  o: ResolvedOptions;
  fleet: Fleet;
  engine: CommandEngine;
  params: ParameterStore;
  activations: Activations;
  /** Runtime randomness (command IDs, new managed-node IDs), seeded apart from the host layout. */
  rng: Rng;
  /** os-release NAME / VERSION_ID of each host, read once at start. */
  platforms: Map<string, { name: string; version: string }>;
}
