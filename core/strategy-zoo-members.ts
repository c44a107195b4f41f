import {
  MOVE_NAMES,
  TIER_NAMES,
  argmax,
  botCounts,
  botPredictors,
  counterOf,
  idx,
  markov2Next,
  markovNext,
  member,
  metaPlayer,
  noisy,
  planned,
  seededTable,
  switching,
  tierMove,
  tierOf,
  uniformMove,
  up,
  weighted,
  type Rule,
  type Tier,
} from './strategy-rules.ts';
import { SYNTHETIC_PLAYER_NAMES, createSyntheticPlayer } from './synthetic-players.ts';
import type { HeldOutFamily, TrainingFamily, ZooMember } from './strategy-zoo.ts';

/** The members of the strategy zoo's training families. */
export function trainingMembers(): ZooMember[] {
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

/** The members of the held-out families: they only judge the bots. */
export function heldOutMembers(): ZooMember[] {
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
