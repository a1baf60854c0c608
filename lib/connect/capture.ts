// The node `res` shared by Connect code and the Node adapter. Connect code (and the wrappers it puts
// on `res.write`/`res.end`, such as compression's or express-session's) writes through `res` as it
// always does; at the bottom of those wrappers, what it writes becomes a Response (answer.ts) for
// the stackware layers outside. The adapter then writes that Response past the wrappers, so nothing
// is compressed or saved twice; when stackware answers instead, the adapter writes through them.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Request } from '../requests';
import { sendsNoBody, type Response } from '../responses';
import { CapturedAnswer, takeHeaders } from './answer';

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

interface Methods {
  writeHead: Method;
  write: Method;
  end: Method;
  flushHeaders: Method;
}

/** The layer waiting for Connect code to answer: it gets the Response of what was written. */
export interface AnswerOwner {
  readonly request: Request;
  answered(response: Response): void;
  /** `res` closed (sent by someone else, or the client went away) before Connect code answered. */
  abandoned(): void;
}

// On `res` itself rather than in a WeakMap: one per request, and ephemerons cost the GC.
const CAPTURE = Symbol('stackware.connectCapture');
type WithCapture = ServerResponse & { [CAPTURE]?: ResponseCapture };

function methodsOf(res: ServerResponse): Methods {
  const own = res as unknown as Methods;
  return { writeHead: own.writeHead, write: own.write, end: own.end, flushHeaders: own.flushHeaders };
}

function setMethods(res: ServerResponse, methods: Methods): void {
  Object.assign(res, methods);
}

function callbackOf(args: unknown[]): (() => void) | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as () => void) : undefined;
}

/** Applies `writeHead`'s optional reason phrase and headers to `res`, as Node would. */
function applyHead(res: ServerResponse, args: unknown[]): void {
  if (typeof args[0] === 'number') res.statusCode = args[0];
  let headers = args[1];
  if (typeof headers === 'string') {
    res.statusMessage = headers;
    headers = args[2];
  }
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) res.removeHeader(String(headers[i]));
    for (let i = 0; i + 1 < headers.length; i += 2) res.appendHeader(String(headers[i]), headers[i + 1] as string);
  } else if (headers !== null && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) if (value !== undefined) res.setHeader(name, value);
  }
}

let outHeaders: symbol | undefined;

/**
 * Whether `setHeader` was ever used on `res`: Node's header map (a symbol-keyed field) exists.
 * Without it, `writeHead` takes its header list as it is, repeated names included.
 */
function hadSetHeader(res: ServerResponse): boolean {
  outHeaders ??= Object.getOwnPropertySymbols(res).find((symbol) => symbol.description === 'kOutHeaders');
  // Unknown (another Node): assume it was, and take the path that is right either way.
  return outHeaders === undefined || (res as unknown as Record<symbol, unknown>)[outHeaders] != null;
}

/**
 * `writeHead` on the real `res`. Node 20 collapses repeated names in a `writeHead` header list
 * (two `set-cookie`s become one) once anything was ever set with `setHeader`, which Connect
 * middleware always have: the list is applied with `appendHeader` instead.
 */
function rawWriteHead(raw: Methods, res: ServerResponse, args: unknown[]): unknown {
  if (!hadSetHeader(res) || !args.some(Array.isArray)) return raw.writeHead.apply(res, args);
  applyHead(res, args);
  return raw.writeHead.call(res, res.statusCode);
}

/** The capture of one `res`, installed by the first Connect layer or node handler a request meets. */
export class ResponseCapture {
  /** Who answers when Connect code writes now; undefined while stackware has the request. */
  owner: AnswerOwner | undefined;
  private answer: CapturedAnswer | undefined;
  private readonly raw: Methods;

  private constructor(private readonly res: ServerResponse) {
    this.raw = methodsOf(res);
    setMethods(res, this.bottom());
    (res as WithCapture)[CAPTURE] = this;
    // A Connect function that never answers a request already answered (a timeout outside) must
    // not keep it in flight: a graceful shutdown would wait on it.
    res.once('close', () => {
      const owner = this.owner;
      this.owner = undefined;
      owner?.abandoned();
    });
  }

  /** The capture of `res`, installed on first use. */
  static of(res: ServerResponse): ResponseCapture {
    return (res as WithCapture)[CAPTURE] ?? new ResponseCapture(res);
  }

  /** True when `response` is what Connect code wrote (rather than an answer from stackware). */
  isAnswer(response: Response): boolean {
    return this.answer?.response === response;
  }

  /** Whether a write reaching the bottom of the wrappers is Connect code answering. */
  private answering(): boolean {
    const owner = this.owner;
    if (owner === undefined) return false;
    // A layer outside gave up on the request (a timeout, the client went away): what is written
    // now is the adapter's answer to that, not Connect code's.
    if (owner.request.signal.aborted) {
      this.owner = undefined;
      owner.abandoned();
      return false;
    }
    return true;
  }

  /** The functions at the bottom of any wrappers Connect code puts on `res`. */
  private bottom(): Methods {
    const capture = this;
    const raw = this.raw;
    const res = this.res;
    const implicitHead = (): void => {
      if (capture.answer === undefined) res.writeHead(res.statusCode);
      if (capture.answer === undefined) capture.start([res.statusCode]);
    };
    return {
      writeHead(...args) {
        if (capture.answer !== undefined) return this;
        if (!capture.answering()) return rawWriteHead(raw, this, args);
        capture.start(args);
        return this;
      },
      write(...args) {
        if (capture.answer === undefined) {
          // Late writes after the adapter ended `res` (a timeout answered first): dropped, not an 'error'.
          if (this.writableEnded) return false;
          if (!capture.answering()) return raw.write.apply(this, args);
          implicitHead();
        }
        const done = callbackOf(args);
        if (done !== undefined) process.nextTick(done);
        return (capture.answer as CapturedAnswer).body.push(args[0], typeof args[1] === 'string' ? (args[1] as BufferEncoding) : undefined);
      },
      end(...args) {
        if (capture.answer === undefined) {
          if (!capture.answering()) return raw.end.apply(this, args);
          implicitHead();
        }
        const answer = capture.answer as CapturedAnswer;
        const done = callbackOf(args);
        if (done !== undefined) this.once('finish', done);
        if (typeof args[0] !== 'function') answer.body.push(args[0], typeof args[1] === 'string' ? (args[1] as BufferEncoding) : undefined);
        answer.body.end();
        return this;
      },
      flushHeaders(...args) {
        if (capture.answer !== undefined) return undefined;
        if (!capture.answering()) return raw.flushHeaders.apply(this, args);
        implicitHead();
        return undefined;
      },
    };
  }

  /** Connect code wrote its head: the answer starts, and is handed to its owner once the code that wrote it has run. */
  private start(args: unknown[]): void {
    const res = this.res;
    applyHead(res, args);
    const answer = new CapturedAnswer(res.statusCode, takeHeaders(res), res);
    this.answer = answer;
    // Connect code asks `res.headersSent` before writing again: its head counts as sent. Defined
    // only now, so that a request Connect code does not answer keeps `res` as Node made it.
    Object.defineProperty(res, 'headersSent', { configurable: true, value: true });
    const owner = this.owner as AnswerOwner;
    this.owner = undefined;
    // After the current job: a `res.end(body)` right after the head makes a fixed response.
    setImmediate(() => {
      const response = answer.toResponse();
      this.routeAdapter(answer, response, owner.request.method);
      owner.answered(response);
    });
  }

  /**
   * From now on, calls on `res` come from two writers: Connect code still writing its body (through
   * its wrappers, to the capture), and the adapter writing the Response (past them, to the socket).
   * The adapter's start is its `writeHead(status, [headers])`; after it, a chunk is the adapter's
   * when it came out of the body the adapter reads (marked here), or everything is once Connect
   * code has ended its body or the Response sent is not its answer.
   */
  private routeAdapter(answer: CapturedAnswer, response: Response, method: string): void {
    const res = this.res;
    const raw = this.raw;
    const connect = methodsOf(res);
    const marked = new WeakSet<object>();
    let sending: 'no' | 'marked' | 'all' = 'no';
    let endExpected = false;
    let ended = false;
    const mark = async function* (body: AsyncIterable<string | Uint8Array>): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of body) {
          const view = typeof chunk === 'string' ? Buffer.from(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          marked.add(view);
          yield view;
        }
      } finally {
        endExpected = true;
      }
    };
    const adapters = (chunk: unknown, end: boolean): boolean =>
      sending === 'all' || (typeof chunk === 'object' && chunk !== null && marked.has(chunk)) || (end && endExpected && (chunk === undefined || typeof chunk === 'function'));
    setMethods(res, {
      writeHead(...args) {
        if (sending !== 'no') return rawWriteHead(raw, this, args);
        if (!Array.isArray(args[1])) return connect.writeHead.apply(this, args);
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        const ours = args[1] === response.headers.toFlatList();
        if (ours && !answer.body.ended && response.bodyIterator !== null && !sendsNoBody(method, args[0] as number)) {
          sending = 'marked';
          response.bodyIterator = mark(response.bodyIterator);
        } else {
          sending = 'all';
        }
        return rawWriteHead(raw, this, args);
      },
      write(...args) {
        if (ended) return false;
        if (sending !== 'no' && adapters(args[0], false)) return raw.write.apply(this, args);
        return connect.write.apply(this, args);
      },
      end(...args) {
        if (ended) return this;
        if (sending !== 'no' && adapters(args[0], true)) {
          ended = true;
          return raw.end.apply(this, args);
        }
        return connect.end.apply(this, args);
      },
      flushHeaders(...args) {
        return (sending === 'no' ? connect : raw).flushHeaders.apply(this, args);
      },
    });
  }
}
