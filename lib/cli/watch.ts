import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/** The files `--reload` watches unless `--reload-include`/`--reload-exclude` say otherwise. */
export const DEFAULT_RELOAD_INCLUDES: readonly string[] = ['*.ts', '*.mts', '*.cts', '*.js', '*.mjs', '*.cjs', '*.json'];
/** Skipped unless included explicitly: dotfiles and dot-folders (editor swap files, `.git`), backups, dependencies, build output. */
export const DEFAULT_RELOAD_EXCLUDES: readonly string[] = ['.*', '*~', 'node_modules', 'dist'];

/** What {@link FileWatcher} watches and whom it tells. */
export interface WatchOptions {
  /** Directories watched with everything below them (absolute paths). */
  readonly dirs: readonly string[];
  /** Globs a file must match (`*.ts`; a pattern with `/` matches the path's last segments, as Python's `PurePath.match`). */
  readonly includes: readonly string[];
  /** Globs that skip a file, or a whole directory when they match its name; directory paths skip that directory. */
  readonly excludes: readonly string[];
  /** Quiet milliseconds after the last event before the tree is compared (a save is often several events). */
  readonly debounceMs: number;
  /** Called with the changed, added or removed files (absolute paths), once per settled batch. */
  onChange(files: string[]): void;
}

/** One glob segment (`*`, `?`, `[...]`) as a regular expression. */
function segmentRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) source += '\\[';
      else {
        const body = glob.slice(i + 1, end);
        source += `[${body.startsWith('!') ? '^' + body.slice(1).replace(/[\\\]]/g, '\\$&') : body.replace(/[\\\]]/g, '\\$&')}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** A glob matched from the right, segment by segment, like Python's `PurePath.match` (uvicorn's filters). */
export function globMatcher(pattern: string): (segments: readonly string[]) => boolean {
  const parts = pattern.split(/[\\/]+/).filter((part) => part !== '').map(segmentRegExp);
  return (segments) => {
    if (parts.length === 0 || parts.length > segments.length) return false;
    const offset = segments.length - parts.length;
    return parts.every((part, i) => part.test(segments[offset + i]!));
  };
}

interface Stamp {
  mtimeMs: number;
  size: number;
}

/**
 * Watches directory trees for changes to matching files: `fs.watch` on every directory (new
 * directories are picked up), and on each settled burst of events the tree's files are compared
 * with the last snapshot (mtime and size), so only real changes of matching files are reported.
 * Falls back to polling every second when the system refuses more watches (inotify limits).
 */
export class FileWatcher {
  private readonly includes: Array<(segments: readonly string[]) => boolean>;
  private readonly excludes: Array<(segments: readonly string[]) => boolean>;
  private readonly excludedDirs: string[];
  private readonly watchers = new Map<string, FSWatcher>();
  private snapshot = new Map<string, Stamp>();
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: WatchOptions) {
    this.includes = options.includes.map(globMatcher);
    const dirPaths = options.excludes.filter((pattern) => isDirectory(pattern));
    this.excludedDirs = dirPaths.map((dir) => resolve(dir));
    this.excludes = options.excludes.filter((pattern) => !dirPaths.includes(pattern)).map(globMatcher);
  }

  /** Takes the first snapshot and starts watching. */
  start(): void {
    this.snapshot = this.scan();
  }

  /** Stops watching; no callback after this. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.poller);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.compare(), this.options.debounceMs);
  }

  private compare(): void {
    if (this.closed) return;
    const next = this.scan();
    const changed: string[] = [];
    for (const [file, stamp] of next) {
      const before = this.snapshot.get(file);
      if (before === undefined || before.mtimeMs !== stamp.mtimeMs || before.size !== stamp.size) changed.push(file);
    }
    for (const file of this.snapshot.keys()) if (!next.has(file)) changed.push(file);
    this.snapshot = next;
    if (changed.length > 0) this.options.onChange(changed.sort());
  }

  private skipped(path: string, root: string): boolean {
    if (this.excludedDirs.some((dir) => path === dir || path.startsWith(dir + sep))) return true;
    const segments = relative(root, path).split(sep);
    return this.excludes.some((match) => match(segments));
  }

  /** Walks every watched tree: stamps of the matching files, and a watcher on each directory. */
  private scan(): Map<string, Stamp> {
    const files = new Map<string, Stamp>();
    const seen = new Set<string>();
    const walk = (dir: string, root: string): void => {
      seen.add(dir);
      this.watchDirectory(dir);
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!this.skipped(path, root)) walk(path, root);
          continue;
        }
        const segments = relative(root, path).split(sep);
        if (!this.includes.some((match) => match(segments))) continue;
        // An explicit include beats a default exclude: `--reload-include .env` watches `.env`.
        if (this.skipped(path, root) && !this.options.includes.includes(entry.name)) continue;
        try {
          const stats = statSync(path);
          files.set(path, { mtimeMs: stats.mtimeMs, size: stats.size });
        } catch {
          // Removed between the listing and the stat: it is not there.
        }
      }
    };
    for (const dir of this.options.dirs) walk(dir, dir);
    for (const [dir, watcher] of this.watchers) {
      if (!seen.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    return files;
  }

  private watchDirectory(dir: string): void {
    if (this.watchers.has(dir) || this.poller !== undefined || this.closed) return;
    try {
      const watcher = watch(dir, () => this.schedule());
      watcher.on('error', () => {
        watcher.close();
        this.watchers.delete(dir);
        this.schedule();
      });
      this.watchers.set(dir, watcher);
    } catch {
      // Out of inotify watches (ENOSPC) or similar: compare the tree every second instead.
      for (const watcher of this.watchers.values()) watcher.close();
      this.watchers.clear();
      this.poller = setInterval(() => this.compare(), 1000);
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
