// `render` as the CLI runs it, with what it printed kept apart: stdout (the report) and stderr (warnings,
// errors). Rejects as the command does (a FleetError for what the user can fix).
import { renderCommand } from '../../src/cli/run.js';
import type { RenderOptions } from '../../src/commands/render.js';

export async function renderOutput(o: RenderOptions, env: NodeJS.ProcessEnv = process.env): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const exitCode = await renderCommand(o, { out: (t) => void out.push(t), err: (t) => void err.push(t) }, env);
  return { exitCode, stdout: out.join(''), stderr: err.join('') };
}
