import type {
  ExportedRound,
  GambitName,
  InputMethod,
  Move,
  PlayedRound,
  Probabilities,
  RoundResult,
  VersionStats,
  Winner,
} from '../../core/index.ts';
import type { BotRecord, DriftSample, GameRecord, StoredRound } from './records.ts';

// The rows both stores' queries answer (same column names in SQLite and PostgreSQL) and the pure
// functions that turn them into records, so that both stores reply alike.

export interface GameRow {
  id: string;
  bot: string;
  gambit: string;
  alias: string | null;
  version: string | null;
  player: string | null;
  synthetic: number;
  player_score: number;
  bot_score: number;
  rounds_played: number;
  finished: number;
  winner: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface RoundRow {
  id: number;
  round: number;
  player_move: string;
  bot_move: string;
  value_rock: number;
  value_paper: number;
  value_scissors: number;
  result: string;
  player_score: number;
  bot_score: number;
  fallback: number;
  input: string;
  created_at: number;
}

export interface ExportRow extends RoundRow {
  game_id: string;
  bot: string;
  synthetic: number;
  player: string | null;
  alias: string | null;
  version: string | null;
}

export function toGame(r: GameRow): GameRecord {
  return {
    id: r.id,
    bot: r.bot,
    gambit: r.gambit as GambitName,
    alias: r.alias as GameRecord['alias'],
    version: r.version,
    player: r.player,
    synthetic: r.synthetic === 1,
    playerScore: r.player_score,
    botScore: r.bot_score,
    roundsPlayed: r.rounds_played,
    finished: r.finished === 1,
    winner: r.winner as Winner | null,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/** The played round a row holds (without id, fallback and time). */
function playedFields(r: RoundRow): PlayedRound {
  return {
    round: r.round,
    playerMove: r.player_move as Move,
    botMove: r.bot_move as Move,
    values: { rock: r.value_rock, paper: r.value_paper, scissors: r.value_scissors },
    result: r.result as RoundResult,
    playerScore: r.player_score,
    botScore: r.bot_score,
  };
}

export function toRound(r: RoundRow): StoredRound {
  return {
    id: r.id,
    ...playedFields(r),
    fallback: r.fallback === 1,
    input: r.input as InputMethod,
    createdAt: r.created_at,
  };
}

/** A round with its game context, as the export serves it (same key order as always). */
export function toExported(r: ExportRow): ExportedRound {
  return {
    id: r.id,
    gameId: r.game_id,
    bot: r.bot,
    ...playedFields(r),
    synthetic: r.synthetic === 1,
    player: r.player,
    alias: r.alias as GameRecord['alias'],
    version: r.version,
    input: r.input as InputMethod,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export type VersionGamesRow = Pick<VersionStats, 'version' | 'games' | 'botWins' | 'botLosses' | 'ties'>;
export type VersionPredictionsRow = Pick<VersionStats, 'version' | 'predictions' | 'correct'>;

/** Per version, its games' outcomes and its predictions in one entry, versions in natural order. */
export function mergeVersionStats(
  model: string,
  games: readonly VersionGamesRow[],
  predictions: readonly VersionPredictionsRow[],
): VersionStats[] {
  const byVersion = new Map<string, VersionStats>();
  const entry = (version: string): VersionStats => {
    let e = byVersion.get(version);
    if (!e) {
      e = { model, version, games: 0, botWins: 0, botLosses: 0, ties: 0, predictions: 0, correct: 0 };
      byVersion.set(version, e);
    }
    return e;
  };
  for (const r of games) {
    Object.assign(entry(r.version), {
      games: r.games,
      botWins: r.botWins,
      botLosses: r.botLosses,
      ties: r.ties,
    });
  }
  for (const r of predictions)
    Object.assign(entry(r.version), { predictions: r.predictions, correct: r.correct });
  return [...byVersion.values()].sort((a, b) => compareVersions(a.version, b.version));
}

/** Natural order of version names: v2 before v10. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** What one version predicted for each round of a game, from its rows in round order. */
export function toRoundPredictions(
  rows: readonly { round: number; rock: number; paper: number; scissors: number }[],
): { round: number; probabilities: Probabilities }[] {
  return rows.map((r) => ({ round: r.round, probabilities: [r.rock, r.paper, r.scissors] }));
}

/** Finished games per bot, from one row per bot. */
export function toBotRecords(rows: readonly ({ bot: string } & BotRecord)[]): Map<string, BotRecord> {
  return new Map(rows.map(({ bot, ...r }) => [bot, r]));
}

/** Moves per input method, from one row per method that occurred (the others count 0). */
export function toInputCounts(
  rows: readonly { input: InputMethod; moves: number }[],
): Record<InputMethod, number> {
  const counts: Record<InputMethod, number> = { click: 0, key: 0, camera: 0 };
  for (const r of rows) counts[r.input] = r.moves;
  return counts;
}

/** Drift samples oldest first, from rows newest first. */
export function toDriftSamples(
  rows: readonly (Omit<DriftSample, 'drifted'> & { drifted: number })[],
): DriftSample[] {
  return rows.map((r) => ({ ...r, drifted: r.drifted === 1 })).reverse();
}

/**
 * Each read's reply from the rows its query answers, the same for both stores: the SQLite
 * GameStore and the PostgreSQL PgStore run their own SQL and hand the rows here.
 */
export const replyOf = {
  game: (rows: GameRow[]): GameRecord | null => (rows[0] ? toGame(rows[0]) : null),
  rounds: (rows: RoundRow[]): StoredRound[] => rows.map(toRound),
  predictions: toRoundPredictions,
  botRecords: toBotRecords,
  versionStats: mergeVersionStats,
  driftSamples: toDriftSamples,
  inputCounts: toInputCounts,
  exportPage: (rows: ExportRow[]): ExportedRound[] => rows.map(toExported),
};
