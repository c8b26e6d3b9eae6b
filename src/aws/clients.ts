// The one place the SSM and EC2 clients are built. No endpoint is set here: the SDK itself honours
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM and AWS_ENDPOINT_URL_EC2 (smithy's getEndpointFromConfig), which is
// how the local lab is reached with the real SDK code path.
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Call } from './backoff.js';

export interface AwsClients {
  ssm: SSMClient;
  ec2: EC2Client;
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
  /** SDK attempts per call, the first included (default AWS_MAX_ATTEMPTS, else 8). */
  maxAttempts?: number;
}

const DEFAULT_MAX_ATTEMPTS = 8;

function positiveInt(s: string | undefined): number | undefined {
  const n = s === undefined ? NaN : Number(s);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function makeAwsClients(o: AwsClientOptions, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const config = {
    region: o.region,
    // Adaptive adds a client-side rate limiter on top of the backoff: polling many commands stays under the quota.
    retryMode: 'adaptive',
    maxAttempts: o.maxAttempts ?? positiveInt(env.AWS_MAX_ATTEMPTS) ?? DEFAULT_MAX_ATTEMPTS,
    ...(o.profile ? { profile: o.profile } : {}),
  };
  return { ssm: new SSMClient(config), ec2: new EC2Client(config) };
}
