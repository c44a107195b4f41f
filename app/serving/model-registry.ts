import type { FastifyBaseLogger } from 'fastify';
import {
  ALIASES,
  FEATURE_SET_NAMES,
  ServingManifestSchema,
  featureSet,
  isFeatureSetName,
  validate,
  type Alias,
  type ModelReport,
  type ReferenceStatistics,
  type ServingManifest,
} from '../../core/index.ts';
import type { AppMetrics } from '../metrics.ts';
import { assignAlias, type Assignment } from './ab-assignment.ts';
import {
  BotCatalog,
  type BotDefinition,
  type BotState,
  type LoadedVersion,
  type ServedAlias,
  type VersionMetadata,
} from './bot-catalog.ts';
import type { ManifestFile } from './manifest-watcher.ts';
import { ManifestQueue, type ApplyOutcome } from './manifest-queue.ts';
import { ModelFetchError, type ModelCache } from './model-cache.ts';
import { InvalidModelError, OnnxModel } from './onnx-model.ts';
import { predictAll, type FeaturesOf, type Predictions } from './prediction-fan-out.ts';

/** a version's metadata.json that could not be read is tried again after this long (when asked for) */
const METADATA_RETRY_MS = 60_000;

/** The alias → version table a bot serves after a manifest was applied (empty: none). */
export type ServedVersions = Partial<Record<Alias, string>>;

/** The training reference of the version a bot's Production alias serves, for the drift check. */
export interface ProductionReference {
  version: string | null;
  reference: ReferenceStatistics | null;
  /** why `reference` is null */
  problem: string | null;
}

/**
 * The models every bot serves, per alias. A manifest change loads the new versions next to the old
 * ones and swaps the bot's alias table in one assignment once they are verified; an alias whose new
 * version cannot be loaded keeps its last good model, and the failure is logged, counted and retried.
 */
export class ModelRegistry {
  private readonly catalog = new BotCatalog();
  private readonly queue = new ManifestQueue((model, content) => this.applyChange(model, content));
  private readonly metadataFetches = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly cache: ModelCache,
    private readonly metrics: AppMetrics,
    private readonly log: FastifyBaseLogger,
    /** told the versions a bot serves after each manifest application (and removal) */
    private readonly onServed: (model: string, versions: ServedVersions) => void = () => {},
    private readonly clock: () => number = Date.now,
  ) {}

  /** The bots new games can be started against, defaults first. */
  list(): BotDefinition[] {
    return this.catalog.list();
  }

  /** A bot by model name or display name, case-insensitive (UnknownBotError names the bots there are). */
  resolve(name: string): BotDefinition {
    return this.catalog.resolve(name);
  }

  find(model: string): BotDefinition | null {
    return this.catalog.find(model);
  }

  /** Picks Production or B by the bot's traffic split; both are null when neither serves a model. */
  assign(model: string, random: () => number): Assignment {
    const bot = this.catalog.get(model);
    return assignAlias(bot?.aliases ?? {}, bot?.trafficSplit ?? { Production: 0, B: 0 }, random);
  }

  /** Every alias's version predicts the features; `playingVersion` is the version deciding the bot's move. */
  predict(model: string, featuresOf: FeaturesOf, playingVersion: string | null): Promise<Predictions> {
    return predictAll(this.catalog.get(model), featuresOf, playingVersion, this.log);
  }

  report(): ModelReport[] {
    return this.catalog.report();
  }

  /** Applies manifest file changes (from the watcher); resolves when every change has been applied. */
  async apply(changes: readonly ManifestFile[]): Promise<void> {
    await Promise.all(changes.map((c) => this.enqueue(c.model, c.content)));
  }

  private enqueue(model: string, content: string | null): Promise<void> {
    if (!this.catalog.get(model)) {
      if (content === null) return Promise.resolve();
      this.catalog.add(model);
    }
    return this.queue.enqueue(model, content);
  }

  private async applyChange(model: string, content: string | null): Promise<ApplyOutcome> {
    const bot = this.catalog.get(model);
    if (content === null) {
      if (bot) await this.remove(bot);
      return 'removed';
    }
    return this.applyManifest(bot ?? this.catalog.add(model), content);
  }

  private async remove(bot: BotState): Promise<void> {
    const model = bot.definition.model;
    this.log.info({ bot: model }, 'manifest removed; the bot plays uniform EV (default bot) or is withdrawn');
    bot.retired.retire(bot.aliases, {});
    bot.aliases = {};
    bot.manifestPresent = false;
    bot.lastError = null;
    this.metrics.servedModels.remove({ bot: model });
    this.notifyServed(model, {});
    for (const m of this.catalog.reset(bot)) await m.release();
  }

  private fail(bot: BotState, reason: string, message: string): void {
    this.metrics.modelLoadFailures.inc({ bot: bot.definition.model, reason });
    this.log.error({ bot: bot.definition.model, reason }, message);
  }

  private async applyManifest(bot: BotState, content: string): Promise<ApplyOutcome> {
    if (this.closed) return 'rejected';
    const model = bot.definition.model;
    const started = performance.now();
    let manifest: ServingManifest;
    try {
      manifest = parseManifest(model, content);
    } catch (err) {
      const message = `manifest ${model}.json rejected, keeping the last good models: ${(err as Error).message}`;
      this.fail(bot, 'invalid_manifest', message);
      bot.lastError = message;
      bot.manifestPresent = true;
      return 'rejected'; // retrying cannot fix a bad file; the next change will
    }

    const wanted = ALIASES.flatMap((alias) => {
      const ref = manifest.aliases[alias];
      return ref ? [{ alias, ...ref }] : [];
    });
    const loading = new Map<string, Promise<LoadedVersion>>();
    const errors: string[] = [];
    const next: Partial<Record<Alias, ServedAlias>> = {};
    await Promise.all(
      wanted.map(async (w) => {
        try {
          let p = loading.get(w.sha256);
          if (!p) {
            p = this.modelFor(bot, w.sha256, w.version, w.uri, w.featureSet ?? 'rps-features/v1');
            loading.set(w.sha256, p);
          }
          next[w.alias] = { version: w.version, sha256: w.sha256, uri: w.uri, ...(await p) };
        } catch (err) {
          const reason =
            err instanceof ModelFetchError
              ? err.reason
              : err instanceof InvalidModelError
                ? 'invalid_model'
                : 'load_error';
          const message = `${w.alias} → ${w.version}: ${(err as Error).message}`;
          errors.push(message);
          this.fail(bot, reason, `cannot load ${model} ${message}; keeping the last good model`);
          const previous = bot.aliases[w.alias];
          if (previous) next[w.alias] = previous;
        }
      }),
    );
    if (this.closed) {
      for (const s of Object.values(next)) if (s && !this.serves(bot, s.sha256)) await s.model.release();
      return 'rejected';
    }

    // the swap: one assignment, after every new model is verified and loaded
    const before = bot.aliases;
    bot.aliases = next;
    bot.definition = { model, displayName: manifest.displayName, algorithm: manifest.algorithm };
    bot.trafficSplit = { Production: manifest.trafficSplit.Production, B: manifest.trafficSplit.B };
    bot.manifestPresent = true;
    bot.retired.retire(before, next);

    this.metrics.servedModels.remove({ bot: model });
    for (const alias of ALIASES) {
      const s = next[alias];
      if (!s) continue;
      this.metrics.servedModels.set({ bot: model, alias, version: s.version }, 1);
      if (before[alias]?.sha256 !== s.sha256)
        this.metrics.modelLoads.inc({ bot: model, alias, version: s.version });
    }
    this.metrics.modelLoadDuration.observe({ bot: model }, (performance.now() - started) / 1000);
    this.notifyServed(model, next);

    if (errors.length) {
      bot.lastError = errors.join('; ');
      return 'failed';
    }
    bot.lastError = null;
    this.log.info(
      { bot: model, aliases: Object.fromEntries(Object.entries(next).map(([a, s]) => [a, s.version])) },
      'serving',
    );
    return 'served';
  }

  private notifyServed(model: string, aliases: Partial<Record<Alias, ServedAlias>>): void {
    const versions: ServedVersions = {};
    for (const alias of ALIASES) if (aliases[alias]) versions[alias] = aliases[alias].version;
    try {
      this.onServed(model, versions);
    } catch (err) {
      this.log.warn({ bot: model, err: (err as Error).message }, 'cannot record the served versions');
    }
  }

  /**
   * The loaded model with this sha256 (already served or retired), or a newly fetched and verified
   * one. Its metadata.json is fetched alongside but not waited for: it does not hold up serving.
   */
  private async modelFor(
    bot: BotState,
    sha256: string,
    version: string,
    uri: string,
    set: string,
  ): Promise<LoadedVersion> {
    for (const s of Object.values(bot.aliases)) {
      if (s?.sha256 === sha256) return { model: s.model, metadata: s.metadata };
    }
    const retired = bot.retired.get(sha256);
    if (retired) return { model: retired.model, metadata: retired.metadata }; // leaves the retired set at the swap
    const metadata: VersionMetadata = { value: null, problem: null, retryAt: 0, fetching: null };
    void this.fetchMetadata(bot.definition.model, version, uri, sha256, metadata);
    const bytes = await this.cache.fetch(uri, sha256);
    return { model: await OnnxModel.load(bytes, version, sha256, featureSet(set)), metadata };
  }

  private fetchMetadata(
    model: string,
    version: string,
    uri: string,
    sha256: string,
    into: VersionMetadata,
  ): Promise<void> {
    if (into.fetching) return into.fetching;
    const fetching = this.cache
      .fetchMetadata(uri, sha256)
      .then(
        (value) => {
          Object.assign(into, { value, problem: null, retryAt: 0 });
        },
        (err: Error) => {
          Object.assign(into, { problem: err.message, retryAt: this.clock() + METADATA_RETRY_MS });
          this.log.warn(
            { bot: model, version, err: err.message },
            'no metadata.json for this version; drift cannot be checked against it',
          );
        },
      )
      .finally(() => {
        into.fetching = null;
        this.metadataFetches.delete(fetching);
      });
    into.fetching = fetching;
    this.metadataFetches.add(fetching);
    return fetching;
  }

  /**
   * The version Production serves and the training reference in its metadata.json; metadata that
   * could not be read is fetched again here (at most once a minute).
   */
  async productionReference(model: string): Promise<ProductionReference> {
    const served = this.catalog.get(model)?.aliases.Production;
    if (!served) return { version: null, reference: null, problem: 'no Production version is served' };
    const m = served.metadata;
    if (!m.value && (m.fetching || this.clock() >= m.retryAt)) {
      await this.fetchMetadata(model, served.version, served.uri, served.sha256, m);
    }
    if (!m.value) return { version: served.version, reference: null, problem: m.problem };
    if (!m.value.reference) {
      return {
        version: served.version,
        reference: null,
        problem: `metadata.json of ${model} ${served.version} has no training reference statistics`,
      };
    }
    return { version: served.version, reference: m.value.reference, problem: null };
  }

  private serves(bot: BotState, sha256: string): boolean {
    return Object.values(bot.aliases).some((s) => s?.sha256 === sha256);
  }

  /** Resolves once every queued manifest application has finished. */
  async settled(): Promise<void> {
    await this.queue.settled();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.close();
    await Promise.all(this.metadataFetches);
    const models = new Set<OnnxModel>();
    for (const bot of this.catalog.states()) {
      for (const s of Object.values(bot.aliases)) if (s) models.add(s.model);
      for (const m of bot.retired.models()) models.add(m);
    }
    await Promise.all([...models].map((m) => m.release()));
  }
}

/** Parses and validates one `<model>.json`; errors name the field and say what is allowed. */
export function parseManifest(model: string, content: string): ServingManifest {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const result = validate<ServingManifest>(ServingManifestSchema, json);
  if (!result.ok) throw new Error(result.errors.join('; '));
  const manifest = result.value;
  if (manifest.model !== model) {
    throw new Error(`/model: "${manifest.model}" does not match the file name ${model}.json`);
  }
  const sets: [string, string][] = [['/featureSet', manifest.featureSet]];
  for (const alias of ALIASES) {
    const set = manifest.aliases[alias]?.featureSet;
    if (set !== undefined) sets.push([`/aliases/${alias}/featureSet`, set]);
  }
  for (const [path, set] of sets) {
    if (!isFeatureSetName(set)) {
      throw new Error(
        `${path}: "${set}" is not served; this server computes ${FEATURE_SET_NAMES.join(', ')}`,
      );
    }
  }
  return manifest;
}
