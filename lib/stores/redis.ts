import { randomBytes } from 'node:crypto';
import { PATCH_RECORD, SLIDING_WINDOW_HIT, type LuaScript } from './redis-scripts';
import type { Store, WindowHit } from './store';

/**
 * The part of a node-redis client (`createClient()` from the `redis` package, v4 or v5) that
 * {@link RedisStore} uses: raw commands.
 */
export interface RedisCommandClient {
  /** Sends one command (`['HGETALL', key]`) and resolves with its reply. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** Prefix of every key this store writes; `'stackware:'` by default. */
  prefix?: string;
  /**
   * Milliseconds a command may take before it rejects, 1000 by default, so an unreachable Redis
   * fails a request fast (and the middleware's fail-open/closed policy applies) instead of hanging.
   */
  commandTimeoutMs?: number;
}

function looksLikeIoredis(client: object): boolean {
  return 'defineCommand' in client && 'status' in client && !('isOpen' in client);
}

/**
 * A {@link Store} in Redis, shared by every process and machine that talks to the same server.
 * Check-and-add and patches run as Lua scripts, so concurrent requests never race.
 *
 * Give it a connected node-redis client; create it with `disableOfflineQueue: true` so commands
 * fail while Redis is down instead of queueing and replaying later, and give it an `'error'`
 * listener (node-redis emits one per failed reconnect).
 *
 * @example
 * ```ts
 * const client = createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true });
 * client.on('error', () => undefined);
 * await client.connect();
 * const store = new RedisStore(client);
 * app.addMiddleware(RateLimitMiddleware, { limit: 100, window: 60, store });
 * ```
 */
export class RedisStore implements Store {
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly client: RedisCommandClient,
    options: RedisStoreOptions = {},
  ) {
    if (typeof client !== 'object' || client === null) throw new TypeError('RedisStore needs a node-redis client (createClient() from the "redis" package)');
    if (looksLikeIoredis(client)) {
      throw new TypeError(
        'RedisStore takes a node-redis client, and this looks like an ioredis one. Install "redis" and pass createClient({ url, disableOfflineQueue: true }) after `await client.connect()`.',
      );
    }
    if (typeof client.sendCommand !== 'function') throw new TypeError('RedisStore needs a node-redis client (createClient() from the "redis" package): it has no sendCommand()');
    this.prefix = options.prefix ?? 'stackware:';
    this.timeoutMs = options.commandTimeoutMs ?? 1000;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<WindowHit> {
    const reply = await this.run(SLIDING_WINDOW_HIT, [this.prefix + key], [String(limit), String(Math.ceil(windowMs)), randomBytes(6).toString('base64url')]);
    const [allowed, count, resetMs] = reply as [number, number, number];
    return { allowed: allowed === 1, count, resetMs };
  }

  async getRecord(key: string): Promise<Record<string, string> | null> {
    const reply = await this.command(['HGETALL', this.prefix + key]);
    const record: Record<string, string> = Object.create(null) as Record<string, string>;
    let fields = 0;
    if (Array.isArray(reply)) {
      for (let i = 0; i + 1 < reply.length; i += 2) {
        record[String(reply[i])] = String(reply[i + 1]);
        fields++;
      }
    } else if (typeof reply === 'object' && reply !== null) {
      for (const [name, value] of Object.entries(reply)) {
        record[name] = String(value);
        fields++;
      }
    }
    return fields === 0 ? null : { ...record };
  }

  async patchRecord(key: string, set: Readonly<Record<string, string>>, remove: readonly string[], ttlSeconds: number): Promise<void> {
    const pairs = Object.entries(set);
    await this.run(PATCH_RECORD, [this.prefix + key], [String(Math.max(1, Math.ceil(ttlSeconds))), String(pairs.length), ...pairs.flat(), ...remove]);
  }

  async delete(key: string): Promise<void> {
    await this.command(['DEL', this.prefix + key]);
  }

  private async run(lua: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.command(['EVALSHA', lua.sha, String(keys.length), ...keys, ...args]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.command(['EVAL', lua.source, String(keys.length), ...keys, ...args]);
    }
  }

  private command(args: string[]): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer ${args[0]} within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([this.client.sendCommand(args), timeout]).finally(() => clearTimeout(timer));
  }
}
