import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { HTTPException } from './exceptions';
import { Headers } from './headers';
import type { SpoolDirectories } from './spool';

/** Limits of form parsing. */
export interface FormOptions {
  /** Bytes of an uploaded file kept in memory before it is moved to a temporary file. Default 1 MiB. */
  spoolSize?: number;
  /** At most this many files (default 1000); more is a 400. */
  maxFiles?: number;
  /** At most this many non-file fields (default 1000); more is a 400. */
  maxFields?: number;
  /** The longest field name of an urlencoded form, in bytes once decoded (default 1024); longer is a 400. */
  maxFieldNameSize?: number;
}

const DEFAULT_SPOOL_SIZE = 1024 * 1024;

/** A file from a `multipart/form-data` body: in memory while small, in a temporary file past `spoolSize`. */
export class UploadFile {
  /** The file name the client sent; `''` when it sent none. */
  readonly filename: string;
  /** The part's media type, as the client declared it (`text/plain` when it declared none). */
  readonly contentType: string;
  /** The part's headers: its `content-type`. */
  readonly headers: Headers;
  /** Size in bytes. */
  size = 0;
  private chunks: Buffer[] = [];
  private file: string | null = null;

  constructor(filename: string, contentType: string, headers: Headers) {
    this.filename = filename;
    this.contentType = contentType;
    this.headers = headers;
  }

  /** The path of the temporary file once the upload was spooled to disk; null while in memory. */
  get path(): string | null {
    return this.file;
  }

  /** The whole content. */
  async bytes(): Promise<Buffer> {
    if (this.file === null) return Buffer.concat(this.chunks);
    const parts: Buffer[] = [];
    for await (const chunk of this.stream()) parts.push(chunk);
    return Buffer.concat(parts);
  }

  /** The whole content decoded as UTF-8. */
  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  /** The content in chunks, without loading a spooled file whole. */
  async *stream(): AsyncGenerator<Buffer> {
    if (this.file === null) yield* this.chunks;
    else yield* createReadStream(this.file) as AsyncIterable<Buffer>;
  }

  /**
   * @internal Reads the part from the parser, spooling to disk past `spoolSize`. However the part
   * ends (complete, cut off, malformed), the temporary file's descriptor is closed before this
   * settles.
   */
  async receive(source: Readable, spoolSize: number, spool: SpoolDirectories): Promise<void> {
    let disk: WriteStream | null = null;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        this.size += chunk.byteLength;
        if (disk === null && this.size > spoolSize) {
          this.file = join(await spool.create(), 'upload');
          disk = createWriteStream(this.file);
          for (const held of this.chunks) disk.write(held);
          this.chunks = [];
        }
        if (disk === null) this.chunks.push(chunk);
        else if (!disk.write(chunk)) await Promise.race([once(disk, 'drain'), once(disk, 'close')]);
      }
      if (disk !== null) {
        disk.end();
        await once(disk, 'close');
      }
    } catch (error) {
      if (disk !== null && !disk.closed) {
        disk.destroy();
        await once(disk, 'close');
      }
      throw error;
    }
  }
}

/** A form field's value: text, or an uploaded file. */
export type FormValue = string | UploadFile;

/** The fields of a parsed form, several values per name kept in order (Starlette's `FormData`). */
export class FormData implements Iterable<[string, FormValue]> {
  private readonly items: Array<[string, FormValue]> = [];

  /** @internal */
  add(name: string, value: FormValue): void {
    this.items.push([name, value]);
  }

  /** The first value of `name`, or null. */
  get(name: string): FormValue | null {
    return this.items.find(([key]) => key === name)?.[1] ?? null;
  }

  /** Every value of `name`, in order. */
  getAll(name: string): FormValue[] {
    return this.items.filter(([key]) => key === name).map(([, value]) => value);
  }

  /** True when the form has a field `name`. */
  has(name: string): boolean {
    return this.items.some(([key]) => key === name);
  }

  /** The `[name, value]` pairs, in order. */
  [Symbol.iterator](): IterableIterator<[string, FormValue]> {
    return this.items[Symbol.iterator]();
  }
}

/** True when `body` has more than `max` fields (`&`-separated, empty ones skipped), found without parsing it. */
function hasMoreFields(body: string, max: number): boolean {
  let fields = 0;
  for (let start = 0; start <= body.length; ) {
    let end = body.indexOf('&', start);
    if (end === -1) end = body.length;
    if (end > start && ++fields > max) return true;
    start = end + 1;
  }
  return false;
}

/**
 * Parses an `application/x-www-form-urlencoded` body. More than `maxFields` fields (1000 by
 * default), counted before anything is decoded, or a name longer than `maxFieldNameSize` bytes
 * (1024), is a 400.
 */
export function parseUrlEncoded(body: string, options: FormOptions = {}): FormData {
  const maxFields = options.maxFields ?? 1000;
  const maxNameSize = options.maxFieldNameSize ?? 1024;
  if (hasMoreFields(body, maxFields)) throw new HTTPException(400, `Too many fields in the form: more than ${maxFields}`);
  const form = new FormData();
  for (const [name, value] of new URLSearchParams(body)) {
    if (name.length > maxNameSize / 3 && Buffer.byteLength(name) > maxNameSize) {
      throw new HTTPException(400, `A form field name is longer than ${maxNameSize} bytes`);
    }
    form.add(name, value);
  }
  return form;
}

/**
 * Parses a `multipart/form-data` body with busboy as it streams in. Spooled uploads' temporary
 * directories come from `spool`, which the request removes when it is done, even if parsing fails.
 * When the body fails (cut off, malformed, over a limit), every part still streaming is stopped and
 * its temporary file closed before the error is thrown.
 */
export async function parseMultipart(
  contentType: string,
  body: AsyncIterable<Uint8Array>,
  spool: SpoolDirectories,
  options: FormOptions = {},
): Promise<FormData> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: { files: options.maxFiles ?? 1000, fields: options.maxFields ?? 1000 },
    });
  } catch (error) {
    throw new HTTPException(400, `Malformed multipart body: ${(error as Error).message}`);
  }
  const spoolSize = options.spoolSize ?? DEFAULT_SPOOL_SIZE;
  const form = new FormData();
  const pending: Promise<void>[] = [];
  const streaming = new Set<Readable>();
  let failure: unknown = null;
  const fail = (error: unknown): void => {
    failure ??= error;
  };
  const stopParts = (reason: unknown): void => {
    for (const stream of streaming) stream.destroy(reason instanceof Error ? reason : new Error('The form failed'));
  };

  parser.on('field', (name, value) => form.add(name, value));
  parser.on('file', (name, stream, info) => {
    const headers = new Headers({ 'content-type': info.mimeType });
    const upload = new UploadFile(info.filename ?? '', info.mimeType, headers);
    form.add(name, upload);
    streaming.add(stream);
    pending.push(
      upload
        .receive(stream, spoolSize, spool)
        .catch(fail)
        .finally(() => streaming.delete(stream)),
    );
  });
  parser.on('filesLimit', () => fail(new HTTPException(400, 'Too many files in the form')));
  parser.on('fieldsLimit', () => fail(new HTTPException(400, 'Too many fields in the form')));
  const finished = new Promise<void>((resolve) => {
    parser.on('close', resolve);
    parser.on('error', (error) => {
      fail(new HTTPException(400, `Malformed multipart body: ${(error as Error).message}`));
      resolve();
    });
  });

  try {
    for await (const chunk of body) {
      if (failure !== null) break;
      if (!parser.write(chunk)) await Promise.race([once(parser, 'drain'), finished]);
    }
  } catch (error) {
    stopParts(error);
    parser.destroy();
    await Promise.all(pending);
    throw error;
  }
  if (failure !== null) stopParts(failure);
  parser.end();
  await finished;
  if (failure !== null) stopParts(failure);
  await Promise.all(pending);
  if (failure !== null) throw failure;
  return form;
}
