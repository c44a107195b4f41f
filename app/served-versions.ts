import type { FastifyBaseLogger } from 'fastify';
import type { Alias } from '../core/index.ts';
import { DatabaseUnavailableError, type Store } from './db/store.ts';

/**
 * Records which versions each bot serves (the dashboard's alias changes). A record that finds the
 * database away (PostgreSQL restarting, or not up yet when the server started) is tried again every
 * `retryMs` until it is stored or a newer record of the same bot replaces it.
 */
export class ServedVersionsRecorder {
  /** the latest record of each bot; a retry of an older one is dropped */
  private readonly latest = new Map<string, object>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly log: FastifyBaseLogger,
    private readonly retryMs = 2000,
  ) {}

  record(bot: string, versions: Partial<Record<Alias, string>>, at: number): void {
    const token = {};
    this.latest.set(bot, token);
    this.attempt(bot, versions, at, token);
  }

  private attempt(bot: string, versions: Partial<Record<Alias, string>>, at: number, token: object): void {
    this.store.recordServedVersions(bot, versions, at).then(
      (changes) => {
        for (const c of changes) {
          this.log.info({ bot, alias: c.alias, version: c.version, previous: c.previous }, 'alias changed');
        }
      },
      (err: Error) => {
        if (!(err instanceof DatabaseUnavailableError)) {
          this.log.warn({ err: err.message, bot }, 'could not record the served versions');
          return;
        }
        if (this.closed || this.latest.get(bot) !== token) return;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!this.closed && this.latest.get(bot) === token) this.attempt(bot, versions, at, token);
        }, this.retryMs);
        this.timers.add(timer);
      },
    );
  }

  /** Stops retrying. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
