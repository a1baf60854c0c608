import type { Store, WindowHit } from './store';

interface Entry {
  expiresAt: number;
  hits?: number[];
  fields?: Map<string, string>;
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The current time in milliseconds, `Date.now` by default; for tests. */
  clock?: () => number;
  /** Milliseconds between sweeps of expired keys; 60 000 by default. */
  sweepIntervalMs?: number;
}

/**
 * A {@link Store} in this process's memory: the default, and correct for one process only. Under
 * `stackware serve --workers N` every worker has its own, so a rate limit of `limit` lets
 * N × `limit` through and a session written by one worker is unknown to the others; use
 * {@link RedisStore} there.
 */
export class MemoryStore implements Store {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  async hit(key: string, limit: number, windowMs: number): Promise<WindowHit> {
    const now = this.clock();
    const entry = this.live(key, now) ?? { expiresAt: 0, hits: [] };
    // Hits are kept oldest first, so the expired ones are a prefix: dropping them is amortised O(1).
    const hits = entry.hits ?? [];
    let expired = 0;
    while (expired < hits.length && hits[expired]! <= now - windowMs) expired++;
    if (expired > 0) hits.splice(0, expired);
    const allowed = hits.length < limit;
    if (allowed) hits.push(now);
    entry.hits = hits;
    entry.expiresAt = now + windowMs;
    this.entries.set(key, entry);
    return { allowed, count: hits.length, resetMs: hits.length === 0 ? 0 : hits[0]! + windowMs - now };
  }

  async getRecord(key: string): Promise<Record<string, string> | null> {
    const fields = this.live(key, this.clock())?.fields;
    return fields === undefined || fields.size === 0 ? null : Object.fromEntries(fields);
  }

  async patchRecord(key: string, set: Readonly<Record<string, string>>, remove: readonly string[], ttlSeconds: number): Promise<void> {
    const now = this.clock();
    const fields = this.live(key, now)?.fields ?? new Map<string, string>();
    for (const [name, value] of Object.entries(set)) fields.set(name, value);
    for (const name of remove) fields.delete(name);
    if (fields.size === 0) this.entries.delete(key);
    else this.entries.set(key, { expiresAt: now + ttlSeconds * 1000, fields });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  /** Stops the sweep timer (it never keeps the process alive either way). */
  close(): void {
    clearInterval(this.sweeper);
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry;
    this.entries.delete(key);
    return undefined;
  }

  private sweep(): void {
    const now = this.clock();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
