// `stns-fleet profiles`: the OS profiles, how each is recognised and where its packages come from.
import { identityOf } from '../model/host-identity.js';
import { PROFILES } from '../profiles/index.js';
import { stockSnapshot } from '../render/stock.js';
import { watchFor } from '../render/watch.js';
import type { ProfileRow, ProfilesView } from '../output/views/profiles.js';

export async function runProfiles(view: ProfilesView): Promise<number> {
  const rows: ProfileRow[] = [];
  for (const p of PROFILES) {
    for (const v of p.stockVariants) {
      const identity = identityOf(await stockSnapshot(p, p.defaultArch, watchFor(p), v.id), p.defaultArch, { raspberryPi: p.id === 'raspberry-pi-os' });
      const src = p.packageSource(identity);
      const where = 'unsupported' in src ? src.unsupported : src.manager === 'apt' ? `apt, suite ${src.pathPrefix}` : `${src.manager}, ${src.path}`;
      const packages = 'unsupported' in src || !src.note ? where : `${where} (nearest: upstream builds none for this release)`;
      rows.push({
        id: p.id,
        variant: v.id,
        label: p.label,
        sshdService: p.sshd.service,
        ...(p.sshd.socket ? { sshdSocket: p.sshd.socket } : {}),
        openssh: p.sshd.openssh,
        sshdPrograms: [...p.sshd.programs],
        sudo: p.sudo,
        packages,
        notes: [...p.notes],
      });
    }
  }
  view.result(rows);
  return 0;
}
