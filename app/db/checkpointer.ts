import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from './database.ts';

// Runs in a worker thread with its own connection to the same file. CommonJS because an eval'd
// worker is a script; the driver's path comes in resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
});
`;

/**
 * Copies the WAL back into the database file from a worker thread, so the request thread never
 * waits for a checkpoint's writes and fsyncs (done inline, a checkpoint every ~200 commits stalls
 * every move in flight for milliseconds). PASSIVE checkpoints never block the writer. If the worker
 * fails, the connection goes back to SQLite's own automatic checkpoints.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private closed = false;

  constructor(
    private readonly db: Db,
    path: string,
    private readonly log: FastifyBaseLogger,
    intervalMs = 250,
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path } });
    this.worker.unref();
    db.pragma('wal_autocheckpoint = 0');
    this.worker.on('message', (m: { ok: boolean; error?: string }) => {
      this.busy = false;
      if (!m.ok) this.log.warn({ err: m.error }, 'WAL checkpoint failed; retrying');
    });
    this.worker.on('error', (err) => this.fallBack(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fallBack(new Error(`checkpoint worker exited with code ${code}`));
    });
    this.timer = setInterval(() => {
      if (this.busy || this.closed) return;
      this.busy = true;
      this.worker.postMessage('checkpoint');
    }, intervalMs);
    this.timer.unref();
  }

  private fallBack(err: Error): void {
    if (this.closed) return;
    this.log.error({ err: err.message }, 'WAL checkpoint worker stopped; checkpointing inline from now on');
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closed = true;
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
  }

  /** Stops the worker; the caller's connection then checkpoints what is left when it closes. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.closed) return;
    this.closed = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('close');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate();
  }
}
