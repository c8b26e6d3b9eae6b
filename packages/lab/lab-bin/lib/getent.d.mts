// Types of getent.mjs for the lab's TypeScript (lab-api's served stand-ins).
export function getent(args: string[], root: string): Promise<{ code: number; stdout: string; stderr: string }>;
