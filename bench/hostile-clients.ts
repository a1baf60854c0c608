// Issue 19's hostile clients for the load test (bench/load.ts): slow readers that ask for a large
// response and never read it, and uploads that write their whole body before reading the answer.
import { connect, type Socket } from 'node:net';

/** Opens `count` connections that each send `GET path` and never read a byte of the answer. */
export function openSlowReaders(port: number, paths: readonly string[], count: number): Socket[] {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined); // the server cutting them off is the point
    socket.write(`GET ${paths[i % paths.length]} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    socket.pause();
    sockets.push(socket);
  }
  return sockets;
}

/**
 * Uploads `size` bytes as Python's `requests` does (the whole body written, then the answer read),
 * with `Content-Length` or chunked. Resolves with the status received, or what went wrong instead.
 */
export function uploadThenRead(port: number, path: string, chunked: boolean, size: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    let received = '';
    let failure: string | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve(status !== null && received.includes('\r\n\r\n') ? status[1] : (failure ?? 'no answer'));
    };
    const timer = setTimeout(() => {
      failure ??= 'timeout';
      finish();
    }, 15_000);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= error.code ?? error.message;
      finish();
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) finish();
    });
    socket.on('end', finish);
    const framing = chunked ? 'transfer-encoding: chunked' : `content-length: ${size}`;
    socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\n${framing}\r\n\r\n`);
    const data = Buffer.alloc(64 * 1024, 97);
    const piece = chunked ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]) : data;
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += data.length;
        if (!socket.write(piece)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (chunked) socket.write('0\r\n\r\n');
      socket.resume();
    };
    pump();
  });
}
