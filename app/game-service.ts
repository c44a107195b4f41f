import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import {
  OPENING_ROUNDS,
  SYNTHETIC_PLAYER_NAMES,
  isSyntheticPlayerName,
  moveOfClass,
  botMove,
  drawGambit,
  type FeatureSet,
  type PastPrediction,
  hp,
  newGame,
  playRound,
  roundValues,
  type GameReply,
  type GameState,
  type InputMethod,
  type Move,
  type MoveReply,
  type PlayedRound,
  type Probabilities,
  type RoundValues,
  type StartGameBody,
  type StartGameReply,
  type Winner,
} from '../core/index.ts';
import { MoveConflictError, type GameRecord, type PredictionRecord } from './db/records.ts';
import type { GameWriter } from './db/move-writer.ts';
import type { Store } from './db/store.ts';
import { DomainError } from './domain-error.ts';
import type { AppMetrics } from './metrics.ts';
import type { ModelRegistry } from './serving/model-registry.ts';

interface LiveGame {
  record: GameRecord;
  state: GameState;
  /** the values of the next round, once computed (they take two SHA-256s) */
  nextValues?: RoundValues;
  /** what the playing version predicted in earlier rounds (the sampled rule's trust in it); read on the first move */
  past?: PastPrediction[];
  /** per feature set, a reader that computes the next round's features from the rounds added since */
  readers?: Map<string, ReturnType<FeatureSet['reader']>>;
}

const CACHE_LIMIT = 20_000;

function finishedError(gameId: string, winner: Winner | null): DomainError {
  const who = winner === 'tie' ? 'a tie' : `${winner} won`;
  return new DomainError('GAME_FINISHED', `game ${gameId} has finished (${who}); it accepts no more moves`);
}

function outOfOrderError(gameId: string, expected: number, got: number): DomainError {
  return new DomainError(
    'ROUND_OUT_OF_ORDER',
    `round ${got} is out of order: game ${gameId} expects round ${expected}`,
    { expectedRound: expected },
  );
}

/** What each side gained in a round (the winner its own move's value, 0.5 each on a draw). */
export function gains(r: Pick<PlayedRound, 'result' | 'values' | 'playerMove' | 'botMove'>): {
  playerGain: number;
  botGain: number;
} {
  if (r.result === 'draw') return { playerGain: 0.5, botGain: 0.5 };
  return r.result === 'win'
    ? { playerGain: r.values[r.playerMove], botGain: 0 }
    : { playerGain: 0, botGain: r.values[r.botMove] };
}

/** The move a probability vector names (ties go to rock, then paper). */
export function predictedMove(p: Probabilities): Move {
  let best = 0;
  for (let i = 1; i < 3; i++) if (p[i]! > p[best]!) best = i;
  return moveOfClass(best);
}

/**
 * Plays games: the bot's move for round r is decided from rounds before r (and the models' predictions
 * of the player's move) before the player's move is looked at; then the round is scored and stored,
 * with every alias's prediction, in one transaction.
 */
export class GameService {
  /**
   * recently used games, so a move does not re-read the whole game. The database stays
   * authoritative: with several replicas another one may have played rounds since, so a cached game
   * is only trusted for rounds it holds (stored rounds never change); a round it does not expect
   * re-reads the game, and a stale cache that computes a round another replica stored is refused
   * by the store's guarded update (MoveConflictError), after which the stored round is answered.
   */
  private readonly live = new Map<string, LiveGame>();

  constructor(
    private readonly store: Store,
    private readonly writer: GameWriter,
    private readonly registry: ModelRegistry,
    private readonly metrics: AppMetrics,
    private readonly log: FastifyBaseLogger,
    private readonly random: () => number = Math.random,
    private readonly clock: () => number = Date.now,
  ) {}

  async startGame(input: StartGameBody): Promise<StartGameReply> {
    const bot = this.registry.resolve(input.bot);
    const synthetic = input.synthetic ?? false;
    const player = input.player?.trim() || null;
    if (synthetic && !isSyntheticPlayerName(player)) {
      throw new DomainError(
        'INVALID_SYNTHETIC_PLAYER',
        `a synthetic player must be named one of ${SYNTHETIC_PLAYER_NAMES.join(', ')} (got ${player === null ? 'no name' : `"${player}"`})`,
      );
    }
    const gameId = randomUUID();
    const gambit = drawGambit(this.random);
    const { alias, version } = this.registry.assign(bot.model, this.random);
    const record: GameRecord = {
      id: gameId,
      bot: bot.model,
      gambit,
      alias,
      version,
      player,
      synthetic,
      playerScore: 0,
      botScore: 0,
      roundsPlayed: 0,
      finished: false,
      winner: null,
      createdAt: this.clock(),
      finishedAt: null,
    };
    await this.writer.createGame(record);
    const values = roundValues(gameId, 1);
    this.remember({ record, state: newGame(gameId, gambit), nextValues: values, past: [] });
    this.metrics.gamesStarted.inc({ bot: bot.model, alias: alias ?? 'none', version: version ?? 'none' });
    return {
      gameId,
      bot: bot.model,
      displayName: bot.displayName,
      round: 1,
      values,
      playerScore: 0,
      botScore: 0,
      playerHp: hp(0),
      botHp: hp(0),
    };
  }

  async getGame(gameId: string): Promise<GameReply> {
    const { game, inputs } = await this.read(gameId);
    const { record, state } = game;
    const next = state.finished ? null : state.rounds.length + 1;
    return {
      gameId,
      bot: record.bot,
      displayName: this.registry.find(record.bot)?.displayName ?? record.bot,
      player: record.player,
      synthetic: record.synthetic,
      round: next,
      values: next === null ? null : roundValues(gameId, next),
      playerScore: state.playerScore,
      botScore: state.botScore,
      playerHp: hp(state.botScore),
      botHp: hp(state.playerScore),
      finished: state.finished,
      winner: state.winner,
      rounds: state.rounds.map((r, i) => ({ ...r, ...gains(r), input: inputs[i]! })),
      createdAt: new Date(record.createdAt).toISOString(),
      ...(state.finished ? { gambit: record.gambit, alias: record.alias, version: record.version } : {}),
    };
  }

  async playMove(
    gameId: string,
    round: number,
    readMove: () => Move,
    input: InputMethod = 'click',
  ): Promise<MoveReply> {
    const started = performance.now();
    let game = await this.load(gameId, false);
    // a later round than the cache expects: another replica may have played the rounds between
    if (!game.state.finished && round > game.state.rounds.length + 1) game = await this.load(gameId, true);
    const { record, state } = game;

    if (round <= state.rounds.length) return this.outcome(game, round); // an idempotent retry
    if (state.finished) throw finishedError(gameId, state.winner);
    const expected = state.rounds.length + 1;
    if (round !== expected) throw outOfOrderError(gameId, expected, round);

    // the bot commits to its move from earlier rounds only ...
    const values = game.nextValues ?? roundValues(gameId, round);
    let playing: Probabilities | null = null;
    let byVersion: { version: string; aliases: PredictionRecord['aliases']; probabilities: Probabilities }[] =
      [];
    let fallbackReason: string | null = null;
    let playingSet: FeatureSet | null = null;
    if (round > OPENING_ROUNDS) {
      const computed = new Map<string, Float32Array>();
      const readers = (game.readers ??= new Map());
      const featuresOf = (set: FeatureSet): Float32Array => {
        const known = computed.get(set.name);
        if (known) return known;
        let reader = readers.get(set.name);
        if (!reader) readers.set(set.name, (reader = set.reader()));
        const x = reader.features(state.rounds, round, values);
        computed.set(set.name, x);
        return x;
      };
      const p = await this.registry.predict(record.bot, featuresOf, record.version);
      playing = p.playing;
      byVersion = p.byVersion;
      fallbackReason = p.fallbackReason;
      playingSet = p.playingFeatureSet;
    }
    // the playing version's earlier predictions, read back from the database only when the sampled
    // rule needs them and the game was loaded afresh (after a restart, or evicted from the cache)
    const past =
      playingSet?.decision === 'sampled'
        ? (game.past ??= record.version ? await this.store.getPredictions(gameId, record.version) : [])
        : (game.past ?? []);
    // the playing version's feature set names its decision rule (v1 greedy, v2 sampled); with no
    // version, the uniform fallback is played greedily as before
    const decision = botMove(state, round, values, () => playing, {
      ...(playingSet ? { featureSet: playingSet } : {}),
      random: this.random,
      pastPredictions: past,
    });

    // ... and only then is the player's move read
    const move = readMove();
    const after = playRound(state, round, move, decision.move);
    const played = after.rounds[after.rounds.length - 1]!;
    const predictions: PredictionRecord[] = byVersion.map((p) => {
      const predicted = predictedMove(p.probabilities);
      return { ...p, predicted, correct: predicted === move };
    });

    try {
      await this.writer.recordMove({
        game: record,
        round: played,
        fallback: decision.fallback,
        input,
        predictions,
        finished: after.finished,
        winner: after.winner,
        at: this.clock(),
      });
    } catch (err) {
      if (!(err instanceof MoveConflictError)) throw err;
      // a concurrent request stored this round (or moved the game on) first: answer from the database
      this.live.delete(gameId);
      const fresh = await this.load(gameId, false);
      if (round <= fresh.state.rounds.length) return this.outcome(fresh, round);
      if (fresh.state.finished) throw finishedError(gameId, fresh.state.winner);
      throw outOfOrderError(gameId, fresh.state.rounds.length + 1, round);
    }

    const updated: LiveGame = {
      record: {
        ...record,
        playerScore: after.playerScore,
        botScore: after.botScore,
        roundsPlayed: round,
        finished: after.finished,
        winner: after.winner,
      },
      state: after,
      past: playing ? [...past, { round, probabilities: playing }] : past,
      ...(game.readers ? { readers: game.readers } : {}),
    };
    const response = this.outcome(updated, round);
    if (after.finished) this.live.delete(gameId);
    else this.remember({ ...updated, nextValues: response.nextValues! });

    const labels = { bot: record.bot, alias: record.alias ?? 'none', version: record.version ?? 'none' };
    this.metrics.moves.inc(labels);
    this.metrics.moveInputs.inc({ bot: record.bot, input });
    if (decision.fallback) {
      this.metrics.fallbacks.inc({ bot: record.bot, reason: fallbackReason ?? 'unusable_probabilities' });
    }
    for (const p of predictions) {
      for (const alias of p.aliases) {
        this.metrics.predictions.inc({ bot: record.bot, alias, version: p.version });
        if (p.correct) this.metrics.correctPredictions.inc({ bot: record.bot, alias, version: p.version });
      }
    }
    if (after.finished) this.metrics.gamesFinished.inc({ ...labels, outcome: after.winner ?? 'tie' });
    this.metrics.moveDuration.observe({ bot: record.bot }, (performance.now() - started) / 1000);
    if (after.finished) {
      this.log.debug(
        { gameId, bot: record.bot, winner: after.winner, version: record.version },
        'game finished',
      );
    }
    return response;
  }

  /** The stored result of `round` as a move response. */
  private outcome(game: LiveGame, round: number): MoveReply {
    const { record, state } = game;
    const r = state.rounds[round - 1]!;
    const isLast = round === state.rounds.length;
    const finished = state.finished && isLast;
    const next = finished ? null : round + 1;
    return {
      gameId: record.id,
      round,
      playerMove: r.playerMove,
      botMove: r.botMove,
      result: r.result,
      ...gains(r),
      playerScore: r.playerScore,
      botScore: r.botScore,
      playerHp: hp(r.botScore),
      botHp: hp(r.playerScore),
      nextRound: next,
      nextValues: next === null ? null : roundValues(record.id, next),
      finished,
      winner: finished ? state.winner : null,
      ...(finished ? { alias: record.alias, version: record.version } : {}),
    };
  }

  private async load(gameId: string, fresh: boolean): Promise<LiveGame> {
    const cached = fresh ? undefined : this.live.get(gameId);
    if (cached) return cached;
    return (await this.read(gameId)).game;
  }

  /** The game as stored, and how the move of each of its rounds was entered. */
  private async read(gameId: string): Promise<{ game: LiveGame; inputs: InputMethod[] }> {
    let record = await this.store.getGame(gameId);
    if (!record) throw new DomainError('GAME_NOT_FOUND', `no game with id "${gameId}"`);
    let rounds = await this.store.getRounds(gameId);
    // two reads: a move stored between them (on another replica) shows as one round more than the
    // game row counts; read again until both agree (rounds only grow, so this ends)
    while (rounds.length !== record.roundsPlayed) {
      record = (await this.store.getGame(gameId))!;
      rounds = await this.store.getRounds(gameId);
    }
    const state: GameState = {
      ...newGame(gameId, record.gambit),
      rounds: rounds.map(({ id: _id, fallback: _f, input: _i, createdAt: _c, ...r }) => r),
      playerScore: record.playerScore,
      botScore: record.botScore,
      finished: record.finished,
      winner: record.winner,
    };
    const game: LiveGame = { record, state };
    if (!record.finished) this.remember(game);
    return { game, inputs: rounds.map((r) => r.input) };
  }

  private remember(game: LiveGame): void {
    this.live.delete(game.record.id);
    this.live.set(game.record.id, game);
    if (this.live.size > CACHE_LIMIT) this.live.delete(this.live.keys().next().value!);
  }
}
