// The resolved settings one host is rendered from: the inventory's global values merged with its group's
// overrides. Renderers see only this, never the YAML, so they stay pure and testable.

/** Where a secret comes from. Values are never stored here except for the explicit plaintext opt-in. */
export type SecretRef =
  | { kind: 'ssm_parameter'; name: string }
  | { kind: 'env'; name: string }
  | { kind: 'plaintext'; value: string };

/** Scalar stns.conf keys we pass through (libnss-stns-v2 / cache-stnsd names). */
export interface StnsOptions {
  request_timeout?: number;
  request_retry?: number;
  request_locktime?: number;
  http_proxy?: string;
  http_location?: boolean;
  ssl_verify?: boolean;
  cache?: boolean;
  cache_dir?: string;
  cache_ttl?: number;
  negative_cache_ttl?: number;
  uid_shift?: number;
  gid_shift?: number;
}

export interface StnsSettings {
  apiEndpoint: string;
  authToken?: SecretRef;
  options: StnsOptions;
  tls?: { ca?: string; cert?: string; key?: string };
  httpHeaders?: Record<string, string>;
  cached: { enable: boolean; prefetch?: boolean };
  /** Base URL of the STNS package repository (apt/yum), e.g. https://repo.stns.jp */
  packageRepository: string;
  /** `stns.package_release`: the STNS repository release to install from (an apt codename such as bookworm, or
   * el9/el7/amzn2), replacing stns-fleet's choice (src/profiles/package-releases.ts). Absent: stns-fleet chooses. */
  packageRelease?: string;
}

export interface HostSettings {
  stns: StnsSettings;
  /** Create home directories at first login through pam_mkhomedir. */
  mkhomedir: { enable: boolean; umask: string };
  sshd: {
    /** AuthorizedKeysCommandUser when no EC2 Instance Connect chain forces ec2-instance-connect. */
    keysCommandUser: string;
  };
  /** harden_sudo: take away ssm-user's sudo rights and disable NOPASSWD rules in /etc/sudoers.d/010_pi-nopasswd
   * (src/render/sudoers.ts). Default false: hostSettingsFor always sets it; absent means false. */
  hardenSudo?: boolean;
}

/** The order stns.conf keys are written in; all top-level keys must come before the first TOML table. */
export const STNS_OPTION_KEYS = [
  'request_timeout',
  'request_retry',
  'request_locktime',
  'http_proxy',
  'http_location',
  'ssl_verify',
  'cache',
  'cache_dir',
  'cache_ttl',
  'negative_cache_ttl',
  'uid_shift',
  'gid_shift',
] as const satisfies readonly (keyof StnsOptions)[];

export const DEFAULT_PACKAGE_REPOSITORY = 'https://repo.stns.jp';

/** Defaults from the STNS docs' recommended client settings (short timeouts: a blackholed server hangs logins). */
export const DEFAULT_STNS_OPTIONS: StnsOptions = {
  request_timeout: 3,
  request_retry: 1,
};
