import { MOVES, beatenBy, moveIndex, type Move } from './moves.ts';
import { highestMove, type RoundValues } from './round-values.ts';
import { WIN_SCORE, type PlayedRound, type RoundResult } from './game.ts';

export const FEATURE_SET = 'rps-features/v1';
export const FEATURE_COUNT = 49;
/** How many earlier rounds the lag features look back. */
export const LAGS = 3;

const RESULTS: readonly RoundResult[] = ['win', 'lose', 'draw'];
const RESULT_INDEX: Readonly<Record<RoundResult, number>> = { win: 0, lose: 1, draw: 2 };

// Offsets of the feature groups, in the documented order.
const PLAYER_LAGS = 0;
const BOT_LAGS = 9;
const RESULT_LAGS = 18;
const VALUES_NOW = 27;
const VALUES_LAGS = 30;
const PLAYER_SHARES = 39;
const TIER_TENDENCY = 42;
const SCORE_CONTEXT = 45;

function lagNames(prefix: string, labels: readonly string[]): string[] {
  const names: string[] = [];
  for (let lag = 1; lag <= LAGS; lag++) for (const l of labels) names.push(`${prefix}_lag${lag}_${l}`);
  return names;
}

/** The 49 feature names in order (lag1 = the round just before the current one). */
export const FEATURE_NAMES: readonly string[] = Object.freeze([
  ...lagNames('player_move', MOVES),
  ...lagNames('bot_move', MOVES),
  ...lagNames('result', RESULTS),
  ...MOVES.map((m) => `value_${m}`),
  ...lagNames('value', MOVES),
  ...MOVES.map((m) => `player_share_${m}`),
  'tier_share_highest',
  'tier_share_beats_highest',
  'tier_share_beats_that',
  'score_difference',
  'player_points_to_win',
  'bot_points_to_win',
  'round',
]);

/** How many leading entries of `previous` lie before `round` (history is in round order). */
function earlierCount(previous: readonly PlayedRound[], round: number, end = previous.length): number {
  let n = end;
  while (n > 0 && previous[n - 1]!.round >= round) n--;
  return n;
}

/**
 * Writes the 49 features of `round` into `out` at `offset`, from the first `count` rounds of
 * `history` (the rounds before `round`). The single implementation behind features() and featureBatch().
 */
function writeFeatures(
  out: Float32Array,
  offset: number,
  history: readonly PlayedRound[],
  count: number,
  round: number,
  values: RoundValues,
): void {
  out.fill(0, offset, offset + FEATURE_COUNT);
  for (let lag = 1; lag <= LAGS; lag++) {
    const prior = count - lag >= 0 ? history[count - lag] : undefined;
    const v = prior ? prior.values : values;
    const base = offset + VALUES_LAGS + (lag - 1) * 3;
    out[base] = v.rock;
    out[base + 1] = v.paper;
    out[base + 2] = v.scissors;
    if (!prior) continue;
    out[offset + PLAYER_LAGS + (lag - 1) * 3 + moveIndex(prior.playerMove)] = 1;
    out[offset + BOT_LAGS + (lag - 1) * 3 + moveIndex(prior.botMove)] = 1;
    out[offset + RESULT_LAGS + (lag - 1) * 3 + RESULT_INDEX[prior.result]] = 1;
  }
  out[offset + VALUES_NOW] = values.rock;
  out[offset + VALUES_NOW + 1] = values.paper;
  out[offset + VALUES_NOW + 2] = values.scissors;

  const shares = [0, 0, 0];
  const tiers = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    const r = history[i]!;
    shares[moveIndex(r.playerMove)]!++;
    const highest = highestMove(r.values);
    const beater = beatenBy(highest);
    if (r.playerMove === highest) tiers[0]!++;
    else if (r.playerMove === beater) tiers[1]!++;
    else if (r.playerMove === beatenBy(beater)) tiers[2]!++;
  }
  const denominator = Math.max(1, count);
  for (let j = 0; j < 3; j++) {
    out[offset + PLAYER_SHARES + j] = shares[j]! / denominator;
    out[offset + TIER_TENDENCY + j] = tiers[j]! / denominator;
  }

  const last = count > 0 ? history[count - 1] : undefined;
  const playerScore = last ? last.playerScore : 0;
  const botScore = last ? last.botScore : 0;
  out[offset + SCORE_CONTEXT] = playerScore - botScore;
  out[offset + SCORE_CONTEXT + 1] = Math.max(0, WIN_SCORE - playerScore);
  out[offset + SCORE_CONTEXT + 2] = Math.max(0, WIN_SCORE - botScore);
  out[offset + SCORE_CONTEXT + 3] = round;
}

/**
 * Features `rps-features/v1` of `round` with this round's `values`, from the game's earlier rounds
 * (`previous` in round order; entries at or after `round` are ignored, so passing the whole game is safe).
 */
export function features(previous: readonly PlayedRound[], round: number, values: RoundValues): Float32Array {
  const out = new Float32Array(FEATURE_COUNT);
  writeFeatures(out, 0, previous, earlierCount(previous, round), round, values);
  return out;
}

export interface FeatureBatch {
  /** rows × FEATURE_COUNT, row-major */
  x: Float32Array;
  /** the player's move class of each row (rock 0, paper 1, scissors 2) */
  y: Uint8Array;
  rows: number;
}

/** The rounds sorted by round number (the same array when they already are). */
export function inRoundOrder(rounds: readonly PlayedRound[]): readonly PlayedRound[] {
  for (let i = 1; i < rounds.length; i++) {
    if (rounds[i]!.round < rounds[i - 1]!.round) return [...rounds].sort((a, b) => a.round - b.round);
  }
  return rounds;
}

/**
 * Visits one game's rounds in round order (`i` the round's index in the game); for a round that
 * makes a row, `offset` is where its features go in the batch's `x` (undefined otherwise).
 */
export type RoundVisitor = (r: PlayedRound, i: number, offset?: number) => void;

/**
 * The training rows of a feature set of `featureCount` features: one per played round with round
 * >= fromRound (default 1), features written by the visitor `startGame` returns for each game,
 * label = the player's move.
 */
export function batchOf(
  games: readonly (readonly PlayedRound[])[],
  options: { fromRound?: number },
  featureCount: number,
  startGame: (game: readonly PlayedRound[], x: Float32Array) => RoundVisitor,
): FeatureBatch {
  const fromRound = options.fromRound ?? 1;
  const ordered = games.map(inRoundOrder);
  let rows = 0;
  for (const g of ordered) for (const r of g) if (r.round >= fromRound) rows++;
  const x = new Float32Array(rows * featureCount);
  const y = new Uint8Array(rows);
  let row = 0;
  for (const g of ordered) {
    const visit = startGame(g, x);
    g.forEach((r, i) => {
      if (r.round < fromRound) return visit(r, i);
      visit(r, i, row * featureCount);
      y[row] = moveIndex(r.playerMove);
      row++;
    });
  }
  return { x, y, rows };
}

/**
 * Training rows: one per played round with round >= fromRound (default 1), features from the
 * same game's earlier rounds exactly as served, label = the player's move.
 */
export function featureBatch(
  games: readonly (readonly PlayedRound[])[],
  options: { fromRound?: number } = {},
): FeatureBatch {
  return batchOf(games, options, FEATURE_COUNT, (g, x) => (r, i, offset) => {
    if (offset !== undefined) writeFeatures(x, offset, g, earlierCount(g, r.round, i), r.round, r.values);
  });
}

/** Class index -> move, for decoding labels and probabilities. */
export function moveOfClass(index: number): Move {
  const m = MOVES[index];
  if (!m) throw new RangeError(`move class must be 0, 1 or 2, got ${index}`);
  return m;
}
