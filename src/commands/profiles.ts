// `stns-fleet profiles`: the OS profiles, how each is recognised and where its packages come from.
import { identityOf } from '../model/host-identity.js';
import { PROFILES } from '../profiles/index.js';
import { stockSnapshot } from '../render/stock.js';
import { watchFor } from '../render/watch.js';

export async function profilesCommand(opts: { json: boolean }): Promise<string> {
  const rows = [];
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
  if (opts.json) return `${JSON.stringify(rows, null, 2)}\n`;
  const w = Math.max(...rows.map((r) => r.id.length + r.variant.length + 3));
  return (
    rows
      .map((r) => {
        const unit = r.sshdSocket ? `${r.sshdService} (socket-activated: ${r.sshdSocket})` : r.sshdService;
        const line = `${`${r.id} [${r.variant}]`.padEnd(w)}  ${r.label}: sshd unit ${unit}, OpenSSH ${r.openssh}, sudo ${r.sudo}, packages from ${r.packages}`;
        return [line, ...r.notes.map((n) => `${' '.repeat(w + 2)}note: ${n}`)].join('\n');
      })
      .join('\n') + '\n'
  );
}
