// Stand-ins the lab answers itself (POST /_lab/<name>, asked by lab-bin/served.sh): what a stand-in would
// print and its exit status, without a node process per call. sshd -t runs twice in every converge; as a node
// process it cost a host ~45 ms of CPU of ~150 (issue #15), which a real sshd -t does not. verify runs the key
// wrapper and getent twice each, 0.2–0.3 s of node processes a host.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { getent } from '../lab-bin/lib/getent.mjs';
import { keyWrapper } from '../lab-bin/lib/key-wrapper.mjs';
import { sshdCheck } from '../lab-bin/lib/sshd-check.mjs';
import { ApiError } from './errors.js';
import { LAB_STATE } from './host-tree.js';
import type { LabRoute } from './server.js';

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The answer served.sh evaluates: the stand-in's output, byte for byte, and its status. */
export function shellAnswer(r: { code: number; stdout: string; stderr: string }): string {
  return `printf '%s' ${shq(r.stdout)}\nprintf '%s' ${shq(r.stderr)} >&2\nexit ${r.code}\n`;
}

/** The request: the host's tree, then the arguments, each ended by a NUL. Only a lab host's tree is served
 * (a directory host's, or the copy a model host runs on: both carry the lab's host.env). */
function parse(body: string): { root: string; args: string[] } {
  const [root = '', ...args] = body.split('\0');
  args.pop(); // after the last NUL
  if (!path.isAbsolute(root) || !existsSync(path.join(root, LAB_STATE, 'host.env'))) throw new ApiError('NotFound', `not a lab host's tree: ${root}`, 404);
  return { root, args };
}

type Answer = { code: number; stdout: string; stderr: string };

/** A route answering POSTs with what `run` gives for the request's arguments on its tree. */
function served(run: (args: string[], root: string) => Answer | Promise<Answer>): LabRoute {
  return async (method, body) => {
    if (method !== 'POST') throw new ApiError('MethodNotAllowed', 'use POST', 405);
    const { root, args } = parse(body);
    return shellAnswer(await run(args, root));
  };
}

export function servedStandins(): Record<string, LabRoute> {
  return { sshd: served(sshdCheck), getent: served(getent), 'stns-key-wrapper': served(keyWrapper) };
}
