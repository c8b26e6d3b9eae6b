// `stns-fleet tag`: set the Name tag of every host the inventory names (src/pi/tag.ts): `names:` (ID → Name)
// and, for Raspberry Pis, `pi.names` (serial → Name) and `pi.name_prefix`. Only hosts whose Name differs get
// a call. Exit: 0 done or nothing to do, 2 with --dry-run when names would change, 1 when a call failed.
import { progressMode } from '../output/progress.js';
import { PI_IDENTITY_LIB } from '../pi/identity-script.js';
import { tagFleet, type TagReport } from '../pi/tag.js';
import { loadTemplates } from '../render/templates.js';
import type { Io } from '../output/io.js';
import { openSession, type CommonOptions, type TransportFactory } from './session.js';

export interface TagCliOptions extends CommonOptions {
  dryRun?: boolean;
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd()).join('\n');
}

const SOURCE = { names: 'names', 'pi.names': 'pi.names (serial)', 'pi.name_prefix': 'pi.name_prefix (unnamed board)' } as const;

export function tagText(r: TagReport): string {
  if (r.changes.length === 0) return 'The inventory names no host of the selected groups (see names: and pi.names in inventories/example.yaml).\n';
  const rows = [['ID', 'GROUP', 'SERIAL', 'NAME NOW', 'NAME', 'FROM', 'ACTION']];
  for (const c of r.changes) {
    rows.push([c.id, c.group, c.serial ?? '-', c.current ?? '-', c.desired ?? '-', c.source ? SOURCE[c.source] : '-', c.detail ? `${c.action}: ${c.detail}` : c.action]);
  }
  const n = (a: string): number => r.changes.filter((c) => c.action === a).length;
  const summary = `${n('set')} renamed, ${n('would-set')} to rename, ${n('in-sync')} already right, ${n('skipped')} skipped, ${n('failed')} failed.`;
  return `${table(rows)}\n\n${summary}\n`;
}

export async function tagCommand(o: TagCliOptions, makeTransport: TransportFactory, io: Io): Promise<number> {
  const s = await openSession(o, makeTransport);
  const templates = await loadTemplates(o.templates, [PI_IDENTITY_LIB]);
  for (const w of s.warnings) io.err(`${w}\n`);
  const quiet = progressMode(o) === 'silent';
  const r = await tagFleet({
    inventory: s.inventory,
    groups: s.groups,
    transport: s.transport,
    templates,
    ...(o.dryRun ? { dryRun: true } : {}),
    onEvent: (t) => {
      if (!quiet) io.err(`stns-fleet: ${t}\n`);
    },
  });
  for (const w of r.warnings) io.err(`warning: ${w}\n`);
  if (o.json) io.out(`${JSON.stringify(r, null, 2)}\n`);
  else io.out(tagText(r));
  if (r.changes.some((c) => c.action === 'failed')) return 1;
  return r.changes.some((c) => c.action === 'would-set') ? 2 : 0;
}
