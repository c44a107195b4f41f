import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The content of one `<model>.json` file, or null when it was removed. */
export interface ManifestFile {
  model: string;
  file: string;
  content: string | null;
}

const MANIFEST_FILE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.json$/;

/**
 * Watches the mounted ConfigMap directory (one `<model>.json` per bot). Kubernetes updates a
 * ConfigMap volume by swapping a `..data` symlink, which file events report unreliably, so the
 * directory is also re-read every `pollMs`. Only files whose content changed are reported.
 */
export class ManifestWatcher {
  private readonly seen = new Map<string, string>();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private rescan = false;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly pollMs: number,
    private readonly onChange: (changes: ManifestFile[]) => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Reads the directory once (reporting every manifest), then keeps watching. */
  async start(): Promise<void> {
    await this.scan();
    if (this.closed) return;
    try {
      this.watcher = watch(this.dir, () => this.scheduleScan());
      this.watcher.on('error', (err) => this.onError(err));
    } catch (err) {
      this.onError(err as Error); // the poll below still notices changes
    }
    this.timer = setInterval(() => void this.scan(), this.pollMs);
    this.timer.unref();
  }

  private scheduleScan(): void {
    if (this.debounce || this.closed) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.scan();
    }, 50);
    this.debounce.unref();
  }

  /** Re-reads the directory now; concurrent calls are merged into one more pass. */
  scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescan = false;
        await this.scanOnce().catch((err: Error) => this.onError(err));
      } while (this.rescan && !this.closed);
    })().finally(() => (this.scanning = null));
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      names = []; // no ConfigMap mounted (yet): no manifests
    }
    const current = new Map<string, { file: string; content: string }>();
    for (const name of names) {
      const m = MANIFEST_FILE.exec(name);
      if (!m) continue;
      const file = join(this.dir, name);
      const content = await readFile(file, 'utf8').catch(() => null);
      if (content !== null) current.set(m[1]!, { file, content });
    }
    const changes: ManifestFile[] = [];
    for (const [model, { file, content }] of current) {
      if (this.seen.get(model) !== content) changes.push({ model, file, content });
    }
    for (const model of this.seen.keys()) {
      if (!current.has(model)) changes.push({ model, file: join(this.dir, `${model}.json`), content: null });
    }
    if (!changes.length || this.closed) return;
    for (const c of changes) {
      if (c.content === null) this.seen.delete(c.model);
      else this.seen.set(c.model, c.content);
    }
    await this.onChange(changes);
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
  }
}
