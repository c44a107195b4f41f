/**
 * The schema, as numbered migrations applied in order at start (PRAGMA user_version holds the
 * last applied number). Never edit a released migration; add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'games, rounds, predictions',
    sql: `
      CREATE TABLE games (
        id            TEXT PRIMARY KEY,
        bot           TEXT NOT NULL,
        gambit        TEXT NOT NULL,
        alias         TEXT CHECK (alias IN ('Production', 'B')), -- null: no model served, uniform EV
        version       TEXT,
        player        TEXT,
        synthetic     INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
        player_score  REAL NOT NULL DEFAULT 0,
        bot_score     REAL NOT NULL DEFAULT 0,
        rounds_played INTEGER NOT NULL DEFAULT 0,
        finished      INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
        winner        TEXT CHECK (winner IN ('player', 'bot', 'tie')),
        created_at    INTEGER NOT NULL,
        finished_at   INTEGER
      ) STRICT;

      -- one row per played round; its id is the export cursor (rounds are never deleted, so ids only grow)
      CREATE TABLE rounds (
        id             INTEGER PRIMARY KEY,
        game_id        TEXT NOT NULL REFERENCES games(id) ON DELETE CASCADE,
        round          INTEGER NOT NULL CHECK (round >= 1),
        player_move    TEXT NOT NULL CHECK (player_move IN ('rock', 'paper', 'scissors')),
        bot_move       TEXT NOT NULL CHECK (bot_move IN ('rock', 'paper', 'scissors')),
        value_rock     REAL NOT NULL,
        value_paper    REAL NOT NULL,
        value_scissors REAL NOT NULL,
        result         TEXT NOT NULL CHECK (result IN ('win', 'lose', 'draw')),
        player_score   REAL NOT NULL,
        bot_score      REAL NOT NULL,
        fallback       INTEGER NOT NULL CHECK (fallback IN (0, 1)),
        created_at     INTEGER NOT NULL,
        UNIQUE (game_id, round)
      ) STRICT;

      -- one row per (round, version): every alias's version predicts the player's move from round 4
      CREATE TABLE predictions (
        round_id    INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
        bot         TEXT NOT NULL,
        version     TEXT NOT NULL,
        aliases     TEXT NOT NULL,
        p_rock      REAL NOT NULL,
        p_paper     REAL NOT NULL,
        p_scissors  REAL NOT NULL,
        predicted   TEXT NOT NULL CHECK (predicted IN ('rock', 'paper', 'scissors')),
        correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
        synthetic   INTEGER NOT NULL CHECK (synthetic IN (0, 1)),
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (round_id, version)
      ) STRICT, WITHOUT ROWID;

      CREATE INDEX games_finished_by_version ON games (bot, version, finished_at) WHERE finished = 1;
      CREATE INDEX games_finished_by_bot ON games (bot, synthetic) WHERE finished = 1;
      CREATE INDEX predictions_by_version ON predictions (bot, version, created_at);
    `,
  },
  {
    version: 2,
    name: 'served alias changes; recent games per bot',
    sql: `
      -- what the server observed in its manifests: one row each time an alias of a bot starts
      -- serving another version (or stops serving); the dashboard's "recent promotions"
      CREATE TABLE alias_changes (
        id          INTEGER PRIMARY KEY,
        bot         TEXT NOT NULL,
        alias       TEXT NOT NULL CHECK (alias IN ('Production', 'B', 'Shadow1', 'Shadow2')),
        version     TEXT,  -- null: the alias was removed
        previous    TEXT,  -- null: the alias was empty before
        created_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX alias_changes_by_bot ON alias_changes (bot, alias, id);

      -- the drift check reads a bot's latest games first
      CREATE INDEX games_by_bot_created ON games (bot, created_at);
    `,
  },
  {
    version: 3,
    name: 'how each move was entered',
    sql: `
      -- click, key or camera; rounds stored before this migration were played with the buttons or keys
      ALTER TABLE rounds ADD COLUMN input TEXT NOT NULL DEFAULT 'click' CHECK (input IN ('click', 'key', 'camera'));
    `,
  },
  {
    version: 4,
    name: 'drift history',
    sql: `
      -- the background drift checks' results, the dashboard's drift chart (shared by every replica)
      CREATE TABLE drift_samples (
        id          INTEGER PRIMARY KEY,
        bot         TEXT NOT NULL,
        version     TEXT,
        score       REAL,  -- null: nothing concluded
        drifted     INTEGER NOT NULL CHECK (drifted IN (0, 1)),
        created_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX drift_samples_by_bot ON drift_samples (bot, id);
    `,
  },
];
