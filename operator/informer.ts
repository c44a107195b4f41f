import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelay } from '../lib/backoff.ts';
import { objectKey } from './resources.ts';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (event: InformerEvent, obj: T, old?: T) => void;

export interface ListResult<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export interface InformerOptions<T> {
  name: string;
  kubeConfig: KubeConfig;
  /** the collection's URL path, e.g. /apis/rpsquest.dev/v1alpha1/namespaces/rps-quest/rpsmodels */
  path: string;
  labelSelector?: string;
  /** a list of the same collection (and selector), as plain JSON objects */
  list: () => Promise<ListResult<T>>;
  log: Logger;
  /** first delay before a restart after an error, doubled per consecutive error up to 30 s (default 500 ms) */
  retryMs?: number;
  /** the API server ends each watch after this long; the informer then resumes it (default 300 s) */
  watchTimeoutSeconds?: number;
}

/** What the reconcilers read of an informer: its cache and its events. */
export interface Cache<T> {
  on(handler: InformerHandler<T>): void;
  get(namespace: string, name: string): T | undefined;
  list(): T[];
}

/** What the informer needs of an object: where it is and its version. */
export interface StoredObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

class Gone extends Error {}

function statusCode(err: unknown): number | undefined {
  const e = err as { statusCode?: number; code?: number } | undefined;
  return e?.statusCode ?? (typeof e?.code === 'number' ? e.code : undefined);
}

/**
 * A cache of one collection kept current by list + watch. The watch resumes from the last seen
 * resourceVersion; when that is too old (410 Gone) the informer lists again and reports the
 * difference as events; on any other error it restarts with backoff. Handlers see add, update
 * (only when the resourceVersion changed) and delete.
 */
export class Informer<T extends StoredObject> {
  private readonly store = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion = '';
  private stopped = false;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private firstSync!: Promise<void>;
  private resolveFirstSync!: () => void;
  synced = false;

  constructor(private readonly opts: InformerOptions<T>) {
    this.firstSync = new Promise((resolve) => (this.resolveFirstSync = resolve));
  }

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(objectKey(namespace, name));
  }

  list(): T[] {
    return [...this.store.values()];
  }

  /** Starts listing and watching; resolves once the first list is in the cache (or on stop). */
  async start(): Promise<void> {
    this.stopped = false;
    this.loop ??= this.run();
    await Promise.race([this.firstSync, this.loop]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    this.resolveFirstSync();
    await this.loop;
    this.loop = undefined;
  }

  private emit(event: InformerEvent, obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        h(event, obj, old);
      } catch (err) {
        this.opts.log.error({ err, informer: this.opts.name }, 'informer handler failed');
      }
    }
  }

  private keyOf(obj: T): string {
    return objectKey(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
  }

  private upsert(obj: T): void {
    // nothing reads them, and they are half of a cached RpsModel's JSON (1.4 of 2.9 kB, bench/operator.ts);
    // a replace without them keeps the server's (only an explicit empty list would reset them)
    if (obj.metadata) delete (obj.metadata as { managedFields?: unknown }).managedFields;
    const key = this.keyOf(obj);
    const old = this.store.get(key);
    this.store.set(key, obj);
    if (!old) this.emit('add', obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj, old);
  }

  private remove(obj: T): void {
    const key = this.keyOf(obj);
    const old = this.store.get(key);
    this.store.delete(key);
    this.emit('delete', old ?? obj);
  }

  private replace(items: T[]): void {
    const seen = new Set(items.map((o) => this.keyOf(o)));
    for (const [key, obj] of [...this.store]) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.emit('delete', obj);
      }
    }
    for (const obj of items) this.upsert(obj);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let errors = 0;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) {
          const list = await this.opts.list();
          if (this.stopped) break;
          this.replace(list.items);
          this.resourceVersion = list.metadata?.resourceVersion ?? '';
          if (!this.synced) {
            this.synced = true;
            this.resolveFirstSync();
          }
        }
        await this.watchOnce();
        errors = 0;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof Gone || statusCode(err) === 410) {
          this.opts.log.info({ informer: this.opts.name }, 'watch expired, listing again');
          this.resourceVersion = '';
          continue;
        }
        errors++;
        const delay = backoffDelay(errors, this.opts.retryMs ?? 500, 30_000);
        this.opts.log.warn(
          { informer: this.opts.name, err: (err as Error)?.message ?? String(err), retryInMs: delay },
          'list/watch failed, restarting',
        );
        // after repeated failures start over with a fresh list, in case the cache missed events
        if (errors >= 3) this.resourceVersion = '';
        await this.sleep(delay);
      }
    }
  }

  /** One watch request; resolves when the server ends it, rejects on an error (Gone for 410). */
  private watchOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let gone = false;
      const watch = new Watch(this.opts.kubeConfig);
      watch
        .watch(
          this.opts.path,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
            ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
          },
          (type: string, obj: T & { code?: number }) => {
            if (type === 'ERROR') {
              if (obj.code === 410) gone = true;
              return;
            }
            const rv = obj.metadata?.resourceVersion;
            if (type === 'ADDED' || type === 'MODIFIED') this.upsert(obj);
            else if (type === 'DELETED') this.remove(obj);
            if (rv) this.resourceVersion = rv;
          },
          (err: unknown) => {
            this.abort = undefined;
            if (gone) reject(new Gone('resource version too old'));
            else if (err && !this.stopped) reject(err);
            else resolve();
          },
        )
        .then((controller) => {
          this.abort = controller;
          if (this.stopped) controller.abort();
        })
        .catch(reject);
    });
  }
}

/** One informer per watched namespace, read as one cache (an operator given a list of namespaces). */
export class InformerGroup<T extends StoredObject> implements Cache<T> {
  constructor(private readonly members: readonly Informer<T>[]) {}

  get synced(): boolean {
    return this.members.every((m) => m.synced);
  }

  on(handler: InformerHandler<T>): void {
    for (const m of this.members) m.on(handler);
  }

  get(namespace: string, name: string): T | undefined {
    for (const m of this.members) {
      const obj = m.get(namespace, name);
      if (obj) return obj;
    }
    return undefined;
  }

  list(): T[] {
    return this.members.flatMap((m) => m.list());
  }

  async start(): Promise<void> {
    await Promise.all(this.members.map((m) => m.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
  }
}
