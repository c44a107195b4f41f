import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import { moduleWorkerSource } from '../../lib/worker-source.ts';
import { GameStore } from './game-store.ts';
import { MoveConflictError, type GameRecord, type MoveRecord } from './records.ts';
import type { WriterReply, WriterRequest } from './move-writer-worker.ts';

/** Where games and moves are written; each call is one transaction, resolved once committed. */
export interface GameWriter {
  createGame(game: GameRecord): Promise<void>;
  /** the stored round's id; MoveConflictError when the round is stored already */
  recordMove(move: MoveRecord): Promise<number>;
  close(): Promise<void>;
}

/** Writes on the calling thread (an in-memory database cannot be shared with another thread). */
export class InlineWriter implements GameWriter {
  constructor(private readonly store: GameStore) {}

  async createGame(game: GameRecord): Promise<void> {
    this.store.createGame(game);
  }

  async recordMove(move: MoveRecord): Promise<number> {
    return this.store.recordMove(move);
  }

  async close(): Promise<void> {}
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * Writes through a worker thread with its own connection, so the request thread spends no time in
 * SQLite's page writes; a move is acknowledged only after the worker has committed it. If the worker
 * dies, writes continue on the calling thread.
 */
/** The worker's start-up code for this module's URL (compiled or TypeScript). */
export function writerWorkerSource(moduleUrl: string): string {
  return moduleWorkerSource(moduleUrl, './move-writer-worker');
}

export class ThreadWriter implements GameWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (r: WriterReply) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private fallback: InlineWriter | null = null;
  private closing = false;

  constructor(
    path: string,
    private readonly store: GameStore,
    private readonly log: FastifyBaseLogger,
  ) {
    this.worker = new Worker(writerWorkerSource(import.meta.url), { eval: true, workerData: { path } });
    this.worker.on('message', (reply: WriterReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`database writer thread exited with code ${code}`));
    });
  }

  private fail(err: Error): void {
    if (this.fallback) return;
    this.log.error({ err: err.message }, 'database writer thread failed; writing on the request thread');
    this.fallback = new InlineWriter(this.store);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private send(req: WithoutId<WriterRequest>): Promise<WriterReply> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  async createGame(game: GameRecord): Promise<void> {
    if (this.fallback) return this.fallback.createGame(game);
    check(await this.send({ op: 'createGame', game }));
  }

  async recordMove(move: MoveRecord): Promise<number> {
    if (this.fallback) return this.fallback.recordMove(move);
    const reply = check(await this.send({ op: 'recordMove', move }));
    return reply.roundId!;
  }

  async close(): Promise<void> {
    if (this.fallback || this.closing) return;
    this.closing = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    await this.send({ op: 'close' }).catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate();
  }
}

function check(reply: WriterReply): Extract<WriterReply, { ok: true }> {
  if (reply.ok) return reply;
  throw reply.conflict ? new MoveConflictError(reply.message) : new Error(reply.message);
}
