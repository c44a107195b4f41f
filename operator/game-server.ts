import { Type } from '@sinclair/typebox';
import {
  BotDriftSchema,
  MAX_EXPORT_LIMIT,
  VersionStatsReplySchema,
  assertValid,
  type Alias,
  type VersionStats,
} from '../core/index.ts';
import type { DriftObservation } from './decisions/drift-trigger.ts';
import { ServedReportSchema, type ServedReport } from './decisions/serving.ts';

// The parts of the game server's replies the operator reads, picked from their schemas in core and
// validated on arrival.
const ModelsPart = Type.Object({ models: Type.Array(ServedReportSchema) });
const VersionStatsPart = Type.Pick(VersionStatsReplySchema, ['model', 'since', 'versions']);
const DriftPart = Type.Composite([
  Type.Pick(BotDriftSchema, ['version', 'drifted', 'insufficientData', 'score', 'threshold', 'rows']),
  Type.Partial(Type.Pick(BotDriftSchema, ['referenceRows'])),
]);

export class GameServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GameServerError';
  }
}

/**
 * Several replicas' reports as one, so that "served" means served by every ready replica: a model
 * counts as read only when every replica has read its manifest, an alias as loaded only when every
 * replica has loaded the same version with the same sha256; a replica that serves another version or
 * split is reported as such (the serving check then names the difference), with which replica it was.
 */
export function mergeReplicaReports(
  replicas: readonly { endpoint: string; models: ServedReport[] }[],
): ServedReport[] {
  if (replicas.length === 0) return [];
  const names = new Set(replicas.flatMap((r) => r.models.map((m) => m.model)));
  const merged: ServedReport[] = [];
  for (const model of names) {
    const reports = replicas.map((r) => ({
      endpoint: r.endpoint,
      report: r.models.find((m) => m.model === model),
    }));
    const missing = reports.find((r) => !r.report);
    // compared with a replica that has read the manifest, so that the ones that lag are named
    const base = (reports.find((r) => r.report?.manifest === 'present') ?? reports.find((r) => r.report))!
      .report!;
    const out: ServedReport = { ...base, aliases: { ...base.aliases } };
    const errors: string[] = base.lastError ? [base.lastError] : [];
    if (missing) {
      out.manifest = 'absent';
      errors.push(`replica ${missing.endpoint} does not list ${model}`);
    }
    for (const { endpoint, report } of reports) {
      if (report && report.manifest !== 'present') {
        out.manifest = 'absent';
        errors.push(`replica ${endpoint} has not read the manifest`);
      }
    }
    for (const { endpoint, report } of reports) {
      if (!report || report === base) continue;
      if (report.lastError) errors.push(`${endpoint}: ${report.lastError}`);
      const split = report.trafficSplit;
      if (split.Production !== out.trafficSplit.Production || split.B !== out.trafficSplit.B) {
        out.trafficSplit = split; // differs from the others: at most one of them matches the manifest
        errors.push(`replica ${endpoint} splits ${split.Production}/${split.B}`);
      }
      for (const alias of new Set([
        ...Object.keys(out.aliases),
        ...Object.keys(report.aliases),
      ]) as Set<Alias>) {
        const mine = out.aliases[alias];
        const theirs = report.aliases[alias];
        if (mine && theirs && mine.version === theirs.version && mine.sha256 === theirs.sha256) {
          out.aliases[alias] = { ...mine, loaded: mine.loaded && theirs.loaded };
        } else {
          // serves something else (or nothing) there: report the differing one, never loaded
          const other = theirs ?? mine!;
          out.aliases[alias] = { ...other, loaded: false };
          errors.push(`replica ${endpoint} serves ${theirs?.version ?? 'nothing'} as ${alias}`);
        }
      }
    }
    if (errors.length) out.lastError = errors.join('; ');
    merged.push(out);
  }
  return merged;
}

/**
 * The operator's one client of the game server: what it serves (GET /api/v1/models, cached
 * briefly so that many models reconciling at once ask once), per-version stats and round counts
 * (internal endpoints, bearer token). With `replicas` (the ready endpoints behind the game
 * Service), /api/v1/models is asked of every ready replica and the answers merged
 * (mergeReplicaReports); the other endpoints read the shared database, so any replica answers.
 */
export class GameServerClient {
  private cached: { at: number; models: Promise<ServedReport[]> } | undefined;

  constructor(
    private readonly opts: {
      baseUrl: string;
      token: string | null;
      cacheMs?: number;
      timeoutMs?: number;
      /** base URLs of the ready replicas; null when the game server is not behind a Service (one process) */
      replicas?: () => Promise<string[] | null>;
    },
  ) {}

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  private async get(path: string, internal: boolean, baseUrl = this.opts.baseUrl): Promise<Response> {
    const url = `${baseUrl}${path}`;
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
    const ask = async (baseUrl: string) => {
      const res = await this.get('/api/v1/models', false, baseUrl);
      return assertValid(ModelsPart, await res.json(), `GET ${baseUrl}/api/v1/models reply`).models;
    };
    const models = (async () => {
      const replicas = this.opts.replicas ? await this.opts.replicas() : null;
      if (replicas === null) return ask(this.opts.baseUrl);
      if (replicas.length === 0) {
        throw new GameServerError(`no ready game server replica behind ${this.opts.baseUrl}`);
      }
      const answers = await Promise.all(
        replicas.map(async (endpoint) => ({ endpoint, models: await ask(endpoint) })),
      );
      return mergeReplicaReports(answers);
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
    const body = assertValid(VersionStatsPart, await res.json(), 'GET /api/v1/stats/versions reply');
    return body.versions.filter((v) => v.model === model);
  }

  /** The drift check of one bot (GET /api/v1/stats/drift), the fields the drift trigger reads. */
  async drift(model: string): Promise<DriftObservation> {
    const path = `/api/v1/stats/drift?model=${encodeURIComponent(model)}`;
    const res = await this.get(path, true);
    const body = assertValid(DriftPart, await res.json(), `GET ${path} reply`);
    return {
      version: body.version,
      drifted: body.drifted,
      insufficientData: body.insufficientData,
      score: body.score,
      threshold: body.threshold,
      rows: body.rows,
      ...(body.referenceRows ? { referenceRows: body.referenceRows } : {}),
    };
  }

  /** Rounds stored after event id `since`, counted up to `atLeast` (enough for a gate). */
  async countEvents(since: number, atLeast: number): Promise<number> {
    let count = 0;
    let cursor = since;
    while (count < atLeast) {
      const limit = Math.min(MAX_EXPORT_LIMIT, atLeast - count);
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
