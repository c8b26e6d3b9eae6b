// The lab's HTTP front: one port on 127.0.0.1 that speaks SSM (awsJson1_1: POST /, X-Amz-Target:
// AmazonSSM.<Op>) and EC2 (query protocol: form body with Action=…, XML answers), plus the lab's own
// /_lab/ endpoints. Signatures are not checked (any dummy credentials do). Every AWS request is recorded,
// then delayed by latencyMs and, for the throttle fault, refused as the service would refuse it. With
// recordResponses, every answer (SSM JSON, EC2 XML, errors included) is kept on its request's record too.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ec2Call, ec2Error } from './ec2-api.js';
import { QueryParams } from './ec2-query.js';
import { ApiError } from './errors.js';
import { obj } from './input.js';
import type { Rng } from './random.js';
import { SSM_TARGET_PREFIX, ssmOperation } from './ssm-api.js';
import type { LabState } from './state.js';

const BODY_MAX = 16 * 1024 * 1024;

export interface RecordedResponse {
  status: number;
  /** The body as sent: SSM JSON or EC2 XML. */
  body: string;
}

export interface RecordedRequest {
  service: 'ssm' | 'ec2';
  operation: string;
  body: string;
  at: Date;
  /** The answer, once sent, when the server records responses (ServerOptions.recordResponses). */
  response?: RecordedResponse;
}

export interface ApiStats {
  /** API calls by operation (throttled ones included). */
  calls: Record<string, number>;
  throttled: number;
  /** Error answers by code. */
  errors: Record<string, number>;
}

/** A lab-private route: /_lab/<name>. Returns (or resolves to) JSON, or text for a served stand-in; or throws ApiError. */
export type LabRoute = (method: string, body: string) => unknown;

export interface ServerOptions {
  latencyMs: number;
  throttlePercent: number;
  throttleRng: Rng;
  labRoutes: Record<string, LabRoute>;
  /** Keep every response body on its request's record (off by default: a 1000-host plan reads megabytes). */
  recordResponses?: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_MAX) {
        reject(new ApiError('RequestEntityTooLarge', `request body over ${BODY_MAX} bytes`, 413));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The region of a SigV4 Authorization header's credential scope (…/DATE/REGION/SERVICE/aws4_request). */
export function signingRegion(authorization: string | undefined): string | undefined {
  return /Credential=[^/,]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization ?? '')?.[1];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly stats: ApiStats = { calls: {}, throttled: 0, errors: {} };
  private server: Server | undefined;

  constructor(
    private readonly state: () => LabState,
    private readonly o: ServerOptions,
  ) {}

  async listen(port: number): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server!.close(r));
  }

  private count(key: keyof Pick<ApiStats, 'calls' | 'errors'>, name: string): void {
    this.stats[key][name] = (this.stats[key][name] ?? 0) + 1;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab');
    let body: string;
    try {
      body = await readBody(req);
    } catch (e) {
      res.writeHead(e instanceof ApiError ? e.status : 400).end();
      return;
    }
    if (url.pathname.startsWith('/_lab/')) {
      await this.labRoute(url.pathname.slice('/_lab/'.length), req.method ?? 'GET', body, res);
      return;
    }
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') await this.ssm(target, body, req.headers.authorization, res);
    else await this.ec2(body, res);
  }

  private async labRoute(name: string, method: string, body: string, res: ServerResponse): Promise<void> {
    const route = Object.hasOwn(this.o.labRoutes, name) ? this.o.labRoutes[name] : undefined;
    const json = (status: number, v: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v, null, 2) + '\n');
    };
    if (!route) {
      json(404, { code: 'NotFound', message: `no lab endpoint /_lab/${name}` });
      return;
    }
    try {
      const answer: unknown = await route(method, body);
      // A served stand-in's answer is text (served-standins.ts); every other endpoint answers JSON.
      if (typeof answer === 'string') res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(answer);
      else json(200, answer);
    } catch (e) {
      if (e instanceof ApiError) json(e.status, { code: e.code, message: e.message });
      else throw e;
    }
  }

  /** Latency and the throttle fault, for one AWS call; true when the call was refused. */
  private async gate(): Promise<boolean> {
    if (this.o.latencyMs > 0) await sleep(this.o.latencyMs);
    if (this.o.throttlePercent > 0 && this.o.throttleRng.next() * 100 < this.o.throttlePercent) {
      this.stats.throttled++;
      return true;
    }
    return false;
  }

  private async ssm(target: string, body: string, authorization: string | undefined, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const op = target.startsWith(SSM_TARGET_PREFIX) ? target.slice(SSM_TARGET_PREFIX.length) : target;
    const record: RecordedRequest = { service: 'ssm', operation: op, body, at: new Date() };
    this.requests.push(record);
    this.count('calls', op);
    const send = (status: number, v: unknown): void => {
      const text = JSON.stringify(v);
      if (this.o.recordResponses) record.response = { status, body: text };
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId }).end(text);
    };
    const fail = (e: ApiError): void => {
      this.count('errors', e.code);
      send(e.status, { __type: e.code, message: e.message, Message: e.message });
    };
    try {
      if (await this.gate()) throw new ApiError('ThrottlingException', 'Rate exceeded');
      if (!target.startsWith(SSM_TARGET_PREFIX)) throw new ApiError('UnknownOperationException', `unknown target ${target}`);
      const handler = ssmOperation(op);
      let input: unknown;
      try {
        input = JSON.parse(body === '' ? '{}' : body);
      } catch {
        throw new ApiError('SerializationException', 'the request body is not JSON');
      }
      send(200, await handler(this.state(), obj(input), { region: signingRegion(authorization) ?? this.state().o.region }));
    } catch (e) {
      if (e instanceof ApiError) fail(e);
      else fail(new ApiError('InternalServerError', `stns-fleet lab: ${e instanceof Error ? e.message : String(e)}`, 500));
    }
  }

  private async ec2(body: string, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const q = QueryParams.parse(body);
    const action = q.get('Action') ?? '';
    const record: RecordedRequest = { service: 'ec2', operation: action, body, at: new Date() };
    this.requests.push(record);
    this.count('calls', `ec2:${action}`);
    const send = (status: number, xml: string): void => {
      if (this.o.recordResponses) record.response = { status, body: xml };
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }).end(xml);
    };
    try {
      // EC2's own throttling error: RequestLimitExceeded, HTTP 503.
      if (await this.gate()) throw new ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503);
      send(200, ec2Call(this.state(), action, q, requestId));
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('InternalError', `stns-fleet lab: ${e instanceof Error ? e.message : String(e)}`, 500);
      this.count('errors', err.code);
      send(err.status, ec2Error(err.code, err.message, requestId));
    }
  }
}
