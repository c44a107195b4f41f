import { Type, type Static } from '@sinclair/typebox';
import { VersionStatsSchema, assertValid, type VersionStats } from '../core/index.ts';
import type { ServedReport } from './decisions/serving.ts';

// The parts of the game server's answers the operator reads; validated on arrival.
const AliasReportSchema = Type.Object({
  version: Type.String(),
  sha256: Type.String(),
  loaded: Type.Boolean(),
});
const ModelsReplySchema = Type.Object({
  models: Type.Array(
    Type.Object({
      model: Type.String(),
      manifest: Type.Union([Type.Literal('present'), Type.Literal('absent')]),
      trafficSplit: Type.Object({ Production: Type.Number(), B: Type.Number() }),
      aliases: Type.Record(Type.String(), AliasReportSchema),
      lastError: Type.Optional(Type.String()),
    }),
  ),
});
const VersionStatsReplySchema = Type.Object({
  model: Type.String(),
  since: Type.String(),
  versions: Type.Array(VersionStatsSchema),
});
type VersionStatsReply = Static<typeof VersionStatsReplySchema>;

import type { DriftObservation } from './decisions/drift-trigger.ts';

export class GameServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GameServerError';
  }
}

const EXPORT_PAGE = 100_000;

/**
 * The operator's one client of the game server: what it serves (GET /api/v1/models, cached
 * briefly so that many models reconciling at once ask once), per-version stats and round counts
 * (internal endpoints, bearer token).
 */
export class GameServerClient {
  private cached: { at: number; models: Promise<ServedReport[]> } | undefined;

  constructor(
    private readonly opts: { baseUrl: string; token: string | null; cacheMs?: number; timeoutMs?: number },
  ) {}

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  private async get(path: string, internal: boolean): Promise<Response> {
    const url = `${this.opts.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (internal && this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
    } catch (err) {
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (err as Error).message;
      throw new GameServerError(`GET ${url} failed: ${cause}`);
    }
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, 300);
      throw new GameServerError(`GET ${url} answered ${res.status}: ${body}`);
    }
    return res;
  }

  /** What the game server serves per bot; answers from the last 1 s are reused. */
  models(): Promise<ServedReport[]> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < (this.opts.cacheMs ?? 1000)) return this.cached.models;
    const models = (async () => {
      const res = await this.get('/api/v1/models', false);
      const body = assertValid(ModelsReplySchema, await res.json(), 'GET /api/v1/models reply');
      return body.models;
    })();
    this.cached = { at: now, models };
    models.catch(() => {
      if (this.cached?.models === models) this.cached = undefined;
    });
    return models;
  }

  /** Per-version results and prediction accuracy of the model's games finished since `since`. */
  async versionStats(
    model: string,
    since: string,
    includeSyntheticPlayers: boolean,
  ): Promise<VersionStats[]> {
    const q = new URLSearchParams({ model, since, excludeSynthetic: String(!includeSyntheticPlayers) });
    const res = await this.get(`/api/v1/stats/versions?${q}`, true);
    const body: VersionStatsReply = assertValid(
      VersionStatsReplySchema,
      await res.json(),
      'GET /api/v1/stats/versions reply',
    );
    return body.versions.filter((v) => v.model === model);
  }

  /** The drift check of one bot (GET /api/v1/stats/drift), the fields the drift trigger reads. */
  async drift(model: string): Promise<DriftObservation> {
    const res = await this.get(`/api/v1/stats/drift?model=${encodeURIComponent(model)}`, true);
    const body = (await res.json()) as Partial<DriftObservation>;
    const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);
    const observation: DriftObservation = {
      version: typeof body.version === 'string' ? body.version : null,
      drifted: body.drifted === true,
      insufficientData: body.insufficientData === true,
      score: number(body.score),
      threshold: number(body.threshold),
      rows: number(body.rows),
      ...(typeof body.referenceRows === 'number' &&
      Number.isInteger(body.referenceRows) &&
      body.referenceRows > 0
        ? { referenceRows: body.referenceRows }
        : {}),
    };
    if (Number.isNaN(observation.score) || Number.isNaN(observation.rows)) {
      throw new GameServerError(
        `GET /api/v1/stats/drift?model=${model}: reply lacks a numeric score or rows`,
      );
    }
    return observation;
  }

  /** Rounds stored after event id `since`, counted up to `atLeast` (enough for a gate). */
  async countEvents(since: number, atLeast: number): Promise<number> {
    let count = 0;
    let cursor = since;
    while (count < atLeast) {
      const limit = Math.min(EXPORT_PAGE, atLeast - count);
      const res = await this.get(`/api/v1/export/events?since=${cursor}&limit=${limit}`, true);
      const text = await res.text();
      const lines = text.split('\n').filter((l) => l.trim() !== '').length;
      count += lines;
      const next = Number(res.headers.get('x-next-since') ?? cursor);
      if (lines < limit || !Number.isFinite(next) || next <= cursor) break;
      cursor = next;
    }
    return count;
  }
}
