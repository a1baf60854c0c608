import { ExitStack } from './dependencies';
import { HTTPException } from './exceptions';
import { parseMultipart, parseUrlEncoded, type FormData, type FormOptions } from './forms';
import type { Request } from './requests';
import { SpoolDirectories } from './spool';

/** Multipart bodies up to this size limit are read whole before parsing, so they stay readable. */
const BUFFERED_FORM_LIMIT = 8 * 1024 * 1024;

/**
 * Reads `request`'s body as a form (`request.form()`): urlencoded, or multipart with uploads spooled
 * to temporary directories that the request removes when it is done. Any other type is a 415.
 */
export async function readForm(request: Request<object, object>, options?: FormOptions): Promise<FormData> {
  const contentType = request.headers.get('content-type') ?? '';
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') return parseUrlEncoded(await request.text(), options);
  if (mediaType === 'multipart/form-data') {
    const spool = new SpoolDirectories();
    (request.requestExits ??= new ExitStack()).push(() => spool.removeAll());
    // Under a modest size limit the body is read whole first, so it stays readable afterwards
    // (body(), text()); above it, it streams into the parser and can be consumed only once.
    if (request.bodyLimit() <= BUFFERED_FORM_LIMIT) await request.body();
    return parseMultipart(contentType, request.stream(), spool, options);
  }
  throw new HTTPException(415, `Unsupported media type for a form: ${mediaType === '' ? 'none' : mediaType}`);
}
