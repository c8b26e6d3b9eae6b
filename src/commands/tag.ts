// `stns-fleet tag`: set the Name tag of every host the inventory names (src/pi/tag.ts): `names:` (ID → Name)
// and, for Raspberry Pis, `pi.names` (serial → Name) and `pi.name_prefix`. Only hosts whose Name differs get
// a call. What happens reaches the view the CLI chose as progress events and one report. Exit: 0 done or
// nothing to do, 2 with --dry-run when names would change, 1 when a call failed.
import { runSteps } from '../output/progress.js';
import type { TagView } from '../output/views/tag.js';
import { PI_IDENTITY_LIB } from '../pi/identity-script.js';
import { tagFleet, type TagReport } from '../pi/tag.js';
import { loadTemplates } from '../render/templates.js';
import { openSession, type FleetOptions, type TransportFactory } from './session.js';

export interface TagCommandOptions extends FleetOptions {
  dryRun?: boolean;
}

export async function runTag(o: TagCommandOptions, makeTransport: TransportFactory, view: TagView, signal?: AbortSignal): Promise<number> {
  const s = await openSession(o, makeTransport);
  const templates = await loadTemplates(o.templates, [PI_IDENTITY_LIB]);
  for (const w of s.warnings) view.event({ kind: 'warning', text: w });
  let r: TagReport = { changes: [], warnings: [] };
  await runSteps(
    [
      {
        title: `${o.dryRun ? 'Checking' : 'Setting'} the Name tags of ${s.groups.length} group(s)`,
        run: async () => {
          r = await tagFleet({
            inventory: s.inventory,
            groups: s.groups,
            transport: s.transport,
            templates,
            ...(o.dryRun ? { dryRun: true } : {}),
            ...(signal ? { signal } : {}),
            onEvent: (text) => view.event({ kind: 'progress', text }),
          });
          const n = (a: string): number => r.changes.filter((c) => c.action === a).length;
          return o.dryRun ? `Names checked: ${n('would-set')} to rename, ${n('in-sync')} already right` : `Names set: ${n('set')} renamed, ${n('failed')} failed`;
        },
      },
    ],
    view.progress,
  );
  view.result(r);
  if (r.changes.some((c) => c.action === 'failed')) return 1;
  return r.changes.some((c) => c.action === 'would-set') ? 2 : 0;
}
