// The oldest Node that runs stns-fleet (package.json's "engines"; test/cli/node-version.test.ts keeps the two
// the same). Checked first thing by main.ts: on an older Node the bundle would die linking a module, with a
// SyntaxError and a stack, before any of stns-fleet's own code could say why.
export const MIN_NODE = '22.12';

/** Whether `version` ("v20.20.2" or "20.20.2") is older than MIN_NODE. */
export function nodeTooOld(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const [minMajor = 0, minMinor = 0] = MIN_NODE.split('.').map(Number);
  return major < minMajor || (major === minMajor && minor < minMinor);
}
