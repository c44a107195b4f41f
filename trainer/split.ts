/** Feature rows with their labels (the player's move class), row-major. */
export interface Rows {
  x: Float32Array;
  y: Uint8Array;
  rows: number;
}

/** Features per row of `rows` (x is row-major); 0 for no rows. */
export function featureCountOf(rows: Rows): number {
  return rows.rows > 0 ? rows.x.length / rows.rows : 0;
}

export interface Split<T> {
  train: T[];
  validation: T[];
  test: T[];
}

export const SPLIT_FRACTIONS = { train: 0.6, validation: 0.2, test: 0.2 } as const;

export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

/**
 * Chronological split by game: the games (oldest first) are cut at 60 % and 80 % of the rows, a game
 * going to the part that holds its middle row, so no game is in two parts and the newest games
 * are the test set. Each part gets at least one game.
 */
export function splitByGame<T extends { rounds: readonly unknown[] }>(games: readonly T[]): Split<T> {
  if (games.length < 3) {
    throw new SplitError(
      `the dataset has ${games.length} game(s); a train/validation/test split needs at least 3`,
    );
  }
  const total = games.reduce((n, g) => n + g.rounds.length, 0);
  const trainEnd = total * SPLIT_FRACTIONS.train;
  const validationEnd = total * (SPLIT_FRACTIONS.train + SPLIT_FRACTIONS.validation);
  const part = new Array<0 | 1 | 2>(games.length);
  let seen = 0;
  games.forEach((g, i) => {
    const middle = seen + g.rounds.length / 2;
    part[i] = middle < trainEnd ? 0 : middle < validationEnd ? 1 : 2;
    seen += g.rounds.length;
  });
  // parts are contiguous runs in time; give an empty part one game from its neighbour
  const count = (p: number) => part.filter((q) => q === p).length;
  if (count(2) === 0) part[games.length - 1] = 2;
  if (count(0) === 0) part[0] = 0;
  if (count(1) === 0) {
    const firstTest = part.indexOf(2);
    const lastTrain = part.lastIndexOf(0);
    if (count(2) > 1) part[firstTest] = 1;
    else part[lastTrain] = 1;
  }
  return {
    train: games.filter((_, i) => part[i] === 0),
    validation: games.filter((_, i) => part[i] === 1),
    test: games.filter((_, i) => part[i] === 2),
  };
}
