// A tiny SSM on 127.0.0.1 for the tests that must go through the real SDK (its own retries are only
// visible on the wire: aws-sdk-client-mock replaces `send`, middleware and all). It speaks awsJson1_1 and
// answers SendCommand, ListCommands (InvokedAfter / DocumentName filters, CommandId, paging),
// ListCommandInvocations (every host Success at once), CancelCommand and CreateActivation; anything else
// is an InternalServerError unless a fault says otherwise. Faults are queued per operation, one request
// each, or set for every request; a created command can be kept out of ListCommands for its first few
// listings (eventual consistency).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * How one request is answered instead of normally:
 * - throttle: 400 ThrottlingException, nothing done;
 * - error500: 500 InternalServerError, nothing done;
 * - reset: the connection is dropped, nothing done;
 * - created+500 / created+reset: the request is carried out (a command or activation is created), then the
 *   answer is lost: a 500, or the connection dropped before any byte of the response;
 * - denied: 400 AccessDeniedException.
 */
export type Fault = 'throttle' | 'error500' | 'reset' | 'created+500' | 'created+reset' | 'denied';

export interface Received {
  op: string;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  /** Wall-clock ms when it arrived. */
  at: number;
}

export interface ServerCommand {
  CommandId: string;
  Comment: string;
  DocumentName: string;
  InstanceIds: string[];
  RequestedDateTime: Date;
  /** ListCommands listings (without CommandId) that did not show it yet. */
  hiddenFor: number;
  cancelled: boolean;
}

export interface FakeSsm {
  url: string;
  received: Received[];
  commands: ServerCommand[];
  activations: string[];
  /** The next requests to `op` meet these faults, one each. */
  fault(op: string, ...faults: Fault[]): void;
  /** Every request meets this fault (undefined: none). */
  always: Fault | undefined;
  /** A new command is missing from this many ListCommands listings before it shows. */
  listLag: number;
  /** The same, per command created, in turn (before listLag applies). */
  listLags: number[];
  to(op: string): Received[];
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.statusCode = status;
  res.setHeader('content-type', 'application/x-amz-json-1.1');
  res.end(JSON.stringify(body));
};

const epoch = (d: Date): number => d.getTime() / 1000;

export async function startFakeSsm(): Promise<FakeSsm> {
  const queued = new Map<string, Fault[]>();
  const sockets = new Set<Socket>();
  let n = 0;
  const ssm: FakeSsm = {
    url: '',
    received: [],
    commands: [],
    activations: [],
    always: undefined,
    listLag: 0,
    listLags: [],
    fault: (op, ...faults) => void queued.set(op, [...(queued.get(op) ?? []), ...faults]),
    to: (op) => ssm.received.filter((r) => r.op === op),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const view = (c: ServerCommand): Record<string, unknown> => ({
    CommandId: c.CommandId,
    Comment: c.Comment,
    DocumentName: c.DocumentName,
    InstanceIds: c.InstanceIds,
    RequestedDateTime: epoch(c.RequestedDateTime),
    Status: c.cancelled ? 'Cancelled' : 'Success',
    StatusDetails: c.cancelled ? 'Cancelled' : 'Success',
    TargetCount: c.InstanceIds.length,
    CompletedCount: c.InstanceIds.length,
    ErrorCount: 0,
    DeliveryTimedOutCount: 0,
  });

  const invocations = (c: ServerCommand, details: boolean): Record<string, unknown>[] =>
    c.InstanceIds.map((id) => ({
      CommandId: c.CommandId,
      InstanceId: id,
      DocumentName: c.DocumentName,
      Comment: c.Comment,
      RequestedDateTime: epoch(c.RequestedDateTime),
      Status: 'Success',
      StatusDetails: 'Success',
      ...(details ? { CommandPlugins: [{ Name: 'aws:runShellScript', Status: 'Success', ResponseCode: 0, Output: 'ok\n' }] } : {}),
    }));

  /** Carries the request out; returns the normal answer. */
  const act = (op: string, body: Record<string, unknown>): [number, unknown] => {
    switch (op) {
      case 'SendCommand': {
        const c: ServerCommand = {
          CommandId: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
          Comment: typeof body.Comment === 'string' ? body.Comment : '',
          DocumentName: String(body.DocumentName),
          InstanceIds: (body.InstanceIds as string[] | undefined) ?? [],
          RequestedDateTime: new Date(),
          hiddenFor: ssm.listLags.shift() ?? ssm.listLag,
          cancelled: false,
        };
        ssm.commands.push(c);
        return [200, { Command: { ...view(c), Status: 'Pending', StatusDetails: 'Pending', CompletedCount: 0 } }];
      }
      case 'ListCommands': {
        const filters = (body.Filters as { key: string; value: string }[] | undefined) ?? [];
        if (body.CommandId) {
          const c = ssm.commands.find((x) => x.CommandId === body.CommandId && x.hiddenFor === 0);
          return c ? [200, { Commands: [view(c)] }] : [400, { __type: 'InvalidCommandId', message: '' }];
        }
        const shown = [...ssm.commands].reverse().filter((c) => {
          if (c.hiddenFor > 0) {
            c.hiddenFor--;
            return false;
          }
          return filters.every((f) => {
            if (f.key === 'InvokedAfter') return c.RequestedDateTime.getTime() >= Date.parse(f.value);
            if (f.key === 'DocumentName') return c.DocumentName === f.value;
            throw new Error(`the fake SSM does not take the ListCommands filter ${f.key}`);
          });
        });
        const from = body.NextToken ? Number(body.NextToken) : 0;
        const size = Number(body.MaxResults ?? 50);
        const page = shown.slice(from, from + size).map(view);
        return [200, { Commands: page, ...(from + size < shown.length ? { NextToken: String(from + size) } : {}) }];
      }
      case 'ListCommandInvocations': {
        const cmds = body.CommandId ? ssm.commands.filter((c) => c.CommandId === body.CommandId) : [];
        return [200, { CommandInvocations: cmds.flatMap((c) => invocations(c, body.Details === true)) }];
      }
      case 'CancelCommand': {
        const c = ssm.commands.find((x) => x.CommandId === body.CommandId);
        if (!c) return [400, { __type: 'InvalidCommandId', message: '' }];
        c.cancelled = true;
        return [200, {}];
      }
      case 'CreateActivation': {
        const id = `a1b2c3d4-0000-4000-8000-${String(ssm.activations.length + 1).padStart(12, '0')}`;
        ssm.activations.push(id);
        return [200, { ActivationId: id, ActivationCode: `code-${id}` }];
      }
      default:
        return [500, { __type: 'InternalServerError', message: `the fake SSM does not answer ${op}` }];
    }
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSSM\./, '');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      ssm.received.push({ op, body, headers: req.headers, at: Date.now() });
      const fault = queued.get(op)?.shift() ?? ssm.always;
      if (fault === 'throttle') return json(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      if (fault === 'error500') return json(res, 500, { __type: 'InternalServerError', message: 'Internal error' });
      if (fault === 'denied') return json(res, 400, { __type: 'AccessDeniedException', message: `not authorized to perform: ssm:${op}` });
      if (fault === 'reset') return void req.socket.destroy();
      const [status, answer] = act(op, body);
      if (fault === 'created+reset') return void req.socket.destroy();
      if (fault === 'created+500') return json(res, 500, { __type: 'InternalServerError', message: 'Internal error' });
      json(res, status, answer);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ssm.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return ssm;
}
