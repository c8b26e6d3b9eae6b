// Fault injection: which hosts misbehave and how, from a SPEC such as
// "offline=2,undeliverable=1,timeout=1,fail=5%,slow=10%,throttle=20%,clones=5".
// Host faults take a count or a percentage of the lab's hosts (each host gets at most one); throttle is a
// percentage of API calls; clones is a count of extra Raspberry Pi boards that carry the first Pi's
// registration. The assignment is drawn from the seed, so the same SPEC and seed break the same hosts.
import { Rng } from './random.js';

/** Faults a single host can carry. */
export const HOST_FAULTS = ['offline', 'undeliverable', 'slow', 'timeout', 'fail', 'stopped'] as const;
export type HostFault = (typeof HOST_FAULTS)[number];

export const FAULT_NAMES = [...HOST_FAULTS, 'throttle', 'clones'] as const;

export interface FaultSpec {
  /** Per host fault: a count, or a percentage of the hosts. */
  hosts: { fault: HostFault; count?: number; percent?: number }[];
  /** Share of API calls answered with a throttling error, 0..100. */
  throttlePercent: number;
  clones: number;
}

export class FaultSpecError extends Error {}

export function parseFaults(spec: string | undefined): FaultSpec {
  const out: FaultSpec = { hosts: [], throttlePercent: 0, clones: 0 };
  const seen = new Set<string>();
  for (const raw of (spec ?? '').split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^([a-z]+)=(\d+)(%?)$/.exec(item);
    if (!m) throw new FaultSpecError(`bad fault "${item}": expected NAME=COUNT or NAME=PERCENT% (e.g. offline=2, fail=5%)`);
    const [, name, digits, pct] = m as unknown as [string, string, string, string];
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      throw new FaultSpecError(`unknown fault "${item}": known faults are ${FAULT_NAMES.join(', ')}`);
    }
    if (seen.has(name)) throw new FaultSpecError(`fault "${name}" is given twice`);
    seen.add(name);
    const n = Number(digits);
    if (pct && n > 100) throw new FaultSpecError(`bad fault "${item}": a percentage is at most 100%`);
    if (name === 'throttle') {
      if (!pct) throw new FaultSpecError(`bad fault "${item}": throttle is a share of API calls, e.g. throttle=20%`);
      out.throttlePercent = n;
    } else if (name === 'clones') {
      if (pct) throw new FaultSpecError(`bad fault "${item}": clones is a count of extra boards, e.g. clones=3`);
      out.clones = n;
    } else {
      out.hosts.push(pct ? { fault: name as HostFault, percent: n } : { fault: name as HostFault, count: n });
    }
  }
  return out;
}

/** How many hosts a fault takes: a count as given, a percentage rounded (at least 1 when above 0%). */
export function faultCount(f: FaultSpec['hosts'][number], hostCount: number): number {
  if (f.count !== undefined) return f.count;
  const p = f.percent ?? 0;
  return p === 0 ? 0 : Math.max(1, Math.round((hostCount * p) / 100));
}

/**
 * One fault (or none) per host. `eligible(i, fault)` says whether host i can carry it (a Raspberry Pi cannot be
 * a stopped EC2 instance). Throws when the SPEC asks for more hosts than there are.
 */
export function assignFaults(
  spec: FaultSpec,
  hostCount: number,
  seed: string | number,
  eligible: (i: number, f: HostFault) => boolean = () => true,
): (HostFault | undefined)[] {
  const out: (HostFault | undefined)[] = new Array(hostCount).fill(undefined);
  const order = new Rng(seed, 'faults').shuffle([...Array(hostCount).keys()]);
  for (const f of spec.hosts) {
    const want = faultCount(f, hostCount);
    let got = 0;
    for (const i of order) {
      if (got === want) break;
      if (out[i] === undefined && eligible(i, f.fault)) {
        out[i] = f.fault;
        got++;
      }
    }
    if (got < want) {
      throw new FaultSpecError(`fault ${f.fault} wants ${want} host(s) but only ${got} are left that can carry it (${hostCount} hosts in the lab)`);
    }
  }
  return out;
}
