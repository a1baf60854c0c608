import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every spool directory that exists now, so the process removes them when it exits. */
const live = new Set<string>();
let exitHookInstalled = false;

function removeLiveOnExit(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

/**
 * The temporary directories of one request's spooled uploads. A directory is known from the moment
 * its creation starts, so {@link SpoolDirectories.removeAll} also removes one still being created
 * when the request ends (a client that leaves in the same tick as the chunk that crossed
 * `spoolSize`), and one asked for afterwards is removed at once. Whatever is left when the process
 * exits is removed then.
 */
export class SpoolDirectories {
  private readonly creating = new Set<Promise<string>>();
  private readonly dirs: string[] = [];
  private closed = false;

  /** A new empty directory for one upload; rejects once the request's directories were removed. */
  create(): Promise<string> {
    if (this.closed) return Promise.reject(new Error('The request is over: its uploads are no longer spooled'));
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', removeLiveOnExit);
    }
    const creation = mkdtemp(join(tmpdir(), 'stackware-upload-')).then(async (dir) => {
      live.add(dir);
      this.dirs.push(dir);
      if (!this.closed) return dir;
      await this.removeDirs();
      throw new Error('The request is over: its uploads are no longer spooled');
    });
    this.creating.add(creation);
    const settle = (): void => void this.creating.delete(creation);
    creation.then(settle, settle);
    return creation;
  }

  /** Removes every directory, including those still being created; later {@link create}s fail. */
  async removeAll(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.creating]);
    await this.removeDirs();
  }

  private async removeDirs(): Promise<void> {
    const dirs = this.dirs.splice(0);
    await Promise.all(
      dirs.map(async (dir) => {
        await rm(dir, { recursive: true, force: true });
        live.delete(dir);
      }),
    );
  }
}
