import { simulateGame, type SimulatedGame } from './simulator.ts';
import { uniformPredictor, type Predictor } from './bot.ts';
import { seededRandom } from './random.ts';
import { featureSet } from './feature-sets.ts';
import { mixturePredictor } from './features-v2.ts';
import { TRAINING_FAMILIES, zooMembers, type TrainingFamily } from './strategy-zoo.ts';

/** The game id of cold-start game `index` for `seed` (stable, so values can be recomputed). */
export function coldStartGameId(seed: number, index: number): string {
  return `cold-start-${seed}-${index}`;
}

const V2 = featureSet('rps-features/v2');

/**
 * A synthetic corpus for training before any human has played: the training families of the
 * strategy zoo in turn (held-out families never), against the opening gambits followed by the
 * sampled EV rule, on uniform probabilities in even games and on the v2 features' own mixture of
 * online predictors in odd ones, so the players meet both a plain and a reading bot. Same seed,
 * same corpus. The other options are for bench/bots.ts --validate, which compares corpora:
 * `families` narrows it to some training families (it leaves one out at a time), `order` plays the
 * members in turn (default: a family weighs as many members as it has) or the families in turn
 * (each family weighs the same, its members in turn), `reader` the bot they meet.
 */
export function coldStartCorpus(options: {
  games: number;
  seed: number;
  families?: readonly TrainingFamily[];
  order?: 'members' | 'families';
  reader?: 'alternate' | 'uniform' | 'mixture';
}): SimulatedGame[] {
  if (!Number.isInteger(options.games) || options.games < 0) {
    throw new RangeError(`coldStartCorpus: games must be an integer >= 0, got ${String(options.games)}`);
  }
  const families = options.families ?? TRAINING_FAMILIES;
  const unknown = families.filter((f) => !TRAINING_FAMILIES.includes(f));
  if (unknown.length || families.length === 0) {
    throw new RangeError(
      `coldStartCorpus: families must be one or more training families (${TRAINING_FAMILIES.join(', ')}), got ${JSON.stringify(families)}`,
    );
  }
  const members = zooMembers({ heldOut: false }).filter((m) => families.includes(m.family as TrainingFamily));
  const byFamily = families.map((f) => members.filter((m) => m.family === f));
  const pick = (i: number) => {
    if (options.order !== 'families') return members[i % members.length]!;
    const list = byFamily[i % byFamily.length]!;
    return list[Math.floor(i / byFamily.length) % list.length]!;
  };
  const reader = options.reader ?? 'alternate';
  const random = seededRandom(options.seed);
  const corpus: SimulatedGame[] = [];
  for (let i = 0; i < options.games; i++) {
    const member = pick(i);
    const playerRandom = seededRandom(Math.floor(random() * 2 ** 32));
    const reads = reader === 'mixture' || (reader === 'alternate' && i % 2 === 1);
    const predictor: Predictor = reads ? mixturePredictor : uniformPredictor;
    corpus.push(
      simulateGame({
        gameId: coldStartGameId(options.seed, i),
        player: member.create(playerRandom),
        predictor,
        featureSet: V2,
        random,
      }),
    );
  }
  return corpus;
}
