import type { IncomingMessage } from 'node:http';
import type { Request } from '../requests';
import { nodeMessageOf, type ConnectRequestFields } from './run';

/**
 * The Node `req` Connect middleware ran on, to read what they added to it: `req.user` (passport),
 * `req.session` (express-session), `req.body` (body-parser), `req.file`/`req.files` (multer).
 * `Fields` says what you expect there; nothing checks it at run time.
 *
 * ```ts
 * const { user } = connectRequest<{ user?: User }>(request);
 * ```
 *
 * @throws TypeError under the Fetch adapter, which has no Node `req`.
 */
export function connectRequest<Fields extends object = Record<string, unknown>>(request: Request): IncomingMessage & ConnectRequestFields & Fields {
  return nodeMessageOf(request, 'connectRequest').req as IncomingMessage & ConnectRequestFields & Fields;
}
