// `hosts`'s view: a table of every selected host (ready, skipped with why, not found) and the counts; or one
// JSON document.
import type { Fleet } from '../../targets/fleet.js';
import type { Emitter } from '../emitter.js';
import { table } from '../table.js';
import { BaseView, type Presentation, type View } from './view.js';

interface HostsResult {
  fleet: Fleet;
}

export type HostsView = View<HostsResult>;

class HostsTextView extends BaseView<HostsResult> {
  result({ fleet }: HostsResult): void {
    const rows = [['ID', 'NAME', 'GROUP', 'OS (as SSM reports it)', 'PING', 'AGENT', 'STATUS']];
    for (const h of fleet.hosts) {
      rows.push([h.id, h.name ?? '-', h.group, h.platform ?? '-', h.pingStatus ?? '-', h.agentVersion ?? '-', h.skip ? `skipped: ${h.skip}` : 'ready']);
    }
    for (const n of fleet.notFound) rows.push([n.id, '-', n.group, '-', '-', '-', 'not found: neither EC2 nor SSM knows this ID']);
    this.emitter.out(`${table(rows)}\n\n${fleet.hosts.filter((h) => !h.skip).length} ready, ${fleet.hosts.filter((h) => h.skip).length} skipped, ${fleet.notFound.length} not found.\n`);
  }
}

class HostsJsonView extends BaseView<HostsResult> {
  result({ fleet }: HostsResult): void {
    this.json({ hosts: fleet.hosts, notFound: fleet.notFound });
  }
}

export function hostsView(json: boolean, emitter: Emitter, o: Presentation = {}): HostsView {
  return json ? new HostsJsonView(emitter, { ...o, machine: true }) : new HostsTextView(emitter, o);
}
