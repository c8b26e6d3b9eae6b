// The host's side of sealing, cut from the real templates for tests that run it with a real openssl (here, in
// chroots, through an OpenSSL 1.0.2 stand-in): how facts.sh makes and reports the seal key, and how converge.sh
// opens its copy of the run key. Cut by their own comment lines, so a test breaks if the blocks move.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const template = (name: string): string => readFileSync(fileURLToPath(new URL(`../../templates/host/${name}`, import.meta.url)), 'utf8');

function between(text: string, start: string, end: string, what: string): string {
  const a = text.indexOf(start);
  const b = a < 0 ? -1 : text.indexOf(end, a);
  if (a < 0 || b < 0) throw new Error(`cannot find ${what}`);
  return text.slice(a, b);
}

/** facts.sh's (or pi-identity.sh's) seal block, from `seal=none` through the `fi` that ends it, unindented: makes
 * the key in $D once and sets `seal` to what the facts report (base64 DER, or none). */
export function sealKeyBlock(name: 'facts.sh' | 'pi-identity.sh' = 'facts.sh'): string {
  const t = template(name);
  const a = t.indexOf('seal=none\n');
  const last = t.indexOf('[ -n "$seal" ] || seal=none\n', a);
  const b = t.indexOf('fi\n', last);
  if (a < 0 || last < 0 || b < 0) throw new Error(`cannot find the seal block of ${name}`);
  const start = t.lastIndexOf('\n', a) + 1;
  const indent = t.slice(start, a);
  return t
    .slice(start, b + 3)
    .split('\n')
    .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
    .join('\n')
    .replace(/^if command -v openssl >\/dev\/null 2>&1 && mkdir -p "\$D" 2>\/dev\/null; then$/m, 'if command -v openssl >/dev/null 2>&1; then');
}

/** converge.sh's sealed-payload functions up to (not including) sf_sealed_file: SF_SEAL_KEY is what they open. */
export function unwrapLib(): string {
  return between(template('converge.sh'), '# --- sealed payloads', '# shellcheck disable=SC2317 # as above\nsf_sealed_file', "converge.sh's sf_seal functions");
}

/** A script that makes (or reads) the seal key in $1 and prints what facts report: the base64 DER or none. */
export function makeKeyScript(): string {
  return ['set -u', 'umask 077', 'D=$1', sealKeyBlock(), 'printf \'%s\\n\' "$seal"', ''].join('\n');
}

/** A script that opens the run key with the seal key in $1 (work dir $2) from `table` and prints SF_SEAL_KEY. */
export function unwrapScript(table: readonly string[]): string {
  return ['set -u', 'D=$1', 'W=$2', unwrapLib(), ...table, 'printf \'%s\\n\' "$SF_SEAL_KEY"', ''].join('\n');
}

/** converge.sh's whole sealed-payload section (through sf_mac), for running sf_sealed_file against a run key. */
export function sealedSection(): string {
  return between(template('converge.sh'), '# --- sealed payloads', '\nsf_is_sealed()', "converge.sh's sealed-payload section");
}

/** An `openssl` for PATH that behaves as OpenSSL 1.0.2 would for the seal: no X25519, and only the options
 * its apps/ have (read in OpenSSL 1.0.2k's sources, as vendored in jBarz/node deps/openssl/openssl,
 * OPENSSL_VERSION_NUMBER 0x100020bf: apps/pkeyutl.c, apps/ecparam.c, apps/pkey.c, apps/genpkey.c; early 1.0.2
 * pkeyutl.c, which sets the key up while it parses, needs the operation before -inkey and -inkey before
 * -peerkey). Anything else is logged to $SF_OPENSSL_LOG and fails; what passes runs the real openssl. */
export function openssl102(realOpenssl: string): string {
  return `#!/bin/sh
bad() { printf '%s\\n' "$*" >>"$SF_OPENSSL_LOG"; exit 99; }
cmd=$1
shift
case "$cmd" in
genpkey)
	[ "$1 $2" = "-algorithm X25519" ] && { echo 'Algorithm X25519 not found' >&2; exit 1; }
	bad "genpkey $*" ;;
ecparam | pkey | pkeyutl) ;;
*) bad "$cmd $*" ;;
esac
op=""
key=""
n=$#
i=0
while [ "$i" -lt "$n" ]; do
	a=$1
	shift
	i=$((i + 1))
	case "$cmd $a" in
	"ecparam -genkey" | "ecparam -noout" | "pkey -pubout") set -- "$@" "$a" ;;
	"ecparam -name" | "ecparam -out" | "pkey -in" | "pkey -out" | "pkey -outform")
		v=$1
		shift
		i=$((i + 1))
		case "$a $v" in "-name prime256v1" | "-out "* | "-in "* | "-outform DER") ;; *) bad "$cmd $a $v" ;; esac
		set -- "$@" "$a" "$v" ;;
	"pkeyutl -derive" | "pkeyutl -decrypt")
		[ -z "$op$key" ] || bad "pkeyutl: $a after the operation or -inkey"
		op=$a
		set -- "$@" "$a" ;;
	"pkeyutl -inkey")
		[ -n "$op" ] || bad "pkeyutl: -inkey before the operation"
		key=$1
		shift
		i=$((i + 1))
		set -- "$@" -inkey "$key" ;;
	"pkeyutl -peerkey" | "pkeyutl -pkeyopt")
		[ -n "$key" ] || bad "pkeyutl: $a before -inkey"
		v=$1
		shift
		i=$((i + 1))
		case "$a $v" in "-peerkey "* | "-pkeyopt rsa_padding_mode:oaep") ;; *) bad "pkeyutl $a $v" ;; esac
		set -- "$@" "$a" "$v" ;;
	*) bad "$cmd $a (not an OpenSSL 1.0.2 option the seal may use)" ;;
	esac
done
exec ${realOpenssl} "$cmd" "$@"
`;
}
