import type { FastifyBaseLogger } from 'fastify';
import {
  FEATURE_COUNT,
  OPENING_ROUNDS,
  driftReport,
  featureBatch,
  type BotDrift,
  type FeatureBatch,
} from '../core/index.ts';
import type { DriftSample } from './db/records.ts';
import type { Store } from './db/store.ts';
import type { AppMetrics } from './metrics.ts';
import type { ModelRegistry } from './serving/model-registry.ts';

/** The models decide from round 4 on; the trainer's reference holds those rows, so the window does too. */
export const FIRST_MODEL_ROUND = OPENING_ROUNDS + 1;
/** a replica skips its sample when another replica stored one within this share of an interval */
const MIN_SAMPLE_GAP = 0.9;
const HISTORY_LIMIT = 240;

export interface DriftSettings {
  /** how many of a bot's latest rounds (from round 4 on) are compared */
  windowRounds: number;
  /** PSI from which a bot counts as drifted */
  threshold: number;
  /** fewer recent rows conclude nothing */
  minRows: number;
  /** a reference of fewer training rows concludes nothing */
  minReferenceRows: number;
  /** how often the background check runs */
  intervalMs: number;
}

export type { DriftSample } from './db/records.ts';

/**
 * The rows of a bot's latest `windowRounds` model rounds, newest games first, built with core's
 * `featureBatch` (so they are the rows the trainer computes); the oldest game included gives only
 * its latest rounds, so the window holds exactly `windowRounds` rows when there are enough.
 */
export async function recentBatch(
  store: Store,
  bot: string,
  windowRounds: number,
  excludeSynthetic: boolean,
): Promise<FeatureBatch> {
  const ids = await store.recentGameIds(bot, FIRST_MODEL_ROUND, windowRounds, excludeSynthetic);
  const parts: FeatureBatch[] = [];
  let rows = 0;
  for (const id of ids) {
    if (rows >= windowRounds) break;
    const part = featureBatch([await store.getRounds(id)], { fromRound: FIRST_MODEL_ROUND });
    parts.push(part);
    rows += part.rows;
  }
  const total = Math.min(rows, windowRounds);
  const x = new Float32Array(total * FEATURE_COUNT);
  const y = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    const take = Math.min(part.rows, total - at);
    const skip = part.rows - take;
    x.set(part.x.subarray(skip * FEATURE_COUNT), at * FEATURE_COUNT);
    y.set(part.y.subarray(skip), at);
    at += take;
  }
  return { x, y, rows: total };
}

function moveShares(batch: FeatureBatch): number[] {
  const counts = [0, 0, 0];
  for (const c of batch.y) counts[c]!++;
  return counts.map((c) => (batch.rows ? c / batch.rows : 0));
}

/**
 * Per bot: do the recent players still look like the rows its Production version was trained on?
 * Compares the latest rounds with the reference statistics in that version's metadata.json using
 * core's `driftReport` (population stability index), on request and in the background, and keeps
 * the `rps_drift_*` gauges and a history for the dashboard in the database (every replica's
 * background checks add to the one history; they all read the same rounds).
 */
export class DriftMonitor {
  private readonly latest = new Map<string, BotDrift>();
  private readonly lastVersion = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly registry: ModelRegistry,
    private readonly metrics: AppMetrics,
    readonly settings: DriftSettings,
    private readonly log: FastifyBaseLogger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Computes the drift of one bot now; with every player's rounds it also updates the gauges. */
  async check(model: string, excludeSynthetic = false): Promise<BotDrift> {
    const { version, reference } = await this.registry.productionReference(model);
    const batch = await recentBatch(this.store, model, this.settings.windowRounds, excludeSynthetic);
    let reply: BotDrift;
    if (!reference || batch.rows === 0) {
      // nothing to compare (no rows make no distribution): no conclusion, and no score
      reply = {
        model,
        version,
        drifted: false,
        insufficientData: true,
        score: 0,
        threshold: this.settings.threshold,
        statistic: 'psi',
        rows: batch.rows,
        referenceRows: reference?.rows ?? 0,
        moveDistribution: {
          reference: reference ? [...reference.moveShares] : [0, 0, 0],
          recent: moveShares(batch),
          psi: 0,
          chiSquare: 0,
          pValue: 1,
        },
        features: [],
        meanShift: [],
      };
    } else {
      const r = driftReport(reference, batch, {
        threshold: this.settings.threshold,
        minRows: this.settings.minRows,
        minReferenceRows: this.settings.minReferenceRows,
      });
      reply = {
        model,
        version,
        drifted: r.drifted,
        insufficientData: r.insufficientData,
        score: r.score,
        threshold: r.threshold,
        statistic: r.statistic,
        rows: r.rows,
        referenceRows: reference.rows,
        moveDistribution: {
          reference: r.moveDistribution.reference,
          recent: r.moveDistribution.recent,
          psi: r.moveDistribution.psi,
          chiSquare: r.moveDistribution.chiSquare,
          pValue: r.moveDistribution.pValue,
        },
        features: r.features.map((f) => ({ name: f.name, psi: f.psi })),
        meanShift: r.meanShift.map((m) => ({ name: m.name, z: m.z })),
      };
    }
    if (!excludeSynthetic) this.publish(reply);
    return reply;
  }

  /** Every bot's drift, computed now. */
  async checkAll(excludeSynthetic = false): Promise<BotDrift[]> {
    const replies: BotDrift[] = [];
    for (const bot of this.registry.list()) replies.push(await this.check(bot.model, excludeSynthetic));
    return replies;
  }

  /** The last computed drift of a bot (every player's rounds), computed now if there is none. */
  async current(model: string): Promise<BotDrift> {
    return this.latest.get(model) ?? this.check(model);
  }

  /** Recent background results of a bot, oldest first. */
  samples(model: string): Promise<DriftSample[]> {
    return this.store.driftSamples(model, HISTORY_LIMIT);
  }

  private publish(reply: BotDrift): void {
    const bot = reply.model;
    this.latest.set(bot, reply);
    const previous = this.lastVersion.get(bot);
    if (previous !== undefined) {
      this.metrics.driftScore.remove({ bot, version: previous });
      this.lastVersion.delete(bot);
    }
    const concluded = reply.version !== null && !reply.insufficientData;
    if (concluded) {
      this.metrics.driftScore.set({ bot, version: reply.version! }, reply.score);
      this.lastVersion.set(bot, reply.version!);
    }
    this.metrics.driftDetected.set({ bot }, reply.drifted ? 1 : 0);
  }

  /** Stores the sample unless another replica stored one within most of an interval. */
  private async record(reply: BotDrift): Promise<void> {
    await this.store.recordDriftSample(
      reply.model,
      {
        t: this.clock(),
        version: reply.version,
        score: reply.version !== null && !reply.insufficientData ? reply.score : null,
        drifted: reply.drifted,
      },
      MIN_SAMPLE_GAP * this.settings.intervalMs,
    );
  }

  /** One background pass over every bot; a pass still running is not started twice. */
  tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.running ??= this.checkAll()
      .then(async (replies) => {
        for (const r of replies) await this.record(r);
      })
      .catch((err: Error) => this.log.warn({ err: err.message }, 'drift check failed'))
      .finally(() => (this.running = null));
    return this.running;
  }

  /** Checks every bot now and then every `intervalMs`. */
  start(): void {
    if (this.timer || this.closed) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.settings.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
