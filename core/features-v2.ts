import { MOVES, moveIndex } from './moves.ts';
import { rankedMoves, type RoundValues } from './round-values.ts';
import { WIN_SCORE, type PlayedRound } from './game.ts';
import { batchOf, type FeatureBatch } from './features.ts';

/**
 * Feature set `rps-features/v2` (docs/features.md): what several online predictors of the
 * player say about this round, each with how often it (or a rotation of it) has been right in
 * this game so far. A model learns which evidence to trust, not the players it was trained on,
 * so what it learns carries over to players it never saw.
 */
export const FEATURE_SET_V2 = 'rps-features/v2';

/** Weight of a round `k` rounds back in a predictor's score. */
export const SCORE_DECAY = 0.8;
/** Pseudo-rounds at chance (1/3) every score starts from. */
const SCORE_PRIOR = 1;

type Dist = [number, number, number];
/** What a predictor sees: the earlier rounds as indices, and this round's values. */
interface History {
  n: number;
  p: number[];
  b: number[];
  /** result from the player's side: 0 win, 1 lose, 2 draw */
  r: number[];
  /** tier of the player's and the bot's move: 0 highest, 1 middle, 2 lowest value */
  pt: number[];
  bt: number[];
  /** this round's moves by tier: tierMove[0] is the highest-valued move */
  tierMove: [number, number, number];
}

const up = (m: number, k: number): number => (((m + k) % 3) + 3) % 3;

function normalised(c: Dist): Dist | null {
  const s = c[0] + c[1] + c[2];
  return s > 0 ? [c[0] / s, c[1] / s, c[2] / s] : null;
}

function oneHot(m: number): Dist {
  const d: Dist = [0, 0, 0];
  d[m] = 1;
  return d;
}

/** Shift counts of `seq[t] - ref[t - 1]` over the rounds where `when(t - 1)`, applied to `ref[n - 1]`. */
function relative(h: History, ref: number[], when: (t: number) => boolean = () => true): Dist | null {
  if (h.n < 2) return null;
  const c: Dist = [0, 0, 0];
  for (let t = 1; t < h.n; t++) if (when(t - 1)) c[up(h.p[t]! - ref[t - 1]!, 0)]!++;
  const shifts = normalised(c);
  if (!shifts) return null;
  const base = ref[h.n - 1]!;
  const d: Dist = [0, 0, 0];
  for (let s = 0; s < 3; s++) d[up(base, s)]! += shifts[s]!;
  return d;
}

/** Counts of a tier sequence's values, mapped onto this round's moves. */
function tiersToMoves(h: History, c: Dist): Dist | null {
  const t = normalised(c);
  if (!t) return null;
  const d: Dist = [0, 0, 0];
  for (let k = 0; k < 3; k++) d[h.tierMove[k]!]! += t[k]!;
  return d;
}

function counts(seq: readonly number[], from = 0): Dist {
  const c: Dist = [0, 0, 0];
  for (let i = from; i < seq.length; i++) c[seq[i]!]!++;
  return c;
}

/** Successor counts of the last `order` symbols of `key` in `seq` (seq[t] after key[t-order..t-1]). */
function successors(h: History, key: number[], seq: number[], order: number): Dist {
  const c: Dist = [0, 0, 0];
  for (let t = order; t < h.n; t++) {
    let match = true;
    for (let j = 1; j <= order && match; j++) match = key[t - j] === key[h.n - j];
    if (match) c[seq[t]!]!++;
  }
  return c;
}

function rotated(d: Dist | null, k: number): Dist | null {
  if (!d) return null;
  return [d[up(0, -k)]!, d[up(1, -k)]!, d[up(2, -k)]!];
}

/**
 * The predictors, in feature order. Each says how likely the player is to play each move this
 * round, or null when the game so far gives it nothing to go on.
 */
const PREDICTORS: readonly { name: string; predict: (h: History) => Dist | null }[] = [
  { name: 'move_frequency', predict: (h) => normalised(counts(h.p)) },
  { name: 'recent_moves', predict: (h) => normalised(counts(h.p, Math.max(0, h.n - 4))) },
  { name: 'tier_frequency', predict: (h) => tiersToMoves(h, counts(h.pt)) },
  { name: 'markov_player', predict: (h) => (h.n < 2 ? null : normalised(successors(h, h.p, h.p, 1))) },
  { name: 'markov_player_2', predict: (h) => (h.n < 3 ? null : normalised(successors(h, h.p, h.p, 2))) },
  { name: 'markov_bot', predict: (h) => (h.n < 2 ? null : normalised(successors(h, h.b, h.p, 1))) },
  { name: 'tier_markov', predict: (h) => (h.n < 2 ? null : tiersToMoves(h, successors(h, h.pt, h.pt, 1))) },
  { name: 'shift_from_own_last', predict: (h) => relative(h, h.p) },
  { name: 'shift_from_bot_last', predict: (h) => relative(h, h.b) },
  {
    name: 'shift_from_own_last_by_result',
    predict: (h) => relative(h, h.p, (t) => h.r[t] === h.r[h.n - 1]),
  },
  {
    name: 'shift_from_bot_last_by_result',
    predict: (h) => relative(h, h.b, (t) => h.r[t] === h.r[h.n - 1]),
  },
  {
    name: 'tier_by_result',
    predict: (h) => {
      if (h.n < 2) return null;
      const c: Dist = [0, 0, 0];
      for (let t = 1; t < h.n; t++) if (h.r[t - 1] === h.r[h.n - 1]) c[h.pt[t]!]!++;
      return tiersToMoves(h, c);
    },
  },
  { name: 'pattern_match', predict: patternMatch },
  { name: 'highest_value', predict: (h) => oneHot(h.tierMove[0]) },
  { name: 'own_last', predict: (h) => (h.n ? oneHot(h.p[h.n - 1]!) : null) },
  { name: 'bot_last', predict: (h) => (h.n ? oneHot(h.b[h.n - 1]!) : null) },
  // the player countering what is predictable about the bot
  { name: 'counter_bot_frequency', predict: (h) => rotated(normalised(counts(h.b)), 1) },
  {
    name: 'counter_bot_markov',
    predict: (h) => (h.n < 2 ? null : rotated(normalised(successors(h, h.b, h.b, 1)), 1)),
  },
  { name: 'counter_bot_tier', predict: (h) => rotated(tiersToMoves(h, counts(h.bt)), 1) },
];

/** The player's move after the latest earlier occurrence of the longest (≤ 4) recent joint history. */
function patternMatch(h: History): Dist | null {
  for (let len = Math.min(4, h.n - 1); len >= 1; len--) {
    for (let end = h.n - 1; end >= len; end--) {
      let match = true;
      for (let j = 1; j <= len && match; j++) {
        match = h.p[end - j] === h.p[h.n - j] && h.b[end - j] === h.b[h.n - j];
      }
      if (match) return oneHot(h.p[end]!);
    }
  }
  return null;
}

const K = PREDICTORS.length;
const UNIFORM: Dist = [1 / 3, 1 / 3, 1 / 3];

// Offsets of the feature groups, in the documented order.
const EVIDENCE = 0; // K × 3: the best rotation's prediction, weighted by its edge over chance
const SCORES = EVIDENCE + 3 * K; // K: the best rotation's score
const BEST = SCORES + K; // 3 + 1: the best-scoring (predictor, rotation)'s prediction and score
const MIXTURE = BEST + 4; // 3 + 1: the edge-weighted mixture of all, and its total weight
const VALUES = MIXTURE + 4; // 3: this round's values
const CONTEXT = VALUES + 3; // 4: score difference, points to win (player, bot), round

export const FEATURE_COUNT_V2 = CONTEXT + 4;

export const FEATURE_NAMES_V2: readonly string[] = Object.freeze([
  ...PREDICTORS.flatMap((p) => MOVES.map((m) => `${p.name}_${m}`)),
  ...PREDICTORS.map((p) => `${p.name}_score`),
  ...MOVES.map((m) => `best_${m}`),
  'best_score',
  ...MOVES.map((m) => `mixture_${m}`),
  'mixture_weight',
  ...MOVES.map((m) => `value_${m}`),
  'score_difference',
  'player_points_to_win',
  'bot_points_to_win',
  'round',
]);

export const PREDICTOR_NAMES: readonly string[] = Object.freeze(PREDICTORS.map((p) => p.name));

/**
 * One game read round by round: `write` puts the features of the next round into a row, `push`
 * adds a played round and scores every predictor's last prediction against the move made.
 */
class GameReader {
  private readonly h: History = { n: 0, p: [], b: [], r: [], pt: [], bt: [], tierMove: [0, 1, 2] };
  /** per predictor and rotation: decayed hits and decayed weight */
  private readonly hits = new Float64Array(K * 3);
  private readonly weight = new Float64Array(K * 3);
  /** the predictions `write` made for round `pendingRound`, scored when that round is pushed */
  private pending: (Dist | null)[] = [];
  private pendingRound = 0;
  private playerScore = 0;
  private botScore = 0;

  private predictAll(values: RoundValues): (Dist | null)[] {
    const ranked = rankedMoves(values);
    this.h.tierMove = [moveIndex(ranked[0]), moveIndex(ranked[1]), moveIndex(ranked[2])];
    return PREDICTORS.map((p) => p.predict(this.h));
  }

  private score(k: number, r: number): number {
    return (this.hits[k * 3 + r]! + SCORE_PRIOR / 3) / (this.weight[k * 3 + r]! + SCORE_PRIOR);
  }

  write(out: Float32Array, offset: number, round: number, values: RoundValues): void {
    out.fill(0, offset, offset + FEATURE_COUNT_V2);
    const predictions = this.predictAll(values);
    this.pending = predictions;
    this.pendingRound = round;
    let bestScore = -1;
    let best: Dist = UNIFORM;
    const mixture: Dist = [0, 0, 0];
    let mixtureWeight = 0;
    for (let k = 0; k < K; k++) {
      const q = predictions[k] ?? UNIFORM;
      let rBest = 0;
      for (let r = 1; r < 3; r++) if (this.score(k, r) > this.score(k, rBest)) rBest = r;
      const s = this.score(k, rBest);
      const edge = s - 1 / 3;
      for (let m = 0; m < 3; m++) {
        const qm = q[up(m, -rBest)]!;
        out[offset + EVIDENCE + k * 3 + m] = edge * qm;
      }
      out[offset + SCORES + k] = s;
      for (let r = 0; r < 3; r++) {
        const sr = this.score(k, r);
        if (predictions[k] && sr > bestScore) {
          bestScore = sr;
          best = rotated(q, r)!;
        }
        const w = Math.max(0, sr - 1 / 3) ** 2;
        if (w > 0 && predictions[k]) {
          for (let m = 0; m < 3; m++) mixture[m]! += w * q[up(m, -r)]!;
          mixtureWeight += w;
        }
      }
    }
    for (let m = 0; m < 3; m++) {
      out[offset + BEST + m] = best[m]!;
      out[offset + MIXTURE + m] = mixtureWeight > 0 ? mixture[m]! / mixtureWeight : 1 / 3;
    }
    out[offset + BEST + 3] = Math.max(bestScore, 1 / 3);
    out[offset + MIXTURE + 3] = mixtureWeight;
    out[offset + VALUES] = values.rock;
    out[offset + VALUES + 1] = values.paper;
    out[offset + VALUES + 2] = values.scissors;
    out[offset + CONTEXT] = this.playerScore - this.botScore;
    out[offset + CONTEXT + 1] = Math.max(0, WIN_SCORE - this.playerScore);
    out[offset + CONTEXT + 2] = Math.max(0, WIN_SCORE - this.botScore);
    out[offset + CONTEXT + 3] = round;
  }

  push(played: PlayedRound): void {
    const predictions =
      this.pending.length && this.pendingRound === played.round
        ? this.pending
        : this.predictAll(played.values);
    const actual = moveIndex(played.playerMove);
    for (let k = 0; k < K; k++) {
      const q = predictions[k] ?? UNIFORM;
      for (let r = 0; r < 3; r++) {
        const i = k * 3 + r;
        this.hits[i] = this.hits[i]! * SCORE_DECAY + q[up(actual, -r)]!;
        this.weight[i] = this.weight[i]! * SCORE_DECAY + 1;
      }
    }
    this.pending = [];
    const ranked = rankedMoves(played.values);
    const h = this.h;
    h.p.push(actual);
    h.b.push(moveIndex(played.botMove));
    h.r.push(played.result === 'win' ? 0 : played.result === 'lose' ? 1 : 2);
    h.pt.push(ranked.indexOf(played.playerMove));
    h.bt.push(ranked.indexOf(played.botMove));
    h.n++;
    this.playerScore = played.playerScore;
    this.botScore = played.botScore;
  }
}

/**
 * `featuresV2` for one game move after move, reading only the rounds added since the last call
 * (a live game's rounds only grow); anything else — fewer rounds, another game — starts over.
 * Gives exactly what featuresV2 gives.
 */
export class FeatureReaderV2 {
  private reader = new GameReader();
  private read: PlayedRound[] = [];

  features(previous: readonly PlayedRound[], round: number, values: RoundValues): Float32Array {
    const earlier = previous.filter((r) => r.round < round);
    const continues =
      earlier.length >= this.read.length && this.read.every((r, i) => sameRound(r, earlier[i]!));
    if (!continues) {
      this.reader = new GameReader();
      this.read = [];
    }
    for (let i = this.read.length; i < earlier.length; i++) {
      this.reader.push(earlier[i]!);
      this.read.push(earlier[i]!);
    }
    const out = new Float32Array(FEATURE_COUNT_V2);
    this.reader.write(out, 0, round, values);
    return out;
  }
}

function sameRound(a: PlayedRound, b: PlayedRound): boolean {
  return (
    a === b ||
    (a.round === b.round &&
      a.playerMove === b.playerMove &&
      a.botMove === b.botMove &&
      a.values.rock === b.values.rock &&
      a.values.paper === b.values.paper &&
      a.values.scissors === b.values.scissors)
  );
}

/** Features `rps-features/v2` of `round`, from the game's rounds before it (later ones are ignored). */
export function featuresV2(
  previous: readonly PlayedRound[],
  round: number,
  values: RoundValues,
): Float32Array {
  const reader = new GameReader();
  for (const r of previous) if (r.round < round) reader.push(r);
  const out = new Float32Array(FEATURE_COUNT_V2);
  reader.write(out, 0, round, values);
  return out;
}

/** Training rows of `rps-features/v2`: one per round >= fromRound, exactly as served. */
export function featureBatchV2(
  games: readonly (readonly PlayedRound[])[],
  options: { fromRound?: number } = {},
): FeatureBatch {
  return batchOf(games, options, FEATURE_COUNT_V2, (_game, x) => {
    const reader = new GameReader();
    return (r, _i, offset) => {
      if (offset !== undefined) reader.write(x, offset, r.round, r.values);
      reader.push(r);
    };
  });
}

/**
 * A model-free predictor on v2 features: the mixture of the online predictors, shrunk towards
 * uniform by its weight. The cold-start corpus uses it so that players meet a bot that reads them.
 */
export function mixturePredictor(x: Float32Array): [number, number, number] {
  const trust = Math.min(1, x[MIXTURE + 3]! * 20);
  const p: [number, number, number] = [0, 0, 0];
  for (let m = 0; m < 3; m++) p[m] = (1 - trust) / 3 + trust * x[MIXTURE + m]!;
  return p;
}
