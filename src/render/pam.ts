// Adds pam_mkhomedir to sshd's PAM stack so an STNS user gets a home directory at first login. The line
// goes in once, after the OS's standard session stack, and only if no form of it is there already
// (in the sshd file, or in a file sshd's stack includes, as pam-auth-update's mkhomedir profile does).

export interface MkhomedirOptions {
  control: 'optional' | 'required';
  umask: string;
  after: RegExp[];
}

function activeLines(text: string): string[] {
  return text.split('\n').filter((l) => !l.trimStart().startsWith('#'));
}

export function hasMkhomedir(text: string): boolean {
  return activeLines(text).some((l) => /pam_(oddjob_)?mkhomedir\.so/.test(l));
}

function mkhomedirLine(o: Pick<MkhomedirOptions, 'control' | 'umask'>): string {
  return `session    ${o.control.padEnd(12)} pam_mkhomedir.so skel=/etc/skel/ umask=${o.umask}`;
}

export function addMkhomedir(text: string, o: MkhomedirOptions, alsoCheck: string[] = []): string {
  if (hasMkhomedir(text) || alsoCheck.some(hasMkhomedir)) return text;
  const lines = text.split('\n');
  const line = mkhomedirLine(o);
  for (const re of o.after) {
    const i = lines.findIndex((l) => re.test(l.trim()));
    if (i >= 0) {
      lines.splice(i + 1, 0, line);
      return lines.join('\n');
    }
  }
  const body = text.endsWith('\n') || text === '' ? text : `${text}\n`;
  return `${body}${line}\n`;
}
