import { MOVES, beatenBy, moveIndex, type Move } from './moves.ts';
import { rankedMoves, type RoundValues } from './round-values.ts';
import type { PlayedRound } from './game.ts';
import { moveOfRank, type Rank } from './gambits.ts';
import { weightedIndex } from './random.ts';

export type SyntheticPlayerName = 'Ace' | 'Bob' | 'Cal' | 'Dan' | 'Edd' | 'Fox' | 'Gus' | 'Hal';

export const SYNTHETIC_PLAYER_NAMES: readonly SyntheticPlayerName[] = Object.freeze([
  'Ace',
  'Bob',
  'Cal',
  'Dan',
  'Edd',
  'Fox',
  'Gus',
  'Hal',
] as const);

/** What a player sees before choosing a move: this round's values and the game so far. */
export interface PlayerView {
  round: number;
  values: RoundValues;
  previous: readonly PlayedRound[];
  playerScore: number;
  botScore: number;
}

export interface PlayerStrategy {
  name: string;
  synthetic: boolean;
  next(view: PlayerView): Move;
}

export function isSyntheticPlayerName(x: unknown): x is SyntheticPlayerName {
  return typeof x === 'string' && (SYNTHETIC_PLAYER_NAMES as readonly string[]).includes(x);
}

// --- what the scripted players notice about the game so far ---

function winsInLast(previous: readonly PlayedRound[], n: number): number {
  return previous.slice(-n).filter((r) => r.result === 'win').length;
}

/** Whether the last `n` rounds were all losses (false when fewer than `n` rounds were played). */
function lostLast(previous: readonly PlayedRound[], n: number): boolean {
  return previous.length >= n && previous.slice(-n).every((r) => r.result === 'lose');
}

function tierOf(move: Move, values: RoundValues): Rank {
  const [h, m] = rankedMoves(values);
  return move === h ? 'H' : move === m ? 'M' : 'L';
}

/** Counts per move (rock, paper, scissors order) of the bot's moves in `rounds`. */
function botMoveCounts(rounds: readonly PlayedRound[]): [number, number, number] {
  const counts: [number, number, number] = [0, 0, 0];
  for (const r of rounds) counts[moveIndex(r.botMove)]++;
  return counts;
}

/** The most frequent move (ties rock > paper > scissors), or null when nothing was counted. */
function mostFrequent(counts: readonly number[]): Move | null {
  let best = -1;
  for (let i = 0; i < counts.length; i++)
    if (counts[i]! > 0 && (best < 0 || counts[i]! > counts[best]!)) best = i;
  return best < 0 ? null : MOVES[best]!;
}

function leastFrequent(counts: readonly number[]): Move {
  let best = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i]! < counts[best]!) best = i;
  return MOVES[best]!;
}

/** The bot's most frequent value tier over `rounds` (ties H > M > L), or null before any round. */
function botFavouriteTier(rounds: readonly PlayedRound[]): Rank | null {
  const tiers: Rank[] = ['H', 'M', 'L'];
  const counts = [0, 0, 0];
  for (const r of rounds) counts[tiers.indexOf(tierOf(r.botMove, r.values))]!++;
  let best = -1;
  for (let i = 0; i < 3; i++) if (counts[i]! > 0 && (best < 0 || counts[i]! > counts[best]!)) best = i;
  return best < 0 ? null : tiers[best]!;
}

function highest(values: RoundValues): Move {
  return rankedMoves(values)[0];
}

// --- the eight players ---

/** Ace: on a roll (2 of the last 3 won) plays the highest-valued move; otherwise beats its own previous move. */
function ace(view: PlayerView): Move {
  const last = view.previous.at(-1);
  if (!last || winsInLast(view.previous, 3) >= 2) return highest(view.values);
  return beatenBy(last.playerMove);
}

const BOB_CYCLE: readonly Rank[] = ['H', 'L', 'M'];

/** Bob: cycles high, low, middle by round; on a roll counters the bot's most frequent value tier. */
function bob(view: PlayerView): Move {
  if (winsInLast(view.previous, 3) >= 2) {
    const tier = botFavouriteTier(view.previous);
    if (tier) return beatenBy(moveOfRank(tier, view.values));
  }
  return moveOfRank(BOB_CYCLE[(view.round - 1) % BOB_CYCLE.length]!, view.values);
}

/** Cal: beats the highest-valued move; after 3 straight losses plays the highest-valued move itself. */
function cal(view: PlayerView): Move {
  const h = highest(view.values);
  return lostLast(view.previous, 3) ? h : beatenBy(h);
}

/** Dan's weights over [highest, its beater, the third move], before renormalising. */
export function danWeights(view: PlayerView): {
  moves: [Move, Move, Move];
  weights: [number, number, number];
} {
  const h = highest(view.values);
  const beater = beatenBy(h);
  const third = beatenBy(beater);
  const pHigh = Math.min(0.6, Math.max(0.1, view.values[h] - 1.4));
  const pBeater = 0.3;
  const weights: [number, number, number] = [pHigh, pBeater, Math.max(0.05, 1 - pHigh - pBeater)];
  const moves: [Move, Move, Move] = [h, beater, third];
  if (view.previous.at(-1)?.result === 'lose') weights[0] += 0.15;
  if (view.playerScore < view.botScore) weights[1] += 0.1;
  const counts = botMoveCounts(view.previous);
  const favourite = mostFrequent(counts);
  if (favourite && counts[moveIndex(favourite)] * 2 >= view.previous.length) {
    const counter = moves.indexOf(beatenBy(favourite));
    weights[counter] = weights[counter]! + 0.1;
  }
  return { moves, weights };
}

function dan(view: PlayerView, random: () => number): Move {
  const { moves, weights } = danWeights(view);
  return moves[weightedIndex(weights, random)]!;
}

/** Edd: after a loss plays the highest-valued move; otherwise counters the bot's most common move. */
function edd(view: PlayerView): Move {
  const favourite = mostFrequent(botMoveCounts(view.previous));
  if (view.previous.at(-1)?.result === 'lose' || !favourite) return highest(view.values);
  return beatenBy(favourite);
}

/** Fox: ahead plays the lowest-valued move, behind counters the bot's least common move, level the middle one. */
function fox(view: PlayerView): Move {
  const [, middle, lowest] = rankedMoves(view.values);
  if (view.playerScore > view.botScore) return lowest;
  if (view.playerScore < view.botScore) return beatenBy(leastFrequent(botMoveCounts(view.previous)));
  return middle;
}

/**
 * Gus: after 2 straight losses plays at random; otherwise the highest-valued move, unless the bot
 * played the highest-valued move in each of the last two rounds, then the move that beats it.
 */
function gus(view: PlayerView, random: () => number): Move {
  if (lostLast(view.previous, 2)) return MOVES[Math.min(2, Math.floor(random() * 3))]!;
  const h = highest(view.values);
  const lastTwo = view.previous.slice(-2);
  const botWentHigh = lastTwo.length === 2 && lastTwo.every((r) => r.botMove === highest(r.values));
  return botWentHigh ? beatenBy(h) : h;
}

/** Hal: plays the middle-valued move; after 3 straight losses beats the bot move it lost to most often. */
function hal(view: PlayerView): Move {
  if (lostLast(view.previous, 3)) {
    const nemesis = mostFrequent(botMoveCounts(view.previous.filter((r) => r.result === 'lose')));
    if (nemesis) return beatenBy(nemesis);
  }
  return rankedMoves(view.values)[1];
}

const RULES: Readonly<Record<SyntheticPlayerName, (view: PlayerView, random: () => number) => Move>> = {
  Ace: ace,
  Bob: bob,
  Cal: cal,
  Dan: dan,
  Edd: edd,
  Fox: fox,
  Gus: gus,
  Hal: hal,
};

/** One of the eight scripted players; `random` is used only by the random ones (Dan, Gus). */
export function createSyntheticPlayer(name: SyntheticPlayerName, random: () => number): PlayerStrategy {
  const rule = RULES[name];
  if (!rule) {
    throw new RangeError(
      `unknown synthetic player ${JSON.stringify(name)}; allowed: ${SYNTHETIC_PLAYER_NAMES.join(', ')}`,
    );
  }
  return { name, synthetic: true, next: (view) => rule(view, random) };
}
