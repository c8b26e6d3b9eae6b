// What templates/host/verify.sh prints with the REAL libnss-stns-v2 2.6.10 (stns-key-wrapper, glibc getent with
// libnss_stns.so.2) and Debian 12's curl, against the lab's STNS server, one case each: captured in a chroot by
// test/real/verify-reasons.test.ts, which checks on every run that the real outputs are still exactly these.
// test/verify/verify-reasons.test.ts judges them (src/verify/judge.ts) without root.

/** How the case's stns.conf is made (test/real/verify-reasons.test.ts writes it). */
export interface CaseConf {
  /** lab: the lab's STNS server; closed: a loopback port nobody listens on; silent: a server that accepts and
   * never answers; https: https:// to the lab server's plain-HTTP port. */
  endpoint: 'lab' | 'closed' | 'silent' | 'https';
  token: 'good' | 'wrong';
  requestTimeout: number;
  requestRetry: number;
  /** [tls] ca = a CA file (a self-signed certificate made in the root): curl and libcurl then load a CA. */
  tlsCa?: boolean;
  /** [cached] enable = true: the module asks cache-stnsd's socket (no cache-stnsd runs in the root). */
  cached?: boolean;
}

export interface VerifyCase {
  name: string;
  users: string[];
  conf: CaseConf;
  /** curl removed from the root for this case. */
  noCurl?: boolean;
  /** Before verify, as root, with the good token: these users looked up (so root's cache holds them). */
  warmRootCache?: string[];
  /** The script's output, byte for byte. */
  output: string;
  /** The judgement per user: 'ok' or the reason. */
  reasons: Record<string, string>;
}

const SSHD = 'STNS_FLEET_VERIFY sshd authorizedkeyscommand none\nSTNS_FLEET_VERIFY sshd authorizedkeyscommanduser none\nSTNS_FLEET_VERIFY end\n';

export const VERIFY_CASES: VerifyCase[] = [
  {
    name: 'the right token: a user with keys, one without, one STNS does not know',
    users: ['alice', 'carol', 'mallory'],
    conf: { endpoint: 'lab', token: 'good', requestTimeout: 3, requestRetry: 1 },
    output: [
      'STNS_FLEET_VERIFY lookup fresh 0\n',
      'STNS_FLEET_VERIFY keys alice 0 1 \n',
      'STNS_FLEET_VERIFY passwd alice 0 alice:2001:/home/alice\n',
      'STNS_FLEET_VERIFY keys carol 0 0 \n',
      'STNS_FLEET_VERIFY passwd carol 0 carol:2003:/home/carol\n',
      'STNS_FLEET_VERIFY why carol none 200 0\n',
      'STNS_FLEET_VERIFY keys mallory 255 0 http request failed user: mallory \n',
      'STNS_FLEET_VERIFY passwd mallory - not asked\n',
      'STNS_FLEET_VERIFY why mallory none 404 0\n',
    ].join('') + SSHD,
    reasons: { alice: 'ok', carol: 'no-keys', mallory: 'unknown-user' },
  },
  {
    name: 'a token the server refuses (401)',
    users: ['alice', 'mallory'],
    conf: { endpoint: 'lab', token: 'wrong', requestTimeout: 3, requestRetry: 1 },
    output: [
      'STNS_FLEET_VERIFY lookup fresh 0\n',
      'STNS_FLEET_VERIFY keys alice 255 0 http request failed user: alice \n',
      'STNS_FLEET_VERIFY passwd alice - not asked\n',
      'STNS_FLEET_VERIFY why alice none 401 0\n',
      'STNS_FLEET_VERIFY keys mallory 255 0 http request failed user: mallory \n',
      'STNS_FLEET_VERIFY passwd mallory - not asked\n',
      'STNS_FLEET_VERIFY why mallory none 401 0\n',
    ].join('') + SSHD,
    reasons: { alice: 'token-rejected', mallory: 'token-rejected' },
  },
  {
    name: "root's cache holds the right token's answers, the token in stns.conf is refused: not fooled",
    users: ['alice', 'mallory'],
    conf: { endpoint: 'lab', token: 'wrong', requestTimeout: 3, requestRetry: 1 },
    warmRootCache: ['alice', 'mallory'],
    output: [
      'STNS_FLEET_VERIFY lookup fresh 0\n',
      'STNS_FLEET_VERIFY keys alice 255 0 http request failed user: alice \n',
      'STNS_FLEET_VERIFY passwd alice - not asked\n',
      'STNS_FLEET_VERIFY why alice none 401 0\n',
      'STNS_FLEET_VERIFY keys mallory 255 0 http request failed user: mallory \n',
      'STNS_FLEET_VERIFY passwd mallory - not asked\n',
      'STNS_FLEET_VERIFY why mallory none 401 0\n',
    ].join('') + SSHD,
    reasons: { alice: 'token-rejected', mallory: 'token-rejected' },
  },
  {
    name: 'a closed port: connection refused (the lock file, then every lookup fails at once)',
    users: ['alice', 'carol'],
    conf: { endpoint: 'closed', token: 'good', requestTimeout: 3, requestRetry: 1 },
    output: [
      'STNS_FLEET_VERIFY lookup fresh 0\n',
      'STNS_FLEET_VERIFY keys alice 255 0 http request failed user: alice \n',
      'STNS_FLEET_VERIFY passwd alice - not asked\n',
      'STNS_FLEET_VERIFY why alice new 000 7\n',
      'STNS_FLEET_VERIFY keys carol 255 0 http request failed user: carol \n',
      'STNS_FLEET_VERIFY passwd carol - not asked\n',
      'STNS_FLEET_VERIFY why carol held 000 7\n',
    ].join('') + SSHD,
    reasons: { alice: 'unreachable', carol: 'unreachable' },
  },
  {
    name: 'a server that never answers: timed out (asked once: the next user is not asked)',
    users: ['alice', 'bob'],
    conf: { endpoint: 'silent', token: 'good', requestTimeout: 1, requestRetry: 0 },
    output: [
      'STNS_FLEET_VERIFY lookup fresh 0\n',
      'STNS_FLEET_VERIFY keys alice 255 0 http request failed user: alice \n',
      'STNS_FLEET_VERIFY passwd alice - not asked\n',
      'STNS_FLEET_VERIFY why alice none 000 28\n',
      'STNS_FLEET_VERIFY keys bob 255 0 not asked: the STNS endpoint timed out for alice\n',
      'STNS_FLEET_VERIFY passwd bob - not asked\n',
      'STNS_FLEET_VERIFY why bob none 000 28\n',
    ].join('') + SSHD,
    reasons: { alice: 'unreachable', bob: 'unreachable' },
  },
  {
    name: "https to the server's plain-HTTP port: the TLS handshake fails",
    users: ['alice'],
    conf: { endpoint: 'https', token: 'good', requestTimeout: 3, requestRetry: 0, tlsCa: true },
    output: [
      'STNS_FLEET_VERIFY lookup fresh 0\n',
      'STNS_FLEET_VERIFY keys alice 255 0 http request failed user: alice \n',
      'STNS_FLEET_VERIFY passwd alice - not asked\n',
      'STNS_FLEET_VERIFY why alice none 000 35\n',
    ].join('') + SSHD,
    reasons: { alice: 'tls' },
  },
  {
    name: 'https, and no CA certificates on the host (no ca-certificates package): TLS fails before connecting',
    users: ['alice'],
    conf: { endpoint: 'https', token: 'good', requestTimeout: 3, requestRetry: 0 },
    output: [
      'STNS_FLEET_VERIFY lookup fresh 0\n',
      'STNS_FLEET_VERIFY keys alice 255 0 http request failed user: alice \n',
      'STNS_FLEET_VERIFY passwd alice - not asked\n',
      'STNS_FLEET_VERIFY why alice none 000 77\n',
    ].join('') + SSHD,
    reasons: { alice: 'tls' },
  },
  {
    name: '[cached] enable = true and no cache-stnsd: the module asks only its socket',
    users: ['alice'],
    conf: { endpoint: 'lab', token: 'good', requestTimeout: 3, requestRetry: 0, cached: true },
    output: [
      'STNS_FLEET_VERIFY lookup fresh 1\n',
      'STNS_FLEET_VERIFY keys alice 255 0 http request failed user: alice \n',
      'STNS_FLEET_VERIFY passwd alice - not asked\n',
      'STNS_FLEET_VERIFY why alice new 200 0\n',
    ].join('') + SSHD,
    reasons: { alice: 'cache-stnsd' },
  },
  {
    name: 'no curl on the host: a refused token is a lookup that failed, the module says no more',
    users: ['alice'],
    conf: { endpoint: 'lab', token: 'wrong', requestTimeout: 3, requestRetry: 0 },
    noCurl: true,
    output: [
      'STNS_FLEET_VERIFY lookup fresh 0\n',
      'STNS_FLEET_VERIFY keys alice 255 0 http request failed user: alice \n',
      'STNS_FLEET_VERIFY passwd alice - not asked\n',
      'STNS_FLEET_VERIFY why alice none - -\n',
    ].join('') + SSHD,
    reasons: { alice: 'failed' },
  },
];
