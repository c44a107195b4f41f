import type pg from 'pg';
import { notWaiting, type MoveRecord } from './records.ts';

// The PostgreSQL store's statements, and the moves' inserts shared by PgStore and PgBatchWriter.

/**
 * The export cursor's guard. Every transaction that inserts rounds holds this advisory lock shared
 * (writers of all replicas run side by side); the export takes it exclusively to find where a page
 * ends, which waits for the inserts in flight and holds new ones back meanwhile. Round ids come from
 * one sequence (cache 1), so an id handed out after that is larger than the page's end: a page that
 * ends at id n can never miss a smaller id committed later.
 */
const ROUNDS_LOCK = 0x72707371_02;

/** Takes ROUNDS_LOCK for inserting rounds, in an open transaction (released at its end). */
export async function lockRoundsForInsert(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared($1)', [ROUNDS_LOCK]);
}

/**
 * Takes ROUNDS_LOCK for ending an export page, in an open transaction (released at its end), waiting
 * at most `timeoutMs` for the inserts in flight: after that the statement fails with SQLSTATE 55P03
 * (lock_not_available), so that one writer that hangs cannot hold the export (and, queued behind
 * it, every new insert) for long.
 */
export async function lockRoundsForExport(client: pg.ClientBase, timeoutMs: number): Promise<void> {
  await client.query("SELECT set_config('lock_timeout', $1, true)", [`${timeoutMs}ms`]);
  await client.query('SELECT pg_advisory_xact_lock($1)', [ROUNDS_LOCK]);
}

const SYNTH = '($3::int = 0 OR synthetic = 0)';

export const SQL = {
  insertGame: `INSERT INTO games (id, bot, gambit, alias, version, player, synthetic, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  game: 'SELECT * FROM games WHERE id = $1',
  rounds: 'SELECT * FROM rounds WHERE game_id = $1 ORDER BY round',
  versionRoundPredictions: `SELECT r.round AS round, p.p_rock AS rock, p.p_paper AS paper, p.p_scissors AS scissors
    FROM predictions p JOIN rounds r ON r.id = p.round_id
    WHERE r.game_id = $1 AND p.version = $2 ORDER BY r.round`,
  // one statement per move: the guarded score update, the round, its predictions (none when the
  // game is no longer waiting for this round: the caller then sees no id)
  move: `WITH adv AS (
      UPDATE games SET player_score = $3, bot_score = $4, rounds_played = $2::int, finished = $5,
        winner = $6, finished_at = $7
      WHERE id = $1 AND rounds_played = $2::int - 1 AND finished = 0 RETURNING id),
    r AS (
      INSERT INTO rounds (game_id, round, player_move, bot_move, value_rock, value_paper, value_scissors,
        result, player_score, bot_score, fallback, created_at, input)
      SELECT id, $2::int, $8, $9, $10, $11, $12, $13, $3, $4, $14, $15, $25 FROM adv RETURNING id),
    p AS (
      INSERT INTO predictions (round_id, bot, version, aliases, p_rock, p_paper, p_scissors, predicted, correct,
        synthetic, created_at)
      SELECT r.id, $16, x.version, x.aliases, x.rock, x.paper, x.scissors, x.predicted, x.correct, $17, $15
      FROM r, unnest($18::text[], $19::text[], $20::float8[], $21::float8[], $22::float8[], $23::text[],
        $24::smallint[]) AS x(version, aliases, rock, paper, scissors, predicted, correct))
    SELECT id FROM r`,
  botRecords: `SELECT bot, COUNT(*) AS games, COUNT(*) FILTER (WHERE winner = 'bot') AS "botWins",
      COUNT(*) FILTER (WHERE winner = 'player') AS "playerWins", COUNT(*) FILTER (WHERE winner = 'tie') AS ties
    FROM games WHERE finished = 1 AND synthetic = 0 GROUP BY bot`,
  versionGames: `SELECT version, COUNT(*) AS games, COUNT(*) FILTER (WHERE winner = 'bot') AS "botWins",
      COUNT(*) FILTER (WHERE winner = 'player') AS "botLosses", COUNT(*) FILTER (WHERE winner = 'tie') AS ties
    FROM games
    WHERE finished = 1 AND bot = $1 AND version IS NOT NULL AND finished_at >= $2 AND ${SYNTH}
    GROUP BY version`,
  finishedGames: `SELECT COUNT(*) AS games FROM games
    WHERE finished = 1 AND bot = $1 AND finished_at >= $2 AND ${SYNTH}`,
  versionPredictions: `SELECT version, COUNT(*) AS predictions, SUM(correct)::bigint AS correct
    FROM predictions WHERE bot = $1 AND created_at >= $2 AND ${SYNTH} GROUP BY version`,
  recentGameIds: `SELECT id FROM games
    WHERE bot = $1 AND rounds_played >= $2 AND ${SYNTH}
    ORDER BY created_at DESC, seq DESC LIMIT $4`,
  lastAliasVersion:
    'SELECT version FROM alias_changes WHERE bot = $1 AND alias = $2 ORDER BY id DESC LIMIT 1',
  insertAliasChange: `INSERT INTO alias_changes (bot, alias, version, previous, created_at)
    VALUES ($1, $2, $3, $4, $5) RETURNING id`,
  aliasChanges: `SELECT id, bot, alias, version, previous, created_at AS at FROM alias_changes
    WHERE bot = $1 ORDER BY id DESC LIMIT $2`,
  pairSince: `SELECT MAX(created_at) AS since FROM alias_changes WHERE bot = $1 AND alias IN ('Production', 'B')`,
  recentPredictions: `SELECT created_at AS at, correct FROM predictions
    WHERE bot = $1 AND version = $2 AND ($4::int = 0 OR synthetic = 0)
    ORDER BY created_at DESC LIMIT $3`,
  recentInputs: `SELECT r.input AS input, COUNT(*)::int AS moves
    FROM rounds r JOIN games g ON g.id = r.game_id
    WHERE r.id > (SELECT COALESCE(MAX(id), 0) FROM rounds) - $2 AND g.bot = $1 AND ($3::int = 0 OR g.synthetic = 0)
    GROUP BY r.input`,
  firstFinished: `SELECT MIN(finished_at) AS first FROM games
    WHERE finished = 1 AND bot = $1 AND version IN ($2, $3) AND finished_at >= $4 AND ($5::int = 0 OR synthetic = 0)`,
  gameBuckets: `SELECT version, (finished_at - $4) / $5 AS bucket, COUNT(*) AS games,
      COUNT(*) FILTER (WHERE winner = 'bot') AS "botWins"
    FROM games
    WHERE finished = 1 AND bot = $1 AND version IN ($2, $3) AND finished_at >= $4 AND ($6::int = 0 OR synthetic = 0)
    GROUP BY version, bucket ORDER BY bucket`,
  insertDriftSample: `INSERT INTO drift_samples (bot, version, score, drifted, created_at)
    SELECT $1::text, $2::text, $3::float8, $4::smallint, $5::bigint
    WHERE NOT EXISTS (SELECT 1 FROM (SELECT created_at FROM drift_samples WHERE bot = $1 ORDER BY id DESC LIMIT 1) last
      WHERE created_at > $5::bigint - $6::bigint)`,
  driftSamples: `SELECT created_at AS t, version, score, drifted FROM drift_samples
    WHERE bot = $1 ORDER BY id DESC LIMIT $2`,
  exportEnd: 'SELECT MAX(id) AS until FROM (SELECT id FROM rounds WHERE id > $1 ORDER BY id LIMIT $2) page',
  exportPage: `SELECT r.*, g.bot, g.synthetic, g.player, g.alias, g.version
    FROM rounds r JOIN games g ON g.id = r.game_id
    WHERE r.id > $1 AND r.id <= $2 ORDER BY r.id LIMIT $3`,
};

/** The parameters of SQL.move for one move. */
export function moveParams(m: MoveRecord): unknown[] {
  const { game, round, predictions } = m;
  return [
    game.id,
    round.round,
    round.playerScore,
    round.botScore,
    m.finished ? 1 : 0,
    m.winner,
    m.finished ? m.at : null,
    round.playerMove,
    round.botMove,
    round.values.rock,
    round.values.paper,
    round.values.scissors,
    round.result,
    m.fallback ? 1 : 0,
    m.at,
    game.bot,
    game.synthetic ? 1 : 0,
    predictions.map((p) => p.version),
    predictions.map((p) => p.aliases.join(',')),
    predictions.map((p) => p.probabilities[0]),
    predictions.map((p) => p.probabilities[1]),
    predictions.map((p) => p.probabilities[2]),
    predictions.map((p) => p.predicted),
    predictions.map((p) => (p.correct ? 1 : 0)),
    m.input,
  ];
}

// A batch of moves in one statement: the moves as arrays (one element per move, `ord` its place),
// the guarded score updates, the rounds of the games that advanced (in batch order), their
// predictions; answers the round id of each move stored (a move absent from the answer conflicted).
const BATCH_SQL = `WITH m AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::float8[], $4::float8[], $5::smallint[], $6::text[],
      $7::bigint[], $8::text[], $9::text[], $10::float8[], $11::float8[], $12::float8[], $13::text[],
      $14::smallint[], $15::bigint[], $16::text[], $17::smallint[], $26::text[])
    WITH ORDINALITY AS m(game_id, round, player_score, bot_score, finished, winner, finished_at, player_move,
      bot_move, v_rock, v_paper, v_scissors, result, fallback, at, bot, synthetic, input, ord)),
  adv AS (
    UPDATE games g SET player_score = m.player_score, bot_score = m.bot_score, rounds_played = m.round,
      finished = m.finished, winner = m.winner, finished_at = m.finished_at
    FROM m WHERE g.id = m.game_id AND g.rounds_played = m.round - 1 AND g.finished = 0
    RETURNING m.ord),
  r AS (
    INSERT INTO rounds (game_id, round, player_move, bot_move, value_rock, value_paper, value_scissors,
      result, player_score, bot_score, fallback, created_at, input)
    SELECT m.game_id, m.round, m.player_move, m.bot_move, m.v_rock, m.v_paper, m.v_scissors, m.result,
      m.player_score, m.bot_score, m.fallback, m.at, m.input
    FROM m JOIN adv USING (ord) ORDER BY m.ord
    RETURNING id, game_id, round),
  p AS (
    INSERT INTO predictions (round_id, bot, version, aliases, p_rock, p_paper, p_scissors, predicted, correct,
      synthetic, created_at)
    SELECT r.id, m.bot, x.version, x.aliases, x.rock, x.paper, x.scissors, x.predicted, x.correct, m.synthetic, m.at
    FROM unnest($18::bigint[], $19::text[], $20::text[], $21::float8[], $22::float8[], $23::float8[], $24::text[],
      $25::smallint[]) AS x(ord, version, aliases, rock, paper, scissors, predicted, correct)
    JOIN adv USING (ord) JOIN m USING (ord) JOIN r ON r.game_id = m.game_id AND r.round = m.round)
  SELECT adv.ord, r.id FROM adv JOIN m USING (ord) JOIN r ON r.game_id = m.game_id AND r.round = m.round`;

/**
 * Stores a batch of moves in one statement on a client inside an open transaction that holds
 * ROUNDS_LOCK for insert: each move's round id, or null for a move whose game was not waiting for its round.
 */
export async function insertMoves(
  client: pg.ClientBase,
  moves: readonly MoveRecord[],
): Promise<(number | null)[]> {
  const col = <T>(f: (m: MoveRecord) => T) => moves.map(f);
  const preds = moves.flatMap((m, i) => m.predictions.map((p) => ({ ord: i + 1, p })));
  const { rows } = await client.query<{ ord: number; id: number }>(BATCH_SQL, [
    col((m) => m.game.id),
    col((m) => m.round.round),
    col((m) => m.round.playerScore),
    col((m) => m.round.botScore),
    col((m) => (m.finished ? 1 : 0)),
    col((m) => m.winner),
    col((m) => (m.finished ? m.at : null)),
    col((m) => m.round.playerMove),
    col((m) => m.round.botMove),
    col((m) => m.round.values.rock),
    col((m) => m.round.values.paper),
    col((m) => m.round.values.scissors),
    col((m) => m.round.result),
    col((m) => (m.fallback ? 1 : 0)),
    col((m) => m.at),
    col((m) => m.game.bot),
    col((m) => (m.game.synthetic ? 1 : 0)),
    preds.map((x) => x.ord),
    preds.map((x) => x.p.version),
    preds.map((x) => x.p.aliases.join(',')),
    preds.map((x) => x.p.probabilities[0]),
    preds.map((x) => x.p.probabilities[1]),
    preds.map((x) => x.p.probabilities[2]),
    preds.map((x) => x.p.predicted),
    preds.map((x) => (x.p.correct ? 1 : 0)),
    col((m) => m.input),
  ]);
  const ids = new Map(rows.map((r) => [r.ord, r.id]));
  return moves.map((_, i) => ids.get(i + 1) ?? null);
}

/** Stores one move on a client inside an open transaction that holds ROUNDS_LOCK for insert; returns the round id. */
export async function insertMove(client: pg.ClientBase, m: MoveRecord): Promise<number> {
  const { rows } = await client.query<{ id: number }>(SQL.move, moveParams(m));
  if (rows.length !== 1) throw notWaiting(m);
  return rows[0]!.id;
}
