import { ALIASES, type Alias } from '../core/index.ts';
import { twoProportionZTest } from '../core/index.ts';
import type { AliasChange } from './db/records.ts';
import type { Store } from './db/store.ts';
import type { DriftMonitor } from './drift-monitor.ts';
import type {
  AbPoint,
  AbTest,
  AccuracyPoint,
  AccuracySeries,
  DashboardBot,
  DashboardData,
} from '../core/dashboard-api.ts';
import type { ModelRegistry } from './serving/model-registry.ts';

export type { DashboardBot, DashboardData } from '../core/dashboard-api.ts';

/** predictions read per version for the accuracy chart */
const ACCURACY_ROWS = 1500;
const ACCURACY_BUCKET_MAX = 50;
const ACCURACY_BUCKET_MIN = 10;
const ACCURACY_POINTS = 24;
/** versions charted per bot: the served ones, then the ones that served most recently */
const ACCURACY_VERSIONS = 6;
const AB_POINTS = 40;
const AB_BUCKET_MIN_MS = 1000;
const ALIAS_CHANGES = 12;
/** the latest rounds (of all bots) the "how moves were entered" line counts */
const INPUT_WINDOW = 10_000;

/** Versions to chart: the served ones first, then the ones that recently stopped serving. */
function chartedVersions(served: Map<string, Alias[]>, changes: readonly AliasChange[]): string[] {
  const versions = [...served.keys()];
  for (const c of changes) {
    for (const v of [c.version, c.previous]) {
      if (v && !versions.includes(v) && versions.length < ACCURACY_VERSIONS) versions.push(v);
    }
  }
  return versions;
}

async function accuracy(
  store: Store,
  bot: string,
  versions: readonly string[],
  served: Map<string, Alias[]>,
  excludeSynthetic: boolean,
): Promise<DashboardBot['accuracy']> {
  const rows = await Promise.all(
    versions.map(async (v) =>
      (await store.recentPredictions(bot, v, ACCURACY_ROWS, excludeSynthetic)).reverse(),
    ),
  );
  const most = Math.max(0, ...rows.map((r) => r.length));
  // 50 predictions a point once there is data enough; fewer while there is not, so a chart shows a line
  const bucketSize = Math.min(
    ACCURACY_BUCKET_MAX,
    Math.max(ACCURACY_BUCKET_MIN, Math.ceil(most / ACCURACY_POINTS)),
  );
  const series = versions.map((version, i): AccuracySeries => {
    const list = rows[i]!;
    const points: AccuracyPoint[] = [];
    let correct = 0;
    for (let start = 0; start < list.length; start += bucketSize) {
      const bucket = list.slice(start, start + bucketSize);
      const hits = bucket.reduce((n, p) => n + p.correct, 0);
      correct += hits;
      // a last bucket under half full would be mostly noise
      if (bucket.length * 2 < bucketSize) continue;
      points.push({
        t: bucket[bucket.length - 1]!.at,
        accuracy: hits / bucket.length,
        predictions: bucket.length,
      });
    }
    return { version, aliases: served.get(version) ?? [], predictions: list.length, correct, points };
  });
  return { bucketSize, series };
}

async function abTest(
  store: Store,
  bot: string,
  production: string,
  b: string,
  now: number,
  excludeSynthetic: boolean,
): Promise<AbTest> {
  const since = await store.pairSince(bot);
  const first = await store.firstFinished(bot, production, b, since ?? 0, excludeSynthetic);
  const totals = { productionGames: 0, productionWins: 0, bGames: 0, bWins: 0 };
  const points: AbPoint[] = [];
  if (first !== null) {
    const bucketMs = Math.max(AB_BUCKET_MIN_MS, Math.ceil((now - first + 1) / AB_POINTS));
    const buckets = await store.gameBuckets(bot, production, b, first, bucketMs, excludeSynthetic);
    for (let i = 0; i < buckets.length;) {
      const index = buckets[i]!.bucket;
      for (; i < buckets.length && buckets[i]!.bucket === index; i++) {
        const g = buckets[i]!;
        if (g.version === production) {
          totals.productionGames += g.games;
          totals.productionWins += g.botWins;
        } else {
          totals.bGames += g.games;
          totals.bWins += g.botWins;
        }
      }
      const test = twoProportionZTest(
        totals.productionWins,
        totals.productionGames,
        totals.bWins,
        totals.bGames,
      );
      points.push({
        t: Math.min(now, first + (index + 1) * bucketMs),
        productionGames: totals.productionGames,
        productionRate: test.rateA,
        bGames: totals.bGames,
        bRate: test.rateB,
        pValue: test.pValue,
      });
    }
  }
  const test = twoProportionZTest(totals.productionWins, totals.productionGames, totals.bWins, totals.bGames);
  return { production, b, since, ...totals, z: test.z, pValue: test.pValue, points };
}

/** Everything the public dashboard shows, per bot; nothing secret (no URIs, no tokens). */
export async function dashboardData(
  store: Store,
  registry: ModelRegistry,
  drift: DriftMonitor,
  now: number,
  excludeSynthetic: boolean,
): Promise<DashboardData> {
  const bots: DashboardBot[] = [];
  for (const report of registry.report()) {
    const bot = report.model;
    const served = new Map<string, Alias[]>();
    for (const alias of ALIASES) {
      const v = report.aliases[alias]?.version;
      if (v) served.set(v, [...(served.get(v) ?? []), alias]);
    }
    const changes = await store.aliasChanges(bot, ALIAS_CHANGES);
    const production = report.aliases.Production?.version;
    const b = report.aliases.B?.version;
    bots.push({
      model: bot,
      displayName: report.displayName,
      algorithm: report.algorithm,
      trafficSplit: report.trafficSplit,
      aliases: ALIASES.map((alias) => ({ alias, version: report.aliases[alias]?.version ?? null })),
      accuracy: await accuracy(store, bot, chartedVersions(served, changes), served, excludeSynthetic),
      abTest:
        production && b && production !== b
          ? await abTest(store, bot, production, b, now, excludeSynthetic)
          : null,
      drift: {
        current: await drift.current(bot),
        history: (await drift.samples(bot)).map((s) => ({ t: s.t, score: s.score })),
      },
      inputs: { window: INPUT_WINDOW, ...(await store.recentInputs(bot, INPUT_WINDOW, excludeSynthetic)) },
      aliasChanges: changes.map((c) => ({
        at: c.at,
        alias: c.alias,
        version: c.version,
        previous: c.previous,
        promotion:
          c.alias === 'Production' &&
          c.version !== null &&
          changes.some((o) => o.at === c.at && o.alias === 'B' && o.previous === c.version),
      })),
    });
  }
  return { generatedAt: now, excludeSynthetic, bots };
}
