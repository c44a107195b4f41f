import type pg from 'pg';
import type { Migration } from './migrations.ts';

/**
 * The PostgreSQL schema, numbered like the SQLite migrations (same tables, columns and meaning;
 * flags are 0/1 smallints and times epoch-ms bigints as in SQLite). Applied at start under an
 * advisory lock, so replicas that start together apply each migration once; `schema_migrations`
 * records what is applied. Never edit a released migration; add the next one.
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'games, rounds, predictions',
    sql: `
      CREATE TABLE games (
        id            TEXT PRIMARY KEY,
        seq           BIGINT GENERATED ALWAYS AS IDENTITY, -- insertion order (SQLite's rowid)
        bot           TEXT NOT NULL,
        gambit        TEXT NOT NULL,
        alias         TEXT CHECK (alias IN ('Production', 'B')),
        version       TEXT,
        player        TEXT,
        synthetic     SMALLINT NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
        player_score  DOUBLE PRECISION NOT NULL DEFAULT 0,
        bot_score     DOUBLE PRECISION NOT NULL DEFAULT 0,
        rounds_played INTEGER NOT NULL DEFAULT 0,
        finished      SMALLINT NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
        winner        TEXT CHECK (winner IN ('player', 'bot', 'tie')),
        created_at    BIGINT NOT NULL,
        finished_at   BIGINT
      );

      -- the id is the export cursor: the export ends a page only once every insert holding a smaller
      -- id has finished (an advisory lock, app/db/pg-sql.ts), so no page skips an id committed later
      CREATE TABLE rounds (
        id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        game_id        TEXT NOT NULL REFERENCES games(id) ON DELETE CASCADE,
        round          INTEGER NOT NULL CHECK (round >= 1),
        player_move    TEXT NOT NULL CHECK (player_move IN ('rock', 'paper', 'scissors')),
        bot_move       TEXT NOT NULL CHECK (bot_move IN ('rock', 'paper', 'scissors')),
        value_rock     DOUBLE PRECISION NOT NULL,
        value_paper    DOUBLE PRECISION NOT NULL,
        value_scissors DOUBLE PRECISION NOT NULL,
        result         TEXT NOT NULL CHECK (result IN ('win', 'lose', 'draw')),
        player_score   DOUBLE PRECISION NOT NULL,
        bot_score      DOUBLE PRECISION NOT NULL,
        fallback       SMALLINT NOT NULL CHECK (fallback IN (0, 1)),
        created_at     BIGINT NOT NULL,
        UNIQUE (game_id, round)
      );

      CREATE TABLE predictions (
        round_id    BIGINT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
        bot         TEXT NOT NULL,
        version     TEXT NOT NULL,
        aliases     TEXT NOT NULL,
        p_rock      DOUBLE PRECISION NOT NULL,
        p_paper     DOUBLE PRECISION NOT NULL,
        p_scissors  DOUBLE PRECISION NOT NULL,
        predicted   TEXT NOT NULL CHECK (predicted IN ('rock', 'paper', 'scissors')),
        correct     SMALLINT NOT NULL CHECK (correct IN (0, 1)),
        synthetic   SMALLINT NOT NULL CHECK (synthetic IN (0, 1)),
        created_at  BIGINT NOT NULL,
        PRIMARY KEY (round_id, version)
      );

      CREATE INDEX games_finished_by_version ON games (bot, version, finished_at) WHERE finished = 1;
      CREATE INDEX games_finished_by_bot ON games (bot, synthetic) WHERE finished = 1;
      CREATE INDEX predictions_by_version ON predictions (bot, version, created_at);
    `,
  },
  {
    version: 2,
    name: 'served alias changes; recent games per bot',
    sql: `
      CREATE TABLE alias_changes (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        bot         TEXT NOT NULL,
        alias       TEXT NOT NULL CHECK (alias IN ('Production', 'B', 'Shadow1', 'Shadow2')),
        version     TEXT,
        previous    TEXT,
        created_at  BIGINT NOT NULL
      );
      CREATE INDEX alias_changes_by_bot ON alias_changes (bot, alias, id);
      CREATE INDEX games_by_bot_created ON games (bot, created_at);
    `,
  },
  {
    version: 3,
    name: 'drift history',
    sql: `
      CREATE TABLE drift_samples (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        bot         TEXT NOT NULL,
        version     TEXT,
        score       DOUBLE PRECISION,
        drifted     SMALLINT NOT NULL CHECK (drifted IN (0, 1)),
        created_at  BIGINT NOT NULL
      );
      CREATE INDEX drift_samples_by_bot ON drift_samples (bot, id);
    `,
  },
  {
    version: 4,
    name: 'how each move was entered',
    sql: `
      -- click, key or camera; rounds stored before this migration were played with the buttons or keys
      ALTER TABLE rounds ADD COLUMN input TEXT NOT NULL DEFAULT 'click' CHECK (input IN ('click', 'key', 'camera'));
    `,
  },
];

/** The session-level advisory lock key migrations run under ("rpsq" + 1). */
const MIGRATION_LOCK = 0x72707371_01;

/**
 * Applies pending migrations in order, each in its own transaction, holding an advisory lock so that
 * replicas starting at once wait for each other; returns the versions this call applied.
 */
export async function migratePg(
  client: pg.ClientBase,
  migrations: readonly Migration[] = PG_MIGRATIONS,
): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if ((await pgSchemaVersion(client)) >= m.version) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

/** The last applied migration's number (0 before the first). */
export async function pgSchemaVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ v: number | null }>(
    'SELECT MAX(version) AS v FROM schema_migrations',
  );
  return rows[0]?.v ?? 0;
}
