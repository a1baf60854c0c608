import type { Store, WindowHit } from './store';

/**
 * A sliding window's hits, oldest first, as a queue read from `head`: the distinct millisecond
 * timestamps and how many hits each holds. Expired hits leave from the front without moving the
 * rest (the arrays are compacted once the dead front is half of them), so a hit costs the same
 * whatever the window holds, and a window holds at most one slot per millisecond.
 */
interface Window {
  times: number[];
  counts: number[];
  head: number;
  total: number;
}

interface Entry {
  expiresAt: number;
  window?: Window;
  fields?: Map<string, string>;
}

/** Dead slots at the front of a window tolerated before the arrays are compacted. */
const COMPACT_AFTER = 1024;

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
    let entry = this.live(key, now);
    if (entry === undefined) {
      entry = { expiresAt: 0 };
      this.entries.set(key, entry);
    }
    const window = (entry.window ??= { times: [], counts: [], head: 0, total: 0 });
    const { times, counts } = window;
    const cutoff = now - windowMs;
    let head = window.head;
    while (head < times.length && times[head]! <= cutoff) window.total -= counts[head++]!;
    if (head > COMPACT_AFTER && head * 2 > times.length) {
      times.splice(0, head);
      counts.splice(0, head);
      head = 0;
    } else if (head === times.length && head > 0) {
      times.length = counts.length = head = 0;
    }
    window.head = head;
    const allowed = window.total < limit;
    if (allowed) {
      const last = times.length - 1;
      if (last >= head && times[last] === now) counts[last]! += 1;
      else {
        times.push(now);
        counts.push(1);
      }
      window.total += 1;
    }
    entry.expiresAt = now + windowMs;
    return { allowed, count: window.total, resetMs: window.total === 0 ? 0 : times[head]! + windowMs - now };
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
