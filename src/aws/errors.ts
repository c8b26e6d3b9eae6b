// Any error out of an AWS call → one FleetError sentence that says what failed and what to do, without a
// stack trace. The SDK error stays as `cause`, so callers can still branch on its name (awsErrorName).
import { AwsError, FleetError } from '../errors.js';
import { safetyOf, THROTTLING } from './backoff.js';

const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'UnauthorizedException']);
const BAD_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AuthFailure',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);
const REJECTED_REQUEST = new Set(['ValidationException', 'InvalidParameterValue', 'InvalidParameters', 'InvalidParameterCombination']);
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
};

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  address?: string;
  port?: number;
  hostname?: string;
  errors?: unknown[];
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const asErrorLike = (e: unknown): ErrorLike => (typeof e === 'object' && e !== null ? (e as ErrorLike) : {});

/** The SDK error's name behind `e`, also when `e` is the FleetError made from it. */
export function awsErrorName(e: unknown): string | undefined {
  const err = asErrorLike(e);
  if (e instanceof FleetError) return err.cause === undefined ? undefined : awsErrorName(err.cause);
  return err.name;
}

/** AWS messages can be long (EC2 appends an encoded authorization message) or span lines: keep one short line. */
function oneLine(s: string | undefined, max = 300): string {
  const flat = (s ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The endpoint a network error was about: the configured override if any, else the address Node tried. */
function endpointOf(err: ErrorLike, action: string, env: NodeJS.ProcessEnv): string {
  const service = action.split(':')[0]!.toUpperCase();
  const configured = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  if (configured) return configured;
  // Node reports "localhost" connection failures as an AggregateError of one error per address tried.
  const inner = [err, ...(err.errors ?? []).map(asErrorLike)].find((x) => x.address || x.hostname) ?? err;
  if (inner.hostname) return inner.hostname;
  if (inner.address) return inner.port ? `${inner.address}:${inner.port}` : inner.address;
  return `the ${service} endpoint of the region`;
}

export function awsFleetError(e: unknown, action: string, env: NodeJS.ProcessEnv = process.env): FleetError {
  if (e instanceof FleetError) return e;
  const err = asErrorLike(e);
  const name = err.name ?? 'Error';
  const said = oneLine(err.message);
  const service = action.split(':')[0]!;
  const make = (message: string, hint?: string, details: string[] = []): FleetError =>
    new AwsError(message, { cause: e, details, ...(hint ? { hint } : {}) });

  if (ACCESS_DENIED.has(name)) {
    // SSM names the exact permission ("… is not authorized to perform: kms:Decrypt on …"); EC2 does not.
    const permission = /perform: ([\w-]+:[\w*]+)/.exec(said)?.[1] ?? action;
    return make(
      `AWS denied ${action}: the credentials in use lack the IAM permission "${permission}"`,
      `allow "${permission}" in the IAM policy of the user or role stns-fleet runs as`,
      said ? [`AWS said: ${said}`] : [],
    );
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(said)) {
    return make(
      `no AWS credentials for ${action}: set AWS_PROFILE or --profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      'for the local lab any non-empty key pair works, e.g. AWS_ACCESS_KEY_ID=lab AWS_SECRET_ACCESS_KEY=lab',
      said && !/from any providers/i.test(said) ? [`AWS SDK said: ${said}`] : [],
    );
  }
  if (/region is missing/i.test(said)) {
    return make(`no AWS region for ${action}: set aws.region in the inventory, pass --region, or set AWS_REGION`);
  }
  if (BAD_CREDENTIALS.has(name)) {
    return make(`AWS rejected the credentials for ${action} (${name}): they are invalid or expired`, 'refresh them (aws sso login, new keys) or pick another --profile', said ? [`AWS said: ${said}`] : []);
  }
  const netCode = err.code && err.code in UNREACHABLE ? err.code : undefined;
  if (netCode) {
    const endpoint = endpointOf(err, action, env);
    const override = env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] ? `AWS_ENDPOINT_URL_${service.toUpperCase()}` : env.AWS_ENDPOINT_URL ? 'AWS_ENDPOINT_URL' : undefined;
    return make(
      `cannot reach ${endpoint} for ${action} (${UNREACHABLE[netCode]})`,
      override ? `${override} points there: is the local lab running?` : 'check the network, proxy and region',
    );
  }
  if (THROTTLING.has(name)) {
    return make(`AWS kept throttling ${action} (${name}${said ? `: ${said}` : ''}) through every retry`, 'try again in a few minutes, or lower the rollout concurrency');
  }
  if (name === 'InvalidInstanceId') {
    return make(
      `SSM refused an instance ID in ${action}: the node is not managed by SSM here, its agent is not running, or it is shutting down or terminated`,
      'run `stns-fleet hosts` to see what SSM knows about each host',
      said ? [`AWS said: ${said}`] : [],
    );
  }
  if (name.startsWith('InvalidInstanceID')) {
    return make(`EC2 does not know an instance ID in ${action} (${name})${said ? `: ${said}` : ''}`);
  }
  if (REJECTED_REQUEST.has(name)) {
    return make(`AWS rejected the ${action} request: "${said}"`);
  }
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) {
    // A call that creates is not repeated after a server error (it may have been carried out): no "every retry".
    const retried = safetyOf(action) === 'idempotent' ? ' through every retry' : '';
    return make(`AWS failed on ${action} with a server error (${name}, HTTP ${status})${retried}`, 'try again later');
  }
  return make(`${action} failed: ${name}${said && said !== name ? `: ${said}` : ''}`);
}
