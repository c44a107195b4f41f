import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ExportedRoundSchema,
  INPUT_METHODS,
  coldStartCorpus,
  validate,
  type ExportedRound,
  type InputMethod,
  type PlayedRound,
  type SimulatedGame,
} from '../core/index.ts';
import { sha256Hex } from '../lib/artifact-store.ts';
import { backoffDelay } from '../lib/backoff.ts';

/** One game of the dataset, with the exported events it came from (none for cold-start games). */
export interface DatasetGame {
  gameId: string;
  source: 'export' | 'cold-start';
  synthetic: boolean;
  player: string | null;
  rounds: PlayedRound[];
  events: ExportedRound[];
}

export interface DatasetOptions {
  /** keep the newest this many events (rounds) */
  maxEvents: number;
  /** top up with cold-start games while fewer events remain */
  minTotalEvents: number;
  /** keep every n-th game of synthetic players (1 keeps all) */
  syntheticStride: number;
  /**
   * keep only games whose every move was entered by one of these (default all); a whole game or
   * none, as the features read each game's earlier rounds
   */
  inputs?: readonly InputMethod[];
  /** size of the cold-start corpus the top-up draws from */
  bootstrapGames: number;
  seed: number;
}

export interface DatasetSummary {
  /** rounds used for training, validation and test */
  events: number;
  games: number;
  humanEvents: number;
  syntheticEvents: number;
  coldStartEvents: number;
  humanGames: number;
  syntheticGames: number;
  coldStartGames: number;
  /** exported events read from the source, before down-sampling and the maxEvents window */
  exportedEventsRead: number;
  /** exported events left out: incomplete game prefixes, down-sampled synthetic games, older than the window */
  exportedEventsDropped: number;
  from: string | null;
  to: string | null;
  firstEventId: number | null;
  lastEventId: number | null;
  syntheticStride: number;
  maxEvents: number;
  minTotalEvents: number;
  bootstrapGames: number;
  coldStartSeed: number;
  inputs: InputMethod[];
}

export interface Dataset {
  /** oldest first: the cold-start games (if any), then the exported games by their first event */
  games: DatasetGame[];
  summary: DatasetSummary;
}

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

function toPlayedRound(e: ExportedRound): PlayedRound {
  return {
    round: e.round,
    playerMove: e.playerMove,
    botMove: e.botMove,
    values: e.values,
    result: e.result,
    playerScore: e.playerScore,
    botScore: e.botScore,
  };
}

/** Validates NDJSON export lines; `where` names the source in errors. */
export function parseEvents(text: string, where: string): ExportedRound[] {
  const events: ExportedRound[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new DatasetError(`${where} line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
    const checked = validate<ExportedRound>(ExportedRoundSchema, value);
    if (!checked.ok)
      throw new DatasetError(`${where} line ${i + 1} is not an exported round: ${checked.errors.join('; ')}`);
    events.push(checked.value);
  }
  return events;
}

export interface HttpSourceOptions {
  baseUrl: string;
  token?: string | undefined;
  pageSize?: number;
  /** attempts per page while the game server is unreachable or answers 5xx (default 5) */
  retries?: number;
  backoffMs?: number;
}

/** Reads every exported round from the game server, page by page with the `since` cursor. */
export async function readEventsFromServer(options: HttpSourceOptions): Promise<ExportedRound[]> {
  const pageSize = options.pageSize ?? 10_000;
  const retries = options.retries ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  const events: ExportedRound[] = [];
  let since = 0;
  for (;;) {
    const url = new URL('/api/v1/export/events', options.baseUrl);
    url.searchParams.set('since', String(since));
    url.searchParams.set('limit', String(pageSize));
    let res: Response | undefined;
    let lastError = '';
    for (let attempt = 0; attempt < retries; attempt++) {
      try {
        res = await fetch(url, {
          headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        });
        if (res.status < 500) break;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
        lastError = cause?.code ?? cause?.message ?? (err as Error).message;
      }
      res = undefined;
      await new Promise((r) => setTimeout(r, backoffDelay(attempt + 1, backoffMs)));
    }
    if (!res)
      throw new DatasetError(
        `game server export ${url.href} unavailable after ${retries} attempts (${lastError})`,
      );
    if (res.status === 401 || res.status === 403) {
      throw new DatasetError(
        `game server export ${url.href} refused the data token (HTTP ${res.status}); check RPS_DATA_TOKEN`,
      );
    }
    if (!res.ok)
      throw new DatasetError(
        `game server export ${url.href} answered HTTP ${res.status}: ${await res.text()}`,
      );
    const page = parseEvents(await res.text(), url.href).filter((e) => e.id > since);
    if (page.length === 0) break;
    events.push(...page);
    const next = Number(res.headers.get('x-next-since') ?? page[page.length - 1]!.id);
    if (!(next > since)) break;
    since = next;
  }
  return events;
}

/**
 * Reads a local source for development: NDJSON export lines (`.ndjson`, `.jsonl`, optionally
 * `.gz`, e.g. a version's dataset.ndjson.gz) or the game server's SQLite database (read only,
 * through the server's own export query).
 */
export async function readEventsFromFile(path: string): Promise<ExportedRound[]> {
  if (/\.(db|sqlite|sqlite3)$/i.test(path)) {
    const { default: Database } = await import('better-sqlite3');
    const { GameStore } = await import('../app/db/game-store.ts');
    const { MIGRATIONS } = await import('../app/db/migrations.ts');
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      // read only: an older file cannot be migrated here, and the export query needs every column
      const schema = db.pragma('user_version', { simple: true }) as number;
      const latest = MIGRATIONS.at(-1)!.version;
      if (schema !== latest) {
        throw new DatasetError(
          `${path} has schema version ${schema}, this trainer reads version ${latest}: ` +
            'start this version of the game server on it once (it migrates at start), or export it to NDJSON',
        );
      }
      const store = new GameStore(db);
      const events: ExportedRound[] = [];
      let after = 0;
      for (;;) {
        const until = store.exportEnd(after, 10_000);
        if (until === null) break;
        const page = store.exportPage(after, until, 10_000);
        if (!page.length) break;
        events.push(...page);
        after = page[page.length - 1]!.id;
      }
      return events;
    } finally {
      db.close();
    }
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DatasetError(`cannot read the data file ${path}: ${(err as Error).message}`);
  }
  const text = path.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  return parseEvents(text, path);
}

/**
 * Groups events into games (by id order) and keeps each game's rounds 1..n without gaps: the
 * features of a round need every earlier round of its game.
 */
export function groupGames(events: readonly ExportedRound[]): { games: DatasetGame[]; dropped: number } {
  const byGame = new Map<string, ExportedRound[]>();
  for (const e of [...events].sort((a, b) => a.id - b.id)) {
    let list = byGame.get(e.gameId);
    if (!list) byGame.set(e.gameId, (list = []));
    list.push(e);
  }
  const games: DatasetGame[] = [];
  let dropped = 0;
  for (const [gameId, list] of byGame) {
    const byRound = [...list].sort((a, b) => a.round - b.round || a.id - b.id);
    const kept: ExportedRound[] = [];
    for (const e of byRound) {
      if (e.round === kept.length + 1) kept.push(e);
      else if (e.round > kept.length + 1) break;
    }
    dropped += list.length - kept.length;
    if (!kept.length) continue;
    games.push({
      gameId,
      source: 'export',
      synthetic: kept[0]!.synthetic,
      player: kept[0]!.player,
      rounds: kept.map(toPlayedRound),
      events: kept,
    });
  }
  // chronological by each game's first round
  games.sort((a, b) => a.events[0]!.id - b.events[0]!.id);
  return { games, dropped };
}

/** A cold-start corpus game as a dataset game. */
export function coldStartDatasetGame(sim: SimulatedGame): DatasetGame {
  return {
    gameId: sim.gameId,
    source: 'cold-start',
    synthetic: true,
    player: sim.player,
    rounds: sim.rounds,
    events: [],
  };
}

/**
 * From exported events to the training games: synthetic-player games down-sampled (every
 * `syntheticStride`-th, counted from the newest), the newest `maxEvents` rounds kept (the oldest
 * game kept may be cut to a prefix of its rounds), then, while fewer than `minTotalEvents`
 * remain, topped up with seeded cold-start games, which count as older than every exported game.
 */
export function buildDataset(events: readonly ExportedRound[], options: DatasetOptions): Dataset {
  const grouped = groupGames(events);
  const inputs = new Set(options.inputs ?? INPUT_METHODS);
  const newestFirst = grouped.games
    .filter((g) => g.events.every((e) => inputs.has(e.input ?? 'click')))
    .reverse();
  let syntheticSeen = 0;
  const sampled = newestFirst.filter((g) => !g.synthetic || syntheticSeen++ % options.syntheticStride === 0);

  const window: DatasetGame[] = [];
  let total = 0;
  for (const g of sampled) {
    if (total >= options.maxEvents) break;
    const room = options.maxEvents - total;
    const game =
      g.rounds.length <= room
        ? g
        : { ...g, rounds: g.rounds.slice(0, room), events: g.events.slice(0, room) };
    window.push(game);
    total += game.rounds.length;
  }
  window.reverse();
  const exported = total;

  const coldStart: DatasetGame[] = [];
  if (total < options.minTotalEvents && options.bootstrapGames > 0) {
    for (const sim of coldStartCorpus({ games: options.bootstrapGames, seed: options.seed })) {
      if (total >= options.minTotalEvents) break;
      coldStart.push(coldStartDatasetGame(sim));
      total += sim.rounds.length;
    }
  }

  const games = [...coldStart, ...window];
  const used = window.flatMap((g) => g.events);
  const count = (list: DatasetGame[], pred: (g: DatasetGame) => boolean) => {
    const picked = list.filter(pred);
    return { games: picked.length, events: picked.reduce((n, g) => n + g.rounds.length, 0) };
  };
  const human = count(window, (g) => !g.synthetic);
  const synthetic = count(window, (g) => g.synthetic);
  const cold = count(coldStart, () => true);
  const times = used.map((e) => e.createdAt).sort();
  const ids = used.map((e) => e.id);
  return {
    games,
    summary: {
      events: total,
      games: games.length,
      humanEvents: human.events,
      syntheticEvents: synthetic.events,
      coldStartEvents: cold.events,
      humanGames: human.games,
      syntheticGames: synthetic.games,
      coldStartGames: cold.games,
      exportedEventsRead: events.length,
      exportedEventsDropped: events.length - exported,
      from: times[0] ?? null,
      to: times[times.length - 1] ?? null,
      firstEventId: ids.length ? ids.reduce((a, b) => Math.min(a, b)) : null,
      lastEventId: ids.length ? ids.reduce((a, b) => Math.max(a, b)) : null,
      syntheticStride: options.syntheticStride,
      maxEvents: options.maxEvents,
      minTotalEvents: options.minTotalEvents,
      bootstrapGames: options.bootstrapGames,
      coldStartSeed: options.seed,
      inputs: [...inputs],
    },
  };
}

/**
 * dataset.ndjson.gz: the exported events the version was trained on, in id order, one JSON line
 * each (the cold-start games are not in it: the seed and counts in metadata.json regenerate them).
 */
export function datasetFile(dataset: Dataset): { bytes: Buffer; sha256: string } {
  const lines = dataset.games
    .flatMap((g) => g.events)
    .sort((a, b) => a.id - b.id)
    .map((e) => JSON.stringify(e) + '\n')
    .join('');
  const bytes = gzipSync(Buffer.from(lines, 'utf8'), { level: 9 });
  return { bytes, sha256: sha256Hex(bytes) };
}
