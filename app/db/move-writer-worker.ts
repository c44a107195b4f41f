// The database writer thread: owns the only write connection of a file database, so the request
// thread never waits for SQLite's page writes. Every message is one transaction.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GameStore } from './game-store.ts';
import { MoveConflictError, type GameRecord, type MoveRecord } from './records.ts';

export type WriterRequest =
  | { id: number; op: 'createGame'; game: GameRecord }
  | { id: number; op: 'recordMove'; move: MoveRecord }
  | { id: number; op: 'close' };

export type WriterReply =
  { id: number; ok: true; roundId?: number } | { id: number; ok: false; conflict: boolean; message: string };

const port = parentPort!;
const db = new Database((workerData as { path: string }).path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0'); // the checkpointer thread copies the WAL back
const store = new GameStore(db);

port.on('message', (req: WriterRequest) => {
  if (req.op === 'close') {
    db.close();
    port.postMessage({ id: req.id, ok: true } satisfies WriterReply);
    port.close();
    return;
  }
  try {
    if (req.op === 'createGame') {
      store.createGame(req.game);
      port.postMessage({ id: req.id, ok: true } satisfies WriterReply);
    } else {
      const roundId = store.recordMove(req.move);
      port.postMessage({ id: req.id, ok: true, roundId } satisfies WriterReply);
    }
  } catch (err) {
    port.postMessage({
      id: req.id,
      ok: false,
      conflict: err instanceof MoveConflictError,
      message: (err as Error).message,
    } satisfies WriterReply);
  }
});
