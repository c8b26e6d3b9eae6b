// The shapes of the names and IDs an inventory holds. Apart from the schema, other modules check the same
// values (a region or managed node ID on the command line, a verify user), so they live here, without zod.

/** AWS region names, by their form (region.ts). */
export { REGION_RE } from './region.js';
const EC2_INSTANCE_ID_RE = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const MANAGED_NODE_ID_RE = /^mi-[0-9a-f]{17}$/;
/** Either of the two: a host the inventory names by ID. */
export const HOST_ID_RE = new RegExp(`${EC2_INSTANCE_ID_RE.source}|${MANAGED_NODE_ID_RE.source}`);
export const GROUP_NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
/** STNS's own rule for user names. */
export const USER_NAME_RE = /^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/;
export const SSM_PARAMETER_NAME_RE = /^[a-zA-Z0-9_.\-/]{1,2048}$/;
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const UMASK_RE = /^[0-7]{3,4}$/;
export const PERCENT_RE = /^(\d{1,3})%$/;
/** RFC 7230 token: what an HTTP header name may contain. */
export const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** A POSIX account name, loose enough for sshd's AuthorizedKeysCommandUser. */
export const SYSTEM_USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
/** A Raspberry Pi SoC serial as /proc/cpuinfo shows it (up to 16 hex digits). */
export const PI_SERIAL_RE = /^[0-9a-fA-F]{1,16}$/;
/** A Name tag value stns-fleet sets; also valid as SSM's DefaultInstanceName. */
export const NODE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$/;
/** An IAM role name (CreateActivation takes the name, not the ARN). */
export const IAM_ROLE_RE = /^[\w+=,.@-]{1,64}$/;
/** stns.package_release: lowercase letters and digits, nothing an apt list line or a yum baseurl could split on. */
export const PACKAGE_RELEASE_RE = /^[a-z][a-z0-9]{1,31}$/;
export const PI_NAME_PREFIX_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** Is `s` a well-formed EC2 instance or managed node ID? */
export function isHostId(s: string): boolean {
  return HOST_ID_RE.test(s);
}
