// `rpsq simulate`: synthetic players (core's Ace … Hal) play whole games against the bots through
// the game server's public API, so their games are recorded and scored like any other (marked
// synthetic). Run by hand, by the benchmarks, and by the fill-in CronJob when humans are scarce.
import { parseArgs } from 'node:util';
import {
  SYNTHETIC_PLAYER_NAMES,
  createSyntheticPlayer,
  seededRandom,
  type MoveBody,
  type MoveReply,
  type PlayedRound,
  type StartGameBody,
  type StartGameReply,
  type SyntheticPlayerName,
  type VersionStatsReply,
  type Winner,
} from '../core/index.ts';

export interface SimulateOptions {
  /** game server base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  games: number;
  bots: string[];
  players?: SyntheticPlayerName[];
  seed?: number;
  /** games played at once */
  concurrency?: number;
  /** safety bound on rounds per game */
  maxRounds?: number;
}

export interface SimulateSummary {
  games: number;
  rounds: number;
  byBot: Record<string, { games: number; botWins: number }>;
}

async function post<T>(url: string, body: unknown): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    // the public routes are rate-limited: back off and retry rather than lose the game
    if (res.status === 429 && attempt < 20) {
      await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
      continue;
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${url} → ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }
}

async function playOne(
  options: SimulateOptions,
  bot: string,
  playerName: SyntheticPlayerName,
  random: () => number,
): Promise<{ rounds: number; winner: Winner | null }> {
  const player = createSyntheticPlayer(playerName, random);
  const body: StartGameBody = { bot, player: playerName, synthetic: true };
  const start = await post<StartGameReply>(`${options.url}/api/v1/games`, body);
  const previous: PlayedRound[] = [];
  let round = start.round;
  let values = start.values;
  let scores = { playerScore: 0, botScore: 0 };
  for (let i = 0; i < (options.maxRounds ?? 200); i++) {
    const move = player.next({ round, values, previous, ...scores });
    const moveBody: MoveBody = { round, move };
    const reply = await post<MoveReply>(`${options.url}/api/v1/games/${start.gameId}/moves`, moveBody);
    previous.push({
      round,
      playerMove: reply.playerMove,
      botMove: reply.botMove,
      values,
      result: reply.result,
      playerScore: reply.playerScore,
      botScore: reply.botScore,
    });
    scores = { playerScore: reply.playerScore, botScore: reply.botScore };
    if (reply.finished || reply.nextRound === null || reply.nextValues === null) {
      return { rounds: previous.length, winner: reply.winner };
    }
    round = reply.nextRound;
    values = reply.nextValues;
  }
  throw new Error(`game ${start.gameId} did not end within ${options.maxRounds ?? 200} rounds`);
}

/** Plays `games` games, spreading them over the bots and the synthetic players round-robin. */
export async function simulate(options: SimulateOptions): Promise<SimulateSummary> {
  if (options.bots.length === 0) throw new Error('no bots to play against');
  const players = options.players?.length ? options.players : [...SYNTHETIC_PLAYER_NAMES];
  const random = seededRandom(options.seed ?? Date.now() % 2 ** 31);
  const summary: SimulateSummary = { games: 0, rounds: 0, byBot: {} };
  let next = 0;
  const worker = async () => {
    while (next < options.games) {
      const i = next++;
      const bot = options.bots[i % options.bots.length]!;
      const player = players[Math.floor(i / options.bots.length) % players.length]!;
      const { rounds, winner } = await playOne(options, bot, player, random);
      const stats = (summary.byBot[bot] ??= { games: 0, botWins: 0 });
      stats.games++;
      if (winner === 'bot') stats.botWins++;
      summary.games++;
      summary.rounds += rounds;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return summary;
}

/** Human (non-synthetic) finished games of a bot since a time, whichever version played them, from the internal stats endpoint. */
export async function humanGamesSince(
  url: string,
  token: string,
  model: string,
  since: Date,
): Promise<number> {
  const res = await fetch(
    `${url}/api/v1/stats/versions?model=${encodeURIComponent(model)}&since=${since.toISOString()}&excludeSynthetic=true`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  if (!res.ok) throw new Error(`stats for ${model} → ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as VersionStatsReply;
  return body.finishedGames;
}

const help = `usage: rpsq simulate [options]
  --url URL                  game server (default $RPS_GAME_URL or http://127.0.0.1:8080)
  --games N                  games to play (default $RPS_SIMULATE_GAMES or 24)
  --bots a,b                 bots by model name (default brian,forrest,logan)
  --players Ace,Bob          synthetic players (default all eight: ${SYNTHETIC_PLAYER_NAMES.join(', ')})
  --seed N                   seed of the players' random choices
  --concurrency N            games at once (default 4)
  --min-human-games N        play only when fewer than N human games finished in the window
                             (default $RPS_MIN_HUMAN_GAMES; unset: always play)
  --window-minutes M         the window for --min-human-games (default $RPS_WINDOW_MINUTES or 60);
                             needs $RPS_INTERNAL_TOKEN`;

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        games: { type: 'string' },
        bots: { type: 'string' },
        players: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        'min-human-games': { type: 'string' },
        'window-minutes': { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    console.error(`simulate: ${(err as Error).message}\n${help}`);
    return 2;
  }
  if (args.help) {
    console.log(help);
    return 0;
  }
  const int = (name: string, value: string | undefined, def: number, min: number, max: number): number => {
    const n = value === undefined ? def : Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in [${min}, ${max}], got "${value}"`);
    return n;
  };
  // As a CronJob's PID 1, Node ignores SIGTERM unless it handles it: stop at once (games already
  // finished are recorded by the game server; an unfinished one is abandoned like a closed tab).
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`simulate: stopped by ${signal}`);
    process.exit(signal === 'SIGTERM' ? 143 : 130);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const url = (args.url ?? process.env.RPS_GAME_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
    const bots = (args.bots ?? 'brian,forrest,logan').split(',').filter(Boolean);
    if (bots.length === 0 || bots.some((b) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(b)))
      throw new Error(`--bots must name models (lowercase, comma-separated), got "${args.bots}"`);
    const players = (args.players ?? '').split(',').filter(Boolean);
    const unknown = players.filter((p) => !SYNTHETIC_PLAYER_NAMES.includes(p as SyntheticPlayerName));
    if (unknown.length)
      throw new Error(`unknown player ${unknown.join(', ')}; allowed: ${SYNTHETIC_PLAYER_NAMES.join(', ')}`);
    // flags win; the CronJob sets the same knobs as environment variables
    const env = (name: string) => process.env[name] || undefined;
    const games = int('games', args.games ?? env('RPS_SIMULATE_GAMES'), 24, 1, 100_000);
    const minHuman = args['min-human-games'] ?? env('RPS_MIN_HUMAN_GAMES');
    if (minHuman !== undefined) {
      const min = int('min-human-games', minHuman, 0, 0, 1_000_000);
      const windowMinutes = int(
        'window-minutes',
        args['window-minutes'] ?? env('RPS_WINDOW_MINUTES'),
        60,
        1,
        7 * 24 * 60,
      );
      const token = process.env.RPS_INTERNAL_TOKEN;
      if (!token)
        throw new Error('--min-human-games needs RPS_INTERNAL_TOKEN (the stats endpoint is internal)');
      const since = new Date(Date.now() - windowMinutes * 60_000);
      let human = 0;
      for (const bot of bots) human += await humanGamesSince(url, token, bot, since);
      if (human >= min) {
        console.log(JSON.stringify({ skipped: true, humanGames: human, minHumanGames: min, windowMinutes }));
        return 0;
      }
    }
    const summary = await simulate({
      url,
      games,
      bots,
      players: players as SyntheticPlayerName[],
      seed: args.seed === undefined ? undefined : int('seed', args.seed, 0, 0, 2 ** 31 - 1),
      concurrency: int('concurrency', args.concurrency, 4, 1, 256),
    });
    console.log(JSON.stringify(summary));
    return 0;
  } catch (err) {
    console.error(`simulate: ${(err as Error).message}`);
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
