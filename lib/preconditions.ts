import { HTTPException } from './exceptions';
import type { Headers } from './headers';
import { Response } from './responses';

/** What a conditional request is checked against: the current representation's validators. */
export interface Validators {
  /** The current entity tag, quoted (`"abc"` or `W/"abc"`), if there is one. */
  etag?: string | null;
  /** When the representation last changed, if known; compared to the second, as HTTP dates are. */
  lastModified?: Date | null;
}

/** The part of a request preconditions read. */
export interface ConditionalRequest {
  /** The request method: `If-Modified-Since` and a matching `If-None-Match` give 304 only to GET and HEAD. */
  readonly method: string;
  /** The request headers. */
  readonly headers: Headers;
}

/** The outcome of a request's preconditions: go on, answer 304, or answer 412. */
export type PreconditionOutcome = 'proceed' | 'not-modified' | 'failed';

/** The headers a 304 keeps from the 200 it stands for (RFC 9110 §15.4.5), `last-modified` included. */
const NOT_MODIFIED_HEADERS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'last-modified', 'vary']);
const ENTITY_TAG = /(?:W\/)?"[^"]*"|\*/g;

/** The entity tags of an `If-Match`/`If-None-Match` value (`*` included as itself); unquoted junk is skipped. */
export function parseEntityTags(header: string): string[] {
  return header.match(ENTITY_TAG) ?? [];
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);

/** Weak comparison (RFC 9110 §8.8.3.2): the opaque tags are equal, `W/` or not. */
export function weakMatch(a: string, b: string): boolean {
  return opaque(a) === opaque(b);
}

/** Strong comparison: both tags strong and equal. */
export function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && a === b;
}

/** Seconds since the epoch of an HTTP date, or null when it is not one. */
function httpDate(value: string): number | null {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);
const safe = (method: string): boolean => method === 'GET' || method === 'HEAD';

/**
 * Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since` in the
 * order of RFC 9110 §13.2.2. `If-None-Match` (weak comparison, lists and `*`) wins over
 * `If-Modified-Since`, which only applies to GET and HEAD; a date that cannot be read is ignored.
 */
export function evaluatePreconditions(request: ConditionalRequest, validators: Validators): PreconditionOutcome {
  const { headers, method } = request;
  const etag = validators.etag ?? null;
  const lastModified = validators.lastModified ? seconds(validators.lastModified) : null;
  const ifMatch = headers.get('if-match');
  if (ifMatch !== null) {
    const tags = parseEntityTags(ifMatch);
    const matched = tags.includes('*') ? etag !== null : etag !== null && tags.some((tag) => strongMatch(tag, etag));
    if (!matched) return 'failed';
  } else {
    const ifUnmodifiedSince = headers.get('if-unmodified-since');
    const date = ifUnmodifiedSince === null ? null : httpDate(ifUnmodifiedSince);
    if (date !== null && lastModified !== null && lastModified > date) return 'failed';
  }
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== null) {
    const tags = parseEntityTags(ifNoneMatch);
    const matched = tags.includes('*') ? etag !== null : etag !== null && tags.some((tag) => weakMatch(tag, etag));
    if (matched) return safe(method) ? 'not-modified' : 'failed';
    return 'proceed';
  }
  if (safe(method) && lastModified !== null) {
    const ifModifiedSince = headers.get('if-modified-since');
    const date = ifModifiedSince === null ? null : httpDate(ifModifiedSince);
    // A date in the future is no date at all (RFC 9110 §13.1.3): the client's clock is wrong.
    if (date !== null && date <= seconds(new Date()) && lastModified <= date) return 'not-modified';
  }
  return 'proceed';
}

/**
 * True when an `If-Range` value still names the current representation, so a `Range` applies: a
 * strong ETag equal to the current one, or exactly its `Last-Modified` date. A weak tag never matches.
 */
export function ifRangeMatches(value: string, validators: Validators): boolean {
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) {
    return validators.etag !== null && validators.etag !== undefined && strongMatch(trimmed, validators.etag);
  }
  const date = httpDate(trimmed);
  return date !== null && validators.lastModified !== null && validators.lastModified !== undefined && seconds(validators.lastModified) === date;
}

/** Drops, in place, the headers a 304 does not carry: it keeps only those a cache updates its copy with. */
export function keepNotModifiedHeaders(headers: Headers): void {
  const names = new Set<string>();
  for (const [name] of headers) names.add(name);
  for (const name of names) if (!NOT_MODIFIED_HEADERS.has(name)) headers.delete(name);
}

/**
 * Lets a route honour conditional requests on its own resource: throws a 412 `HTTPException` when
 * `If-Match` or `If-Unmodified-Since` fails (an edit based on a stale copy), returns a 304 when
 * `If-None-Match` or `If-Modified-Since` says the client's copy is current, else null (go on).
 *
 * @example
 * ```ts
 * app.put('/notes/{id}', async (request) => {
 *   const note = notes.get(request.pathParams.id);
 *   checkPreconditions(request, { etag: note.etag }); // a 412 unless If-Match names the current version
 *   ...
 * });
 * ```
 */
export function checkPreconditions(request: ConditionalRequest, validators: Validators): Response | null {
  const outcome = evaluatePreconditions(request, validators);
  if (outcome === 'failed') throw new HTTPException(412);
  if (outcome === 'proceed') return null;
  const response = new Response(null, { statusCode: 304 });
  if (validators.etag) response.headers.set('etag', validators.etag);
  if (validators.lastModified) response.headers.set('last-modified', validators.lastModified.toUTCString());
  return response;
}
