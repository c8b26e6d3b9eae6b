// Types of sshd-check.mjs for the lab's TypeScript (lab-api's served stand-ins).
export function sshdCheck(args: string[], root: string): { code: number; stdout: string; stderr: string };
