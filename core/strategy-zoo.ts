import { heldOutMembers, trainingMembers } from './strategy-zoo-members.ts';
import type { PlayerStrategy } from './synthetic-players.ts';

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
