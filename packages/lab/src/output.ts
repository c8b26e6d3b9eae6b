// How SSM shows a command's output (docs/reference/ssm.md §2). ListCommandInvocations(Details) carries one string of at most
// 2,500 characters built by the agent's TruncateOutput: stdout, an error title, stderr, each part cut with its
// own marker when the whole does not fit. GetCommandInvocation carries stdout and stderr apart, cut at
// 24,000 and 8,000 characters with "--output truncated--" ending the cut text.

export const PLUGIN_OUTPUT_MAX = 2500;
export const STDOUT_MAX = 24_000;
export const STDERR_MAX = 8_000;
export const OUTPUT_TRUNCATED_SUFFIX = '--output truncated--';
const ERROR_TITLE = '\n----------ERROR-------\n';
const TRUNCATE_OUT = '\n---Output truncated---';
const TRUNCATE_ERROR = '\n---Error truncated----';

/** The agent's TruncateOutput (iohandler.go), with the API's 2,500-character capacity. */
export function pluginOutput(stdout: string, stderr: string, capacity = PLUGIN_OUTPUT_MAX): string {
  const title = stderr.length > 0 ? ERROR_TITLE : '';
  const available = capacity - title.length;
  if (stdout.length + stderr.length < available) return stdout + title + stderr;
  if (stdout.length > available / 2 && stderr.length > available / 2) {
    const half = Math.trunc((available - TRUNCATE_ERROR.length - TRUNCATE_OUT.length) / 2);
    return stdout.slice(0, half) + TRUNCATE_OUT + title + stderr.slice(0, half) + TRUNCATE_ERROR;
  }
  if (stdout.length < available / 2) {
    const size = available - TRUNCATE_ERROR.length;
    return stdout + title + stderr.slice(0, size - stdout.length) + TRUNCATE_ERROR;
  }
  const size = available - TRUNCATE_OUT.length;
  return stdout.slice(0, size - stderr.length) + TRUNCATE_OUT + title + stderr;
}

/** GetCommandInvocation's StandardOutputContent / StandardErrorContent: the first `max` characters. */
export function contentOf(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, max - OUTPUT_TRUNCATED_SUFFIX.length) + OUTPUT_TRUNCATED_SUFFIX;
}
