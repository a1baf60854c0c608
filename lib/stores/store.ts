/**
 * What a sliding-window hit reports: whether it was let through, how many hits the window now
 * holds, and in how many milliseconds the oldest of them leaves it (a slot frees up).
 */
export interface WindowHit {
  /** True when the hit was counted; false when the window already held `limit` hits. */
  allowed: boolean;
  /** Hits in the window after this one (a refused hit is not counted). */
  count: number;
  /** Milliseconds until the oldest hit in the window expires; 0 for an empty window. */
  resetMs: number;
}

/**
 * State shared by middleware across requests and, with a shared backend, across processes and
 * machines. Every method is atomic for its key; every key has a TTL so nothing lives forever.
 *
 * Implementations: {@link MemoryStore} (one process) and {@link RedisStore} (every process that
 * talks to the same Redis). Methods reject when the backend is unreachable; callers decide
 * whether that fails open or closed.
 */
export interface Store {
  /**
   * Records a hit for `key` in a sliding window of `windowMs` unless the window already holds
   * `limit` hits: the exact check-and-add that rate limiting needs, never more than `limit` in
   * any `windowMs`.
   */
  hit(key: string, limit: number, windowMs: number): Promise<WindowHit>;
  /** The fields of the record at `key`, or null when there is none (or it expired). */
  getRecord(key: string): Promise<Record<string, string> | null>;
  /**
   * Sets the fields in `set` and removes the fields in `remove` of the record at `key`, in one
   * atomic step, and gives the record `ttlSeconds` to live. Fields not named are left as they are.
   */
  patchRecord(key: string, set: Readonly<Record<string, string>>, remove: readonly string[], ttlSeconds: number): Promise<void>;
  /** Removes `key` (a window or a record). */
  delete(key: string): Promise<void>;
}
