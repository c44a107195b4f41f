import { MOVES, moveIndex, type Move } from './moves.ts';
import { rankedMoves, type RoundValues } from './round-values.ts';
import type { PlayedRound } from './game.ts';
import { seededRandom, weightedIndex } from './random.ts';
import {
  SYNTHETIC_PLAYER_NAMES,
  createSyntheticPlayer,
  type PlayerStrategy,
  type PlayerView,
} from './synthetic-players.ts';

/**
 * The strategy zoo: parameterised player strategies in families. Training families feed the
 * cold-start corpus and every synthetic top-up; held-out families only judge the bots
 * (`bench/bots.ts`), so a bot's score against them says how it reads players it never saw.
 */

export type TrainingFamily =
  | 'biased'
  | 'tier-biased'
  | 'sequence'
  | 'win-stay-lose-shift'
  | 'bot-reactive'
  | 'player-markov'
  | 'switcher'
  | 'scripted';

export type HeldOutFamily =
  | 'constant'
  | 'cycle'
  | 'value-tier'
  | 'beat-last-loss'
  | 'bot-frequency'
  | 'bot-markov'
  | 'meta'
  | 'random'
  | 'held-out-switcher';

export type StrategyFamily = TrainingFamily | HeldOutFamily;

export const TRAINING_FAMILIES: readonly TrainingFamily[] = Object.freeze([
  'biased',
  'tier-biased',
  'sequence',
  'win-stay-lose-shift',
  'bot-reactive',
  'player-markov',
  'switcher',
  'scripted',
] as const);

export const HELD_OUT_FAMILIES: readonly HeldOutFamily[] = Object.freeze([
  'constant',
  'cycle',
  'value-tier',
  'beat-last-loss',
  'bot-frequency',
  'bot-markov',
  'meta',
  'random',
  'held-out-switcher',
] as const);

/** Held-out families whose members follow a fixed plan (the bots' easiest targets). */
export const PREDICTABLE_FAMILIES: readonly HeldOutFamily[] = Object.freeze([
  'constant',
  'cycle',
  'value-tier',
] as const);

/** The held-out family that models the bot (several predictors of it, scored online). */
export const ADAPTIVE_FAMILY: HeldOutFamily = 'meta';

export interface ZooMember {
  /** `<family>/<member>`, stable: results and tests name members by it */
  name: string;
  family: StrategyFamily;
  heldOut: boolean;
  /** a fresh player; `random` drives its noise and choices */
  create(random: () => number): PlayerStrategy;
}

// --- moves as indices: rock 0, paper 1, scissors 2; (m + 1) % 3 beats m ---

type Index = 0 | 1 | 2;
/** Tier of a move in a round: 0 highest value, 1 middle, 2 lowest. */
type Tier = 0 | 1 | 2;

const up = (m: number, k = 1): Index => ((((m + k) % 3) + 3) % 3) as Index;
const move = (m: number): Move => MOVES[m]!;
const idx = (m: Move): Index => moveIndex(m);

function tierMove(tier: Tier, values: RoundValues): Index {
  return idx(rankedMoves(values)[tier]);
}

function tierOf(m: Move, values: RoundValues): Tier {
  return rankedMoves(values).indexOf(m) as Tier;
}

function uniformMove(random: () => number): Index {
  return Math.min(2, Math.floor(random() * 3)) as Index;
}

/** With probability `noise` a uniformly random move instead of `m`. */
function noisy(m: Index, noise: number, random: () => number): Index {
  return noise > 0 && random() < noise ? uniformMove(random) : m;
}

function argmax(counts: readonly number[]): Index {
  let best = 0;
  for (let i = 1; i < 3; i++) if (counts[i]! > counts[best]!) best = i;
  return best as Index;
}

type Rule = (view: PlayerView, random: () => number) => Index;

function player(name: string, rule: Rule, random: () => number): PlayerStrategy {
  return { name, synthetic: true, next: (view) => move(rule(view, random)) };
}

function member(family: StrategyFamily, heldOut: boolean, name: string, rule: () => Rule): ZooMember {
  const full = `${family}/${name}`;
  return { name: full, family, heldOut, create: (random) => player(full, rule(), random) };
}

// --- building blocks ---

/** A move (or a tier, with `tiers`) drawn from fixed weights. */
function weighted(weights: readonly number[], tiers: boolean): Rule {
  return (view, random) => {
    const pick = weightedIndex(weights, random);
    return tiers ? tierMove(pick as Tier, view.values) : (pick as Index);
  };
}

/** Plays `plan[(round - 1) % plan.length]`, as moves or as tiers. */
function planned(plan: readonly number[], tiers: boolean, noise: number): Rule {
  return (view, random) => {
    const step = plan[(view.round - 1) % plan.length]!;
    return noisy(tiers ? tierMove(step as Tier, view.values) : (step as Index), noise, random);
  };
}

/** Counts of the bot's moves (or tiers) over the last `window` rounds (all when 0). */
function botCounts(previous: readonly PlayedRound[], window: number, tiers: boolean): number[] {
  const counts = [0, 0, 0];
  const from = window > 0 ? Math.max(0, previous.length - window) : 0;
  for (let i = from; i < previous.length; i++) {
    const r = previous[i]!;
    counts[tiers ? tierOf(r.botMove, r.values) : idx(r.botMove)]!++;
  }
  return counts;
}

/** A predictor of the bot's next move, from the player's side: null when it has no opinion. */
type BotPredictor = (previous: readonly PlayedRound[], values: RoundValues) => Index | null;

const botPredictors: Readonly<Record<string, BotPredictor>> = {
  repeat: (prev) => (prev.length ? idx(prev.at(-1)!.botMove) : null),
  frequency: (prev) => (prev.length ? argmax(botCounts(prev, 0, false)) : null),
  tier: (prev, values) => (prev.length ? tierMove(argmax(botCounts(prev, 0, true)) as Tier, values) : null),
  highest: (_prev, values) => tierMove(0, values),
  markov: (prev) => markovNext(prev.map((r) => idx(r.botMove))),
  beatsPlayer: (prev) => (prev.length ? up(idx(prev.at(-1)!.playerMove)) : null),
  markov2: (prev) => markov2Next(prev.map((r) => idx(r.botMove))),
};

/** Order-1 Markov: the most frequent successor of the last symbol, or null without one. */
function markovNext(seq: readonly number[]): Index | null {
  if (seq.length < 2) return null;
  const last = seq.at(-1)!;
  const counts = [0, 0, 0];
  for (let i = 1; i < seq.length; i++) if (seq[i - 1] === last) counts[seq[i]!]!++;
  return counts.some((c) => c > 0) ? argmax(counts) : null;
}

/** Order-2 Markov on the last two symbols. */
function markov2Next(seq: readonly number[]): Index | null {
  if (seq.length < 3) return null;
  const a = seq.at(-2)!;
  const b = seq.at(-1)!;
  const counts = [0, 0, 0];
  for (let i = 2; i < seq.length; i++) if (seq[i - 2] === a && seq[i - 1] === b) counts[seq[i]!]!++;
  return counts.some((c) => c > 0) ? argmax(counts) : null;
}

/** Counters the named predictor of the bot; before it has an opinion plays `opening`. */
function counterOf(predictor: BotPredictor, opening: Rule, noise: number): Rule {
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
function metaPlayer(decay: number, names: readonly string[], valueAware: boolean): Rule {
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
function switching(first: Rule, second: Rule, from: number, to: number): Rule {
  let at = 0;
  return (view, random) => {
    if (at === 0 || view.round === 1) at = from + Math.floor(random() * (to - from + 1));
    return view.round < at ? first(view, random) : second(view, random);
  };
}

// --- the families ---

const MOVE_NAMES = ['rock', 'paper', 'scissors'] as const;
const TIER_NAMES = ['highest', 'middle', 'lowest'] as const;

function trainingMembers(): ZooMember[] {
  const list: ZooMember[] = [];
  const add = (family: TrainingFamily, name: string, rule: () => Rule) =>
    list.push(member(family, false, name, rule));

  for (let m = 0; m < 3; m++) {
    for (const bias of [0.5, 0.65, 0.8]) {
      const w = [0, 1, 2].map((i) => (i === m ? bias : (1 - bias) / 2));
      add('biased', `${MOVE_NAMES[m]}-${bias}`, () => weighted(w, false));
    }
  }
  for (let t = 0; t < 3; t++) {
    for (const bias of [0.5, 0.7, 0.85]) {
      const w = [0, 1, 2].map((i) => (i === t ? bias : (1 - bias) / 2));
      add('tier-biased', `${TIER_NAMES[t]}-${bias}`, () => weighted(w, true));
    }
  }
  // sequences that are not the held-out cycles (every move once per period, in rotation order)
  const sequences: [string, number[], boolean][] = [
    ['rr-p', [0, 0, 1], false],
    ['pp-s', [1, 1, 2], false],
    ['ss-rr', [2, 2, 0, 0], false],
    ['r-s', [0, 2], false],
    ['p-r', [1, 0], false],
    ['r-p-p-s', [0, 1, 1, 2], false],
    ['s-s-p-r-r', [2, 2, 1, 0, 0], false],
    ['tier-h-l', [0, 2], true],
    ['tier-h-h-m', [0, 0, 1], true],
    ['tier-l-l-h', [2, 2, 0], true],
    ['tier-m-h-h-l', [1, 0, 0, 2], true],
  ];
  for (const [name, plan, tiers] of sequences) {
    add('sequence', name, () => planned(plan, tiers, 0));
    add('sequence', `${name}-noisy`, () => planned(plan, tiers, 0.15));
  }
  // after a win / loss / draw: the shift from the player's own last move (0 stay, 1 up, 2 down)
  const wsls: [string, number, number, number][] = [
    ['stay-up-stay', 0, 1, 0],
    ['stay-down-up', 0, 2, 1],
    ['stay-up-down', 0, 1, 2],
    ['up-stay-up', 1, 0, 1],
    ['down-up-stay', 2, 1, 0],
    ['stay-down-down', 0, 2, 2],
  ];
  for (const [name, onWin, onLose, onDraw] of wsls) {
    for (const noise of [0, 0.2]) {
      add('win-stay-lose-shift', `${name}${noise ? '-noisy' : ''}`, () => (view, random) => {
        const last = view.previous.at(-1);
        if (!last) return tierMove(0, view.values);
        const shift = last.result === 'win' ? onWin : last.result === 'lose' ? onLose : onDraw;
        return noisy(up(idx(last.playerMove), shift), noise, random);
      });
    }
  }
  // relative to the bot's last move: copy it (0), beat it (1), lose to it (2)
  for (const [name, shift] of [
    ['copy', 0],
    ['beat', 1],
    ['lose-to', 2],
  ] as const) {
    for (const noise of [0, 0.25]) {
      add('bot-reactive', `${name}-bot-last${noise ? '-noisy' : ''}`, () => (view, random) => {
        const last = view.previous.at(-1);
        return noisy(last ? up(idx(last.botMove), shift) : uniformMove(random), noise, random);
      });
    }
  }
  // a fixed transition table over the player's own moves, drawn per member
  for (let k = 0; k < 8; k++) {
    const table = seededTable(1000 + k, 2 + (k % 3));
    add('player-markov', `table-${k}`, () => (view, random) => {
      const last = view.previous.at(-1);
      if (!last) return uniformMove(random);
      return weighted(table[idx(last.playerMove)]!, false)(view, random);
    });
  }
  const parts: [string, () => Rule][] = [
    ['rock', () => weighted([0.8, 0.1, 0.1], false)],
    ['tier-low', () => weighted([0.1, 0.1, 0.8], true)],
    ['r-s', () => planned([0, 2], false, 0)],
    [
      'beat-bot',
      () => (view, random) => {
        const last = view.previous.at(-1);
        return last ? up(idx(last.botMove)) : uniformMove(random);
      },
    ],
    ['tier-high', () => weighted([0.8, 0.1, 0.1], true)],
  ];
  for (let i = 0; i < parts.length; i++) {
    const [a, ra] = parts[i]!;
    const [b, rb] = parts[(i + 2) % parts.length]!;
    add('switcher', `${a}-then-${b}`, () => switching(ra(), rb(), 5, 9));
  }
  for (const name of SYNTHETIC_PLAYER_NAMES) {
    list.push({
      name: `scripted/${name}`,
      family: 'scripted',
      heldOut: false,
      create: (random) => ({ ...createSyntheticPlayer(name, random), name: `scripted/${name}` }),
    });
  }
  return list;
}

/** A 3×3 table of move weights, each row peaked on one successor with `sharpness`. */
function seededTable(seed: number, sharpness: number): number[][] {
  const random = seededRandom(seed);
  return [0, 1, 2].map(() => {
    const row = [random(), random(), random()].map((x) => 0.2 + x);
    row[uniformMove(random)]! += sharpness;
    return row;
  });
}

function heldOutMembers(): ZooMember[] {
  const list: ZooMember[] = [];
  const add = (family: HeldOutFamily, name: string, rule: () => Rule) =>
    list.push(member(family, true, name, rule));

  for (let m = 0; m < 3; m++) {
    add('constant', MOVE_NAMES[m]!, () => planned([m], false, 0));
    add('constant', `${MOVE_NAMES[m]}-noisy`, () => planned([m], false, 0.1));
  }
  add('cycle', 'rock-paper-scissors', () => planned([0, 1, 2], false, 0));
  add('cycle', 'rock-scissors-paper', () => planned([0, 2, 1], false, 0));
  add('cycle', 'paper-rock-scissors-noisy', () => planned([1, 0, 2], false, 0.1));
  add('cycle', 'beat-own-last', () => (view, random) => {
    const last = view.previous.at(-1);
    return last ? up(idx(last.playerMove)) : uniformMove(random);
  });
  add('cycle', 'tier-high-middle-low', () => planned([0, 1, 2], true, 0));
  add('cycle', 'tier-high-low-middle', () => planned([0, 2, 1], true, 0));
  add('cycle', 'tier-low-high-noisy', () => planned([2, 0, 1], true, 0.1));
  for (let t = 0; t < 3; t++) {
    add('value-tier', `always-${TIER_NAMES[t]}`, () => planned([t], true, 0));
    add('value-tier', `mostly-${TIER_NAMES[t]}`, () =>
      weighted(
        [0, 1, 2].map((i) => (i === t ? 0.9 : 0.05)),
        true,
      ),
    );
  }
  add('value-tier', 'highest-or-middle', () => weighted([0.65, 0.35, 0], true));
  add('value-tier', 'highest-or-lowest', () => weighted([0.6, 0, 0.4], true));
  add('beat-last-loss', 'beat-what-beat-me', () => (view, random) => {
    const last = view.previous.at(-1);
    if (!last) return tierMove(0, view.values);
    return last.result === 'lose' ? up(idx(last.botMove)) : noisy(idx(last.playerMove), 0.1, random);
  });
  add('beat-last-loss', 'beat-what-beat-me-else-highest', () => (view) => {
    const last = view.previous.at(-1);
    return last?.result === 'lose' ? up(idx(last.botMove)) : tierMove(0, view.values);
  });
  add('beat-last-loss', 'beat-most-frequent-winner', () => (view, random) => {
    const losses = view.previous.filter((r) => r.result === 'lose');
    return losses.length ? up(argmax(botCounts(losses, 0, false))) : uniformMove(random);
  });
  for (const window of [0, 5]) {
    const label = window ? `last-${window}` : 'all';
    add('bot-frequency', `counter-move-${label}`, () =>
      counterOf(
        (prev) => (prev.length ? argmax(botCounts(prev, window, false)) : null),
        weighted([1, 1, 1], false),
        0,
      ),
    );
    add('bot-frequency', `counter-tier-${label}`, () =>
      counterOf(
        (prev, values) =>
          prev.length ? tierMove(argmax(botCounts(prev, window, true)) as Tier, values) : null,
        weighted([1, 1, 1], false),
        0,
      ),
    );
  }
  add('bot-frequency', 'counter-move-noisy', () =>
    counterOf(botPredictors.frequency!, weighted([1, 1, 1], false), 0.2),
  );
  add('bot-markov', 'order-1', () => counterOf(botPredictors.markov!, weighted([1, 1, 1], false), 0));
  add('bot-markov', 'order-2', () =>
    counterOf(
      (prev, values) => markov2Next(prev.map((r) => idx(r.botMove))) ?? botPredictors.markov!(prev, values),
      weighted([1, 1, 1], false),
      0,
    ),
  );
  add('bot-markov', 'tier-order-1', () =>
    counterOf(
      (prev, values) => {
        const t = markovNext(prev.map((r) => tierOf(r.botMove, r.values)));
        return t === null ? null : tierMove(t as Tier, values);
      },
      weighted([1, 1, 1], false),
      0,
    ),
  );
  add('bot-markov', 'order-1-noisy', () =>
    counterOf(botPredictors.markov!, weighted([1, 1, 1], false), 0.15),
  );
  const all = Object.keys(botPredictors);
  add('meta', 'all-decay-0.9', () => metaPlayer(0.9, all, false));
  add('meta', 'all-decay-0.7', () => metaPlayer(0.7, all, false));
  add('meta', 'all-value-aware', () => metaPlayer(0.85, all, true));
  add('meta', 'history-only', () => metaPlayer(0.85, ['repeat', 'frequency', 'markov', 'markov2'], false));
  add('random', 'uniform', () => weighted([1, 1, 1], false));
  add('held-out-switcher', 'highest-then-counter', () =>
    switching(
      planned([0], true, 0),
      counterOf(botPredictors.frequency!, weighted([1, 1, 1], false), 0),
      5,
      9,
    ),
  );
  add('held-out-switcher', 'rock-then-cycle', () =>
    switching(planned([0], false, 0), planned([0, 1, 2], false, 0), 5, 9),
  );
  add('held-out-switcher', 'lowest-then-markov', () =>
    switching(planned([2], true, 0), counterOf(botPredictors.markov!, weighted([1, 1, 1], false), 0), 5, 9),
  );
  add('held-out-switcher', 'counter-then-highest', () =>
    switching(counterOf(botPredictors.tier!, weighted([1, 1, 1], false), 0), planned([0], true, 0), 5, 9),
  );
  return list;
}

export const STRATEGY_ZOO: readonly ZooMember[] = Object.freeze([...trainingMembers(), ...heldOutMembers()]);

/** The zoo's members, filtered by `heldOut` and/or `family`. */
export function zooMembers(filter: { heldOut?: boolean; family?: StrategyFamily } = {}): ZooMember[] {
  return STRATEGY_ZOO.filter(
    (m) =>
      (filter.heldOut === undefined || m.heldOut === filter.heldOut) &&
      (filter.family === undefined || m.family === filter.family),
  );
}

/** A member by its `<family>/<member>` name; the error lists the families. */
export function zooMember(name: string): ZooMember {
  const m = STRATEGY_ZOO.find((x) => x.name === name);
  if (!m) {
    const families = [...TRAINING_FAMILIES, ...HELD_OUT_FAMILIES].join(', ');
    throw new RangeError(
      `unknown strategy ${JSON.stringify(name)}; names are <family>/<member>, families: ${families}`,
    );
  }
  return m;
}
