import type { FastifyBaseLogger } from 'fastify';
import {
  ALIASES,
  FEATURE_SET_NAMES,
  ServingManifestSchema,
  featureSet,
  isFeatureSetName,
  validate,
  type Alias,
  type Algorithm,
  type FeatureSet,
  type ArtifactMetadata,
  type Probabilities,
  type ReferenceStatistics,
  type ServingManifest,
} from '../../core/index.ts';
import type { AppMetrics } from '../metrics.ts';
import type { ManifestFile } from './manifest-watcher.ts';
import { ModelFetchError, type ModelCache } from './model-cache.ts';
import { InvalidModelError, OnnxModel } from './onnx-model.ts';

export type PlayingAlias = 'Production' | 'B';

export interface BotDefinition {
  model: string;
  displayName: string;
  algorithm: Algorithm;
}

/** The three bots that exist before any manifest arrives; each plays uniform-probability EV until then. */
export const DEFAULT_BOTS: readonly BotDefinition[] = [
  { model: 'brian', displayName: 'Brian', algorithm: 'mlp' },
  { model: 'forrest', displayName: 'Forrest', algorithm: 'gbdt' },
  { model: 'logan', displayName: 'Logan', algorithm: 'logistic' },
];

const DEFAULT_SPLIT = { Production: 50, B: 50 } as const;
/** Versions no alias serves any more stay loaded (per bot) for games that are still being played. */
const RETIRED_PER_BOT = 8;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** a version's metadata.json that could not be read is tried again after this long (when asked for) */
const METADATA_RETRY_MS = 60_000;

/** A version's metadata.json, shared by every alias serving that version. */
interface VersionMetadata {
  value: ArtifactMetadata | null;
  /** why `value` is null */
  problem: string | null;
  retryAt: number;
  fetching: Promise<void> | null;
}

interface LoadedVersion {
  model: OnnxModel;
  metadata: VersionMetadata;
}

interface ServedAlias extends LoadedVersion {
  version: string;
  sha256: string;
  uri: string;
}

/** The alias → version table a bot serves after a manifest was applied (empty: none). */
export type ServedVersions = Partial<Record<Alias, string>>;

/** The training reference of the version a bot's Production alias serves, for the drift check. */
export interface ProductionReference {
  version: string | null;
  reference: ReferenceStatistics | null;
  /** why `reference` is null */
  problem: string | null;
}

interface BotState {
  definition: BotDefinition;
  isDefault: boolean;
  manifestPresent: boolean;
  trafficSplit: { Production: number; B: number };
  aliases: Partial<Record<Alias, ServedAlias>>;
  /** sha256 → model no alias serves any more, oldest first */
  retired: Map<string, LoadedVersion & { version: string }>;
  lastError: string | null;
  queue: Promise<void>;
  retryTimer: NodeJS.Timeout | null;
  retryDelayMs: number;
  /** content of the manifest whose application failed, to be retried */
  failedContent: string | null;
}

export interface AliasReport {
  version: string;
  sha256: string;
  loaded: boolean;
}

/** What a bot actually serves (GET /api/v1/models; the operator compares it with the manifest). */
export interface ModelReport {
  model: string;
  displayName: string;
  algorithm: Algorithm;
  manifest: 'present' | 'absent';
  fallback: boolean;
  trafficSplit: { Production: number; B: number };
  aliases: Partial<Record<Alias, AliasReport>>;
  lastError?: string;
}

export interface VersionPrediction {
  version: string;
  aliases: Alias[];
  probabilities: Probabilities;
}

export interface Predictions {
  /** one per distinct version among the four aliases (empty when none is loaded) */
  byVersion: VersionPrediction[];
  /** the prediction of the version playing the game, or null (no model, or it failed) */
  playing: Probabilities | null;
  /** why `playing` is null */
  fallbackReason: 'no_model' | 'inference_error' | null;
  /** the playing version's feature set (its decision rule), null when no version plays */
  playingFeatureSet: FeatureSet | null;
}

/** The features of the round in a feature set, computed once per set however many versions read it. */
export type FeaturesOf = (set: FeatureSet) => Float32Array;

export class UnknownBotError extends Error {
  readonly statusCode = 404;
  constructor(name: string, known: readonly BotDefinition[]) {
    super(
      `no bot named "${name}"; the bots are ${known.map((b) => `${b.displayName} (${b.model})`).join(', ')}`,
    );
    this.name = 'UnknownBotError';
  }
}

/**
 * The models every bot serves, per alias. A manifest change loads the new versions next to the old
 * ones and swaps the bot's alias table in one assignment once they are verified; an alias whose new
 * version cannot be loaded keeps its last good model, and the failure is logged, counted and retried.
 */
export class ModelRegistry {
  private readonly bots = new Map<string, BotState>();
  private readonly metadataFetches = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly cache: ModelCache,
    private readonly metrics: AppMetrics,
    private readonly log: FastifyBaseLogger,
    /** told the versions a bot serves after each manifest application (and removal) */
    private readonly onServed: (model: string, versions: ServedVersions) => void = () => {},
    private readonly clock: () => number = Date.now,
  ) {
    for (const def of DEFAULT_BOTS) this.bots.set(def.model, this.emptyState(def, true));
  }

  private emptyState(definition: BotDefinition, isDefault: boolean): BotState {
    return {
      definition,
      isDefault,
      manifestPresent: false,
      trafficSplit: { ...DEFAULT_SPLIT },
      aliases: {},
      retired: new Map(),
      lastError: null,
      queue: Promise.resolve(),
      retryTimer: null,
      retryDelayMs: RETRY_MIN_MS,
      failedContent: null,
    };
  }

  /** The bots new games can be started against, defaults first. */
  list(): BotDefinition[] {
    return [...this.bots.values()].map((b) => b.definition);
  }

  /** A bot by model name or display name, case-insensitive. */
  resolve(name: string): BotDefinition {
    const wanted = name.trim().toLowerCase();
    for (const b of this.bots.values()) {
      if (b.definition.model === wanted || b.definition.displayName.toLowerCase() === wanted)
        return b.definition;
    }
    throw new UnknownBotError(name, this.list());
  }

  find(model: string): BotDefinition | null {
    return this.bots.get(model)?.definition ?? null;
  }

  /** Picks Production or B by the bot's traffic split; both are null when neither serves a model. */
  assign(model: string, random: () => number): { alias: PlayingAlias | null; version: string | null } {
    const bot = this.bots.get(model);
    const prod = bot?.aliases.Production;
    const b = bot?.aliases.B;
    let alias: PlayingAlias = 'Production';
    if (prod && b) {
      const { Production: wp, B: wb } = bot.trafficSplit;
      alias = wp + wb > 0 && random() * (wp + wb) >= wp ? 'B' : 'Production';
    } else if (b) {
      alias = 'B';
    }
    const version = bot?.aliases[alias]?.version ?? null;
    return version ? { alias, version } : { alias: null, version: null };
  }

  /** Every alias's version predicts the features; `playingVersion` is the version deciding the bot's move. */
  async predict(model: string, featuresOf: FeaturesOf, playingVersion: string | null): Promise<Predictions> {
    const bot = this.bots.get(model);
    const groups = new Map<string, { aliases: Alias[]; model: OnnxModel }>();
    if (bot) {
      for (const alias of ALIASES) {
        const served = bot.aliases[alias];
        if (!served) continue;
        const g = groups.get(served.version);
        if (g) g.aliases.push(alias);
        else groups.set(served.version, { aliases: [alias], model: served.model });
      }
    }
    let playingModel = playingVersion ? (groups.get(playingVersion)?.model ?? null) : null;
    if (bot && playingVersion && !playingModel) {
      for (const r of bot.retired.values()) if (r.version === playingVersion) playingModel = r.model;
    }
    const entries = [...groups.entries()];
    const results = await Promise.all(
      entries.map(([, g]) => g.model.predict(featuresOf(g.model.featureSet)).catch((err: Error) => err)),
    );
    const byVersion: VersionPrediction[] = [];
    let playing: Probabilities | null = null;
    let inferenceError = false;
    entries.forEach(([version, g], i) => {
      const r = results[i]!;
      if (r instanceof Error) {
        this.log.warn({ bot: model, version, err: r.message }, 'inference failed');
        if (version === playingVersion) inferenceError = true;
        return;
      }
      byVersion.push({ version, aliases: g.aliases, probabilities: r });
      if (version === playingVersion) playing = r;
    });
    if (playingModel && !groups.has(playingVersion!)) {
      try {
        playing = await playingModel.predict(featuresOf(playingModel.featureSet));
      } catch (err) {
        this.log.warn(
          { bot: model, version: playingVersion, err: (err as Error).message },
          'inference failed',
        );
        inferenceError = true;
      }
    }
    return {
      byVersion,
      playing,
      fallbackReason: playing ? null : inferenceError ? 'inference_error' : 'no_model',
      playingFeatureSet: playingModel?.featureSet ?? null,
    };
  }

  report(): ModelReport[] {
    return [...this.bots.values()].map((bot) => {
      const aliases: Partial<Record<Alias, AliasReport>> = {};
      for (const alias of ALIASES) {
        const s = bot.aliases[alias];
        if (s) aliases[alias] = { version: s.version, sha256: s.sha256, loaded: true };
      }
      return {
        model: bot.definition.model,
        displayName: bot.definition.displayName,
        algorithm: bot.definition.algorithm,
        manifest: bot.manifestPresent ? 'present' : 'absent',
        fallback: !bot.aliases.Production && !bot.aliases.B,
        trafficSplit: { ...bot.trafficSplit },
        aliases,
        ...(bot.lastError ? { lastError: bot.lastError } : {}),
      };
    });
  }

  /** Applies manifest file changes (from the watcher); resolves when every change has been applied. */
  async apply(changes: readonly ManifestFile[]): Promise<void> {
    await Promise.all(changes.map((c) => this.enqueue(c.model, c.content)));
  }

  private enqueue(model: string, content: string | null): Promise<void> {
    let bot = this.bots.get(model);
    if (!bot) {
      if (content === null) return Promise.resolve();
      bot = this.emptyState({ model, displayName: model, algorithm: 'mlp' }, false);
      bot.manifestPresent = true; // listed from now on; fallback until its models load
      this.bots.set(model, bot);
    }
    const state = bot;
    if (state.retryTimer) clearTimeout(state.retryTimer);
    state.retryTimer = null;
    state.queue = state.queue.then(() =>
      content === null ? this.remove(state) : this.applyManifest(state, content),
    );
    return state.queue;
  }

  private async remove(bot: BotState): Promise<void> {
    const model = bot.definition.model;
    this.log.info({ bot: model }, 'manifest removed; the bot plays uniform EV (default bot) or is withdrawn');
    this.retire(bot, bot.aliases, {});
    bot.aliases = {};
    bot.manifestPresent = false;
    bot.lastError = null;
    bot.failedContent = null;
    this.metrics.servedModels.remove({ bot: model });
    this.notifyServed(model, {});
    const def = DEFAULT_BOTS.find((d) => d.model === model);
    if (def) {
      bot.definition = def;
      bot.trafficSplit = { ...DEFAULT_SPLIT };
    } else {
      for (const r of bot.retired.values()) await r.model.release();
      this.bots.delete(model);
    }
  }

  private fail(bot: BotState, reason: string, message: string): void {
    this.metrics.modelLoadFailures.inc({ bot: bot.definition.model, reason });
    this.log.error({ bot: bot.definition.model, reason }, message);
  }

  private async applyManifest(bot: BotState, content: string): Promise<void> {
    if (this.closed) return;
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
      return; // retrying cannot fix a bad file; the next change will
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
      return;
    }

    // the swap: one assignment, after every new model is verified and loaded
    const before = bot.aliases;
    bot.aliases = next;
    bot.definition = { model, displayName: manifest.displayName, algorithm: manifest.algorithm };
    bot.trafficSplit = { Production: manifest.trafficSplit.Production, B: manifest.trafficSplit.B };
    bot.manifestPresent = true;
    this.retire(bot, before, next);

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
      bot.failedContent = content;
      this.scheduleRetry(bot);
    } else {
      bot.lastError = null;
      bot.failedContent = null;
      bot.retryDelayMs = RETRY_MIN_MS;
      this.log.info(
        { bot: model, aliases: Object.fromEntries(Object.entries(next).map(([a, s]) => [a, s.version])) },
        'serving',
      );
    }
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
    for (const s of Object.values(bot.aliases)) if (s?.sha256 === sha256) return s;
    const retired = bot.retired.get(sha256);
    if (retired) return retired; // leaves the retired set at the swap
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
    const served = this.bots.get(model)?.aliases.Production;
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

  /** Keeps models that lost their alias for a while (games in progress may still play them). */
  private retire(
    bot: BotState,
    before: Partial<Record<Alias, ServedAlias>>,
    after: Partial<Record<Alias, ServedAlias>>,
  ): void {
    const kept = new Set(Object.values(after).map((s) => s!.sha256));
    for (const s of Object.values(before)) {
      if (!s || kept.has(s.sha256) || bot.retired.has(s.sha256)) continue;
      bot.retired.set(s.sha256, { version: s.version, model: s.model, metadata: s.metadata });
    }
    for (const sha of kept) bot.retired.delete(sha);
    while (bot.retired.size > RETIRED_PER_BOT) {
      const [oldest, r] = bot.retired.entries().next().value!;
      bot.retired.delete(oldest);
      void r.model.release();
    }
  }

  private scheduleRetry(bot: BotState): void {
    if (this.closed) return;
    const delay = bot.retryDelayMs;
    bot.retryDelayMs = Math.min(RETRY_MAX_MS, delay * 2);
    bot.retryTimer = setTimeout(() => {
      bot.retryTimer = null;
      const content = bot.failedContent;
      if (content !== null && this.bots.get(bot.definition.model) === bot) {
        bot.queue = bot.queue.then(() => this.applyManifest(bot, content));
      }
    }, delay);
    bot.retryTimer.unref();
  }

  /** Resolves once every queued manifest application has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.bots.values()].map((b) => b.queue));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const bot of this.bots.values()) if (bot.retryTimer) clearTimeout(bot.retryTimer);
    await this.settled();
    await Promise.all(this.metadataFetches);
    const models = new Set<OnnxModel>();
    for (const bot of this.bots.values()) {
      for (const s of Object.values(bot.aliases)) if (s) models.add(s.model);
      for (const r of bot.retired.values()) models.add(r.model);
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
