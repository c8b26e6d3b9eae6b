// `profiles`'s view: one line per OS profile variant (how it is recognised, its sshd, where its packages come
// from) and its notes; or the rows as one JSON document.
import type { Emitter } from '../emitter.js';
import { BaseView, type Presentation, type View } from './view.js';

export interface ProfileRow {
  id: string;
  variant: string;
  label: string;
  sshdService: string;
  sshdSocket?: string;
  openssh: string;
  sshdPrograms: string[];
  sudo: string;
  /** Where the STNS packages come from, or why there are none. */
  packages: string;
  notes: string[];
}

export type ProfilesView = View<ProfileRow[]>;

class ProfilesTextView extends BaseView<ProfileRow[]> {
  result(rows: ProfileRow[]): void {
    const w = Math.max(...rows.map((r) => r.id.length + r.variant.length + 3));
    const text = rows.map((r) => {
      const unit = r.sshdSocket ? `${r.sshdService} (socket-activated: ${r.sshdSocket})` : r.sshdService;
      const line = `${`${r.id} [${r.variant}]`.padEnd(w)}  ${r.label}: sshd unit ${unit}, OpenSSH ${r.openssh}, sudo ${r.sudo}, packages from ${r.packages}`;
      return [line, ...r.notes.map((n) => `${' '.repeat(w + 2)}note: ${n}`)].join('\n');
    });
    this.emitter.out(`${text.join('\n')}\n`);
  }
}

class ProfilesJsonView extends BaseView<ProfileRow[]> {
  result(rows: ProfileRow[]): void {
    this.json(rows);
  }
}

export function profilesView(json: boolean, emitter: Emitter, o: Presentation = {}): ProfilesView {
  return json ? new ProfilesJsonView(emitter, { ...o, machine: true }) : new ProfilesTextView(emitter, { ...o, quiet: true });
}
