// Types of key-wrapper.mjs for the lab's TypeScript (lab-api's served stand-ins).
export function keyWrapper(args: string[], root: string): Promise<{ code: number; stdout: string; stderr: string }>;
