import type { FastifyBaseLogger } from 'fastify';
import { MoveConflictError, notWaiting, type GameRecord, type MoveRecord } from './records.ts';
import type { GameWriter } from './move-writer.ts';
import { insertMoves, lockRoundsForInsert } from './pg-sql.ts';
import { classifyPgError, type PgStore } from './pg-store.ts';

interface Queued {
  move: MoveRecord;
  resolve: (roundId: number) => void;
  reject: (err: Error) => void;
}

/** at most this many moves in one transaction */
export const MAX_BATCH = 256;

/**
 * Commits moves to PostgreSQL in batches: while one transaction is committing, the moves that
 * arrive queue up and go together into the next one: one statement and one commit (one WAL flush)
 * for all of them, rounds inserted in arrival order. Each move is acknowledged only after its transaction has committed. A batch
 * that fails as a whole (a conflict, or a lost connection) is retried move by move, each in its own
 * transaction, so one move's conflict never fails another's.
 */
export class PgBatchWriter implements GameWriter {
  private queue: Queued[] = [];
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly store: PgStore,
    private readonly log: FastifyBaseLogger,
  ) {}

  async createGame(game: GameRecord): Promise<void> {
    await this.store.createGame(game);
  }

  recordMove(move: MoveRecord): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the move writer is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ move, resolve, reject });
      this.running ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.commit(batch);
      }
    } finally {
      this.running = null;
    }
  }

  private async commit(batch: Queued[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const ids = await this.store.transaction(async (client) => {
          await lockRoundsForInsert(client);
          return insertMoves(
            client,
            batch.map((q) => q.move),
          );
        });
        batch.forEach((q, i) => {
          const id = ids[i];
          if (id != null) q.resolve(id);
          else q.reject(notWaiting(q.move));
        });
        return;
      } catch (err) {
        const e = classifyPgError(err);
        if (!(e instanceof MoveConflictError) && (e as { code?: string }).code !== '23505') {
          this.log.debug(
            { err: (e as Error).message, moves: batch.length },
            'move batch failed; retrying one by one',
          );
        }
      }
    }
    for (const q of batch) {
      try {
        q.resolve(await this.store.recordMove(q.move));
      } catch (err) {
        q.reject(err as Error);
      }
    }
  }

  /** Waits for the queued moves to be committed. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
  }
}
