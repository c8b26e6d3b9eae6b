// `stns-fleet profiles`: the OS profiles, how each is recognised and where its packages come from.
import { identityOf } from '../host/identity.js';
import { PROFILES } from '../profiles/index.js';
import { stockSnapshot } from '../render/stock.js';
import { watchFor } from '../render/watch.js';

export async function profilesCommand(opts: { json: boolean }): Promise<string> {
  const rows = [];
  for (const p of PROFILES) {
    const identity = identityOf(await stockSnapshot(p, p.defaultArch, watchFor(p)), p.defaultArch, { raspberryPi: p.id === 'raspberry-pi-os' });
    const src = p.packageSource(identity);
    const packages = 'unsupported' in src ? src.unsupported : src.manager === 'apt' ? `apt, suite ${src.pathPrefix}` : `${src.manager}, ${src.path}`;
    rows.push({ id: p.id, label: p.label, sshdService: p.sshd.service, openssh: p.sshd.openssh, packages });
  }
  if (opts.json) return `${JSON.stringify(rows, null, 2)}\n`;
  const w = Math.max(...rows.map((r) => r.id.length));
  return rows.map((r) => `${r.id.padEnd(w)}  ${r.label}: sshd unit ${r.sshdService}, OpenSSH ${r.openssh}, packages from ${r.packages}`).join('\n') + '\n';
}
