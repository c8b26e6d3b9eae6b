// `tag`'s view: the run's steps as progress; at the end its warnings on stderr, then one row per host the
// inventory names (its Name now, the Name it gets, from where, what was done) and the counts; or the report as
// one JSON document (warnings still on stderr).
import type { TagReport } from '../../pi/tag.js';
import type { Emitter } from '../emitter.js';
import { table } from '../table.js';
import { BaseView, type Presentation, type View } from './view.js';

/** A step of the run (src/pi/tag.ts's onEvent): the running step's status line. */
type TagEvent = { kind: 'progress'; text: string };

export type TagView = View<TagReport, TagEvent>;

const SOURCE = { names: 'names', 'pi.names': 'pi.names (serial)', 'pi.name_prefix': 'pi.name_prefix (unnamed board)' } as const;

function tagText(r: TagReport): string {
  if (r.changes.length === 0) return 'The inventory names no host of the selected groups (see names: and pi.names in inventories/example.yaml).\n';
  const rows = [['ID', 'GROUP', 'SERIAL', 'NAME NOW', 'NAME', 'FROM', 'ACTION']];
  for (const c of r.changes) {
    rows.push([c.id, c.group, c.serial ?? '-', c.current ?? '-', c.desired ?? '-', c.source ? SOURCE[c.source] : '-', c.detail ? `${c.action}: ${c.detail}` : c.action]);
  }
  const n = (a: string): number => r.changes.filter((c) => c.action === a).length;
  const summary = `${n('set')} renamed, ${n('would-set')} to rename, ${n('in-sync')} already right, ${n('skipped')} skipped, ${n('failed')} failed.`;
  return `${table(rows)}\n\n${summary}\n`;
}

abstract class TagBase extends BaseView<TagReport, TagEvent> {
  protected override onEvent(e: TagEvent): void {
    // A discovery per group, one identity read: milestones, each worth a line in plain progress.
    this.progress.status(e.text, { milestone: true });
  }
  protected warnings(r: TagReport): void {
    for (const w of r.warnings) this.emitter.err(`warning: ${w}\n`);
  }
}

class TagTextView extends TagBase {
  result(r: TagReport): void {
    this.warnings(r);
    this.emitter.out(tagText(r));
  }
}

class TagJsonView extends TagBase {
  result(r: TagReport): void {
    this.warnings(r);
    this.json(r);
  }
}

export function tagView(json: boolean, emitter: Emitter, o: Presentation = {}): TagView {
  return json ? new TagJsonView(emitter, { ...o, machine: true }) : new TagTextView(emitter, o);
}
