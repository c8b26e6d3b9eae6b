// How a host is named in every report: `i-… (Name) [group]`.
export function hostLabel(h: { id: string; name?: string | undefined; group?: string | undefined }): string {
  return `${h.id}${h.name ? ` (${h.name})` : ''}${h.group ? ` [${h.group}]` : ''}`;
}
