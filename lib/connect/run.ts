// One call of a Connect function, `fn(req, res, next)`, as a step of a stackware request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from '../requests';
import type { NodeMessage } from '../request-source';
import type { Response } from '../responses';
import { BodyTap } from './body-replay';
import { ResponseCapture, type AnswerOwner } from './capture';
import { connectError } from './errors';

/** What Connect and Express add to `req` for the middleware they run. */
export interface ConnectRequestFields {
  /** The request target as received, before any mount or path-scoped middleware cut its prefix. */
  originalUrl?: string;
  /** The prefix a mount or a path-scoped middleware cut from `req.url`. */
  baseUrl?: string;
}

/** `next` as Connect passes it: `next()` goes on, `next(error)` fails the request. */
export type ConnectNext = (error?: unknown) => void;

/**
 * A Connect/Express middleware, `(req, res, next) => void`; any function whose `req` and `res` are
 * Node's (or Express's, which extend them) fits.
 */
export type ConnectHandler = {
  // Method syntax keeps the parameters bivariant: Express's `Request`, cors's narrower `res` fit.
  /** Handles `req`: answers on `res`, or calls `next()` to go on, or `next(error)` to fail. */
  handler(req: IncomingMessage, res: ServerResponse, next: ConnectNext): unknown;
}['handler'];

const TAP = Symbol('stackware.connectBodyTap');
type WithTap = IncomingMessage & { [TAP]?: BodyTap };

/** The request's Node objects, or the error the Fetch adapter answers with (it has none). */
export function nodeMessageOf(request: Request, who: string): NodeMessage {
  // A request keeps its source to itself; the Node objects behind it are reached here only, for
  // Connect code (TypeScript lets an element access read a private field, on purpose).
  const node = request['source'].node?.();
  if (node === undefined) {
    throw new TypeError(
      `${who} needs the Node adapter (app.listen(), app.callback(), stackware serve): Connect middleware run on Node's IncomingMessage and ServerResponse, which app.fetch() does not have`,
    );
  }
  return node;
}

/** True when the request has a body (HTTP/1.1: a `Content-Length` above 0, or `Transfer-Encoding`). */
function hasBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

function tapOf(request: Request, req: IncomingMessage): BodyTap {
  let tap = (req as WithTap)[TAP];
  if (tap === undefined) {
    tap = new BodyTap(req, request.bodyLimit());
    (req as WithTap)[TAP] = tap;
    tap.install();
  }
  return tap;
}

/** Where `req.url` and `req.baseUrl` point while the function runs, and what `next()` does. */
export interface ConnectCallOptions {
  readonly url?: string;
  readonly baseUrl?: string;
  /** Runs when the function calls `next()` without an error. */
  onNext(): Promise<Response>;
}

/**
 * Calls `fn(req, res, next)` and resolves to the Response of the request: what `onNext` resolves
 * to once `fn` calls `next()`, or what `fn` wrote itself. `next(error)`, a throw or a rejected
 * promise rejects with {@link connectError}.
 */
export function runConnect(request: Request, node: NodeMessage, fn: ConnectHandler, options: ConnectCallOptions): Promise<Response> {
  const req = node.req;
  if (!hasBody(req)) return call(request, node, fn, options, undefined);
  const tap = tapOf(request, req);
  // A body stackware has read (or begun to) is read whole, then made readable from `req` again;
  // otherwise the tap records what Connect code reads, for stackware to read after `next()`.
  if (!req.readableDidRead) return call(request, node, fn, options, tap);
  return request
    .body()
    .then((bytes) => tap.replay(bytes))
    .then(() => call(request, node, fn, options, tap));
}

function call(request: Request, node: NodeMessage, fn: ConnectHandler, options: ConnectCallOptions, tap: BodyTap | undefined): Promise<Response> {
  const { req, res } = node;
  const capture = ResponseCapture.of(res);
  return new Promise<Response>((resolve, reject) => {
    const fields = req as IncomingMessage & ConnectRequestFields;
    const locals = res as ServerResponse & { locals?: object };
    locals.locals ??= Object.create(null) as object;
    fields.originalUrl ??= req.url;
    const url = req.url;
    const baseUrl = fields.baseUrl;
    if (options.url !== undefined) req.url = options.url;
    if (options.baseUrl !== undefined) fields.baseUrl = options.baseUrl;
    let settled = false;
    const owner: AnswerOwner = {
      request,
      answered(response) {
        if (settled) return;
        settled = true;
        resolve(response);
      },
      abandoned() {
        if (settled) return;
        settled = true;
        reject(new Error('The response was closed before the Connect middleware answered or called next()'));
      },
    };
    capture.owner = owner;
    const next: ConnectNext = (error) => {
      if (settled) return;
      settled = true;
      if (capture.owner === owner) capture.owner = undefined;
      req.url = url;
      fields.baseUrl = baseUrl;
      const go = (): void => {
        if (error !== undefined && error !== null && error !== 'route' && error !== 'router') reject(connectError(error));
        else options.onNext().then(resolve, reject);
      };
      const rewound = tap?.rewind();
      if (rewound === undefined) go();
      else rewound.then(go, reject);
    };
    try {
      const result = fn(req, res, next) as PromiseLike<unknown> | undefined;
      if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
        result.then(undefined, (error: unknown) => next(error ?? new Error('A Connect middleware rejected')));
      }
    } catch (error) {
      next(error ?? new Error('A Connect middleware threw'));
    }
  });
}
