// Rendering cost at fleet scale, for `npm run bench`: desired state + file plan + script draft for many
// hosts, as `plan` does per distinct state (here every host is rendered, the worst case: all distinct).
import { performance } from 'node:perf_hooks';
import { desiredState, draftHostScript, identityOf, loadTemplates, planHost, PROFILES, stockSnapshot, watchFor, type HostSettings } from 'stns-fleet';

export async function benchRender(hosts: number): Promise<{ hosts: number; seconds: number; perHostMs: number }> {
  const t = await loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh']);
  const settings: HostSettings = {
    stns: { apiEndpoint: 'https://stns.example.com/v1', authToken: { kind: 'env', name: 'X' }, options: {}, cached: { enable: true }, packageRepository: 'https://repo.stns.jp' },
    mkhomedir: { enable: true, umask: '0022' },
    sshd: { keysCommandUser: 'root' },
    hardenSudo: false,
  };
  const inputs = await Promise.all(
    PROFILES.map(async (p) => {
      const snapshot = await stockSnapshot(p, p.defaultArch, watchFor(p));
      return { profile: p, snapshot, identity: identityOf(snapshot, p.defaultArch, { raspberryPi: p.id === 'raspberry-pi-os' }) };
    }),
  );
  const t0 = performance.now();
  for (let i = 0; i < hosts; i++) {
    const x = inputs[i % inputs.length]!;
    const d = desiredState({ ...x, settings, templates: t, packagesInstalled: i % 2 === 0 });
    const p = planHost(d, x.snapshot, { auth_token: `token-${i}` });
    if (d.problems.length === 0) draftHostScript(p, t);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { hosts, seconds: Math.round(seconds * 100) / 100, perHostMs: Math.round((seconds * 1000 * 1000) / hosts) / 1000 };
}
