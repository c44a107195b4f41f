import { MOVES, moveIndex, type Move } from './moves.ts';
import { rankedMoves, type RoundValues } from './round-values.ts';
import type { PlayedRound } from './game.ts';
import { seededRandom, weightedIndex } from './random.ts';
import type { PlayerStrategy, PlayerView } from './synthetic-players.ts';
import type { StrategyFamily, ZooMember } from './strategy-zoo.ts';

/** The building blocks of the strategy zoo's members (`strategy-zoo-members.ts`). */

// --- moves as indices: rock 0, paper 1, scissors 2; (m + 1) % 3 beats m ---

export type Index = 0 | 1 | 2;
/** Tier of a move in a round: 0 highest value, 1 middle, 2 lowest. */
export type Tier = 0 | 1 | 2;

export const up = (m: number, k = 1): Index => ((((m + k) % 3) + 3) % 3) as Index;
export const move = (m: number): Move => MOVES[m]!;
export const idx = (m: Move): Index => moveIndex(m);

export function tierMove(tier: Tier, values: RoundValues): Index {
  return idx(rankedMoves(values)[tier]);
}

export function tierOf(m: Move, values: RoundValues): Tier {
  return rankedMoves(values).indexOf(m) as Tier;
}

export function uniformMove(random: () => number): Index {
  return Math.min(2, Math.floor(random() * 3)) as Index;
}

/** With probability `noise` a uniformly random move instead of `m`. */
export function noisy(m: Index, noise: number, random: () => number): Index {
  return noise > 0 && random() < noise ? uniformMove(random) : m;
}

export function argmax(counts: readonly number[]): Index {
  let best = 0;
  for (let i = 1; i < 3; i++) if (counts[i]! > counts[best]!) best = i;
  return best as Index;
}

export type Rule = (view: PlayerView, random: () => number) => Index;

function player(name: string, rule: Rule, random: () => number): PlayerStrategy {
  return { name, synthetic: true, next: (view) => move(rule(view, random)) };
}

export function member(family: StrategyFamily, heldOut: boolean, name: string, rule: () => Rule): ZooMember {
  const full = `${family}/${name}`;
  return { name: full, family, heldOut, create: (random) => player(full, rule(), random) };
}

// --- building blocks ---

/** A move (or a tier, with `tiers`) drawn from fixed weights. */
export function weighted(weights: readonly number[], tiers: boolean): Rule {
  return (view, random) => {
    const pick = weightedIndex(weights, random);
    return tiers ? tierMove(pick as Tier, view.values) : (pick as Index);
  };
}

/** Plays `plan[(round - 1) % plan.length]`, as moves or as tiers. */
export function planned(plan: readonly number[], tiers: boolean, noise: number): Rule {
  return (view, random) => {
    const step = plan[(view.round - 1) % plan.length]!;
    return noisy(tiers ? tierMove(step as Tier, view.values) : (step as Index), noise, random);
  };
}

/** Counts of the bot's moves (or tiers) over the last `window` rounds (all when 0). */
export function botCounts(previous: readonly PlayedRound[], window: number, tiers: boolean): number[] {
  const counts = [0, 0, 0];
  const from = window > 0 ? Math.max(0, previous.length - window) : 0;
  for (let i = from; i < previous.length; i++) {
    const r = previous[i]!;
    counts[tiers ? tierOf(r.botMove, r.values) : idx(r.botMove)]!++;
  }
  return counts;
}

/** A predictor of the bot's next move, from the player's side: null when it has no opinion. */
export type BotPredictor = (previous: readonly PlayedRound[], values: RoundValues) => Index | null;

export const botPredictors: Readonly<Record<string, BotPredictor>> = {
  repeat: (prev) => (prev.length ? idx(prev.at(-1)!.botMove) : null),
  frequency: (prev) => (prev.length ? argmax(botCounts(prev, 0, false)) : null),
  tier: (prev, values) => (prev.length ? tierMove(argmax(botCounts(prev, 0, true)) as Tier, values) : null),
  highest: (_prev, values) => tierMove(0, values),
  markov: (prev) => markovNext(prev.map((r) => idx(r.botMove))),
  beatsPlayer: (prev) => (prev.length ? up(idx(prev.at(-1)!.playerMove)) : null),
  markov2: (prev) => markov2Next(prev.map((r) => idx(r.botMove))),
};

/** Order-1 Markov: the most frequent successor of the last symbol, or null without one. */
export function markovNext(seq: readonly number[]): Index | null {
  if (seq.length < 2) return null;
  const last = seq.at(-1)!;
  const counts = [0, 0, 0];
  for (let i = 1; i < seq.length; i++) if (seq[i - 1] === last) counts[seq[i]!]!++;
  return counts.some((c) => c > 0) ? argmax(counts) : null;
}

/** Order-2 Markov on the last two symbols. */
export function markov2Next(seq: readonly number[]): Index | null {
  if (seq.length < 3) return null;
  const a = seq.at(-2)!;
  const b = seq.at(-1)!;
  const counts = [0, 0, 0];
  for (let i = 2; i < seq.length; i++) if (seq[i - 2] === a && seq[i - 1] === b) counts[seq[i]!]!++;
  return counts.some((c) => c > 0) ? argmax(counts) : null;
}

/** Counters the named predictor of the bot; before it has an opinion plays `opening`. */
export function counterOf(predictor: BotPredictor, opening: Rule, noise: number): Rule {
  return (view, random) => {
    const predicted = predictor(view.previous, view.values);
    return predicted === null ? opening(view, random) : noisy(up(predicted), noise, random);
  };
}

/**
 * The meta player: every bot predictor, and each of its rotations (the bot playing one or two
 * steps ahead of it), is scored online with decay; the best one's prediction is countered.
 * With `valueAware` it draws instead (plays the predicted bot move) when the counter is worth less
 * than half of that move: a cheap win is not worth the risk.
 */
export function metaPlayer(decay: number, names: readonly string[], valueAware: boolean): Rule {
  return (view, random) => {
    const prev = view.previous;
    const scores = names.map(() => [0, 0, 0]);
    for (let t = 1; t < prev.length; t++) {
      const before = prev.slice(0, t);
      const actual = idx(prev[t]!.botMove);
      names.forEach((n, k) => {
        const p = botPredictors[n]!(before, prev[t]!.values);
        for (let r = 0; r < 3; r++) {
          scores[k]![r] = scores[k]![r]! * decay + (p !== null && up(p, r) === actual ? 1 : 0);
        }
      });
    }
    let best: { p: Index; score: number } | null = null;
    names.forEach((n, k) => {
      const p = botPredictors[n]!(prev, view.values);
      if (p === null) return;
      for (let r = 0; r < 3; r++) {
        const s = scores[k]![r]!;
        if (!best || s > best.score) best = { p: up(p, r), score: s };
      }
    });
    if (!best) return uniformMove(random);
    const predictedBot: Index = (best as { p: Index }).p;
    if (!valueAware) return up(predictedBot);
    const counter = up(predictedBot);
    const tieValue = view.values[move(predictedBot)];
    return view.values[move(counter)] >= tieValue / 2 ? counter : predictedBot;
  };
}

/** Plays `first` until a round drawn in [from, to], then `second`. */
export function switching(first: Rule, second: Rule, from: number, to: number): Rule {
  let at = 0;
  return (view, random) => {
    if (at === 0 || view.round === 1) at = from + Math.floor(random() * (to - from + 1));
    return view.round < at ? first(view, random) : second(view, random);
  };
}

export const MOVE_NAMES = ['rock', 'paper', 'scissors'] as const;
export const TIER_NAMES = ['highest', 'middle', 'lowest'] as const;

/** A 3×3 table of move weights, each row peaked on one successor with `sharpness`. */
export function seededTable(seed: number, sharpness: number): number[][] {
  const random = seededRandom(seed);
  return [0, 1, 2].map(() => {
    const row = [random(), random(), random()].map((x) => 0.2 + x);
    row[uniformMove(random)]! += sharpness;
    return row;
  });
}
