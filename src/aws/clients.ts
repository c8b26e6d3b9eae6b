// The one place the SSM and EC2 clients are built. No endpoint is set here: the SDK itself honours
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM and AWS_ENDPOINT_URL_EC2 (smithy's getEndpointFromConfig), which is
// how the local lab is reached with the real SDK code path.
//
// Retries: the SDK makes ONE attempt per call (maxAttempts 1); the only retry policy is withRetry in
// backoff.ts, which knows which calls are safe to repeat (a SendCommand is not). retryMode is 'standard'
// (whatever AWS_RETRY_MODE says): the SDK's 'adaptive' limiter held every call of a run for up to 2 s after
// one early throttle; how the calls of a run slow down together is throttle-gate.ts.
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DEFAULT_ATTEMPTS, type Call } from './backoff.js';

export interface AwsClients {
  ssm: SSMClient;
  ec2: EC2Client;
  /** Attempts per AWS call of our retry policy, as makeAwsClients resolved them (else DEFAULT_ATTEMPTS). */
  maxAttempts?: number;
}

/** What discover/run work with: the clients, the one way to call them, and how many calls may overlap. */
export interface AwsContext extends AwsClients {
  call: Call;
  concurrency: number;
}

export interface AwsClientOptions {
  region: string;
  /** A profile of ~/.aws/config; otherwise the default credential chain (env, SSO, instance role, …). */
  profile?: string;
  /** Attempts per AWS call in all, the first included (default AWS_MAX_ATTEMPTS, else 8). */
  maxAttempts?: number;
}

function positiveInt(s: string | undefined): number | undefined {
  const n = s === undefined ? NaN : Number(s);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * AWS_MAX_ATTEMPTS (read here, and only here) keeps the meaning it has for every AWS SDK: the most attempts
 * one AWS call makes, the first included; 1 turns retries off. stns-fleet's own policy spends them (the SDK
 * itself is told 1): throttling, 5xx and network errors are retried up to that many attempts for reads and
 * idempotent writes; a SendCommand is retried as often only when refused before acting (throttling), and
 * after an ambiguous failure it is sent again only once a lookup found that it was not created. A value that
 * is not a positive integer is ignored (default 8).
 */
function maxAttemptsOf(o: Pick<AwsClientOptions, 'maxAttempts'>, env: NodeJS.ProcessEnv = process.env): number {
  return o.maxAttempts ?? positiveInt(env.AWS_MAX_ATTEMPTS) ?? DEFAULT_ATTEMPTS;
}

export function makeAwsClients(o: AwsClientOptions, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const config = {
    region: o.region,
    retryMode: 'standard',
    maxAttempts: 1,
    ...(o.profile ? { profile: o.profile } : {}),
  };
  return { ssm: new SSMClient(config), ec2: new EC2Client(config), maxAttempts: maxAttemptsOf(o, env) };
}
