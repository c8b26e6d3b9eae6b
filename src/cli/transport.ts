// The real transport for the CLI: SSM and EC2 through the SDK (AWS, or the local lab via AWS_ENDPOINT_URL).
// STNS_FLEET_POLL_MS / STNS_FLEET_MAX_POLL_MS tune how often command states are polled (default 250 ms growing to 5 s, sooner when the pace says a command ends).
// A named profile (--profile, aws.profile, AWS_PROFILE) must exist before any call is made (aws/profiles.ts).
import { checkProfile } from '../aws/profiles.js';
import { SsmTransport } from '../aws/transport.js';
import type { TransportFactory } from '../commands/session.js';

function ms(v: string | undefined): number | undefined {
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

export const sdkTransport: TransportFactory = (aws) => {
  const { profileSource, ...clientOptions } = aws;
  if (aws.profile) checkProfile(aws.profile, profileSource ?? 'profile');
  else if (process.env['AWS_PROFILE']) checkProfile(process.env['AWS_PROFILE'], 'AWS_PROFILE');
  const pollMs = ms(process.env['STNS_FLEET_POLL_MS']);
  const maxPollMs = ms(process.env['STNS_FLEET_MAX_POLL_MS']);
  return SsmTransport.open(clientOptions, { ...(pollMs ? { pollMs } : {}), ...(maxPollMs ? { maxPollMs } : {}) });
};
