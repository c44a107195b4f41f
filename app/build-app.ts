import rateLimit from '@fastify/rate-limit';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import { loadConfig, type AppConfig } from './config.ts';
import { Checkpointer } from './db/checkpointer.ts';
import { migrate, openDatabase, type Db } from './db/database.ts';
import { GameStore } from './db/game-store.ts';
import { InlineWriter, ThreadWriter, type GameWriter } from './db/move-writer.ts';
import { PgStore } from './db/pg-store.ts';
import { PgBatchWriter } from './db/pg-writer.ts';
import { SqliteStore, type Store } from './db/store.ts';
import { DriftMonitor } from './drift-monitor.ts';
import { errorHandler } from './error-handler.ts';
import { GameService } from './game-service.ts';
import { createMetrics, type AppMetrics } from './metrics.ts';
import { botsRoutes } from './routes/bots.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { exportRoutes } from './routes/export.ts';
import { gamesRoutes } from './routes/games.ts';
import { modelsRoutes } from './routes/models.ts';
import { opsRoutes } from './routes/ops.ts';
import { statsRoutes } from './routes/stats.ts';
import { webUiRoutes } from './routes/web-ui.ts';
import { ManifestWatcher } from './serving/manifest-watcher.ts';
import { ModelCache } from './serving/model-cache.ts';
import { ServedVersionsRecorder } from './served-versions.ts';
import { ModelRegistry } from './serving/model-registry.ts';

export interface BuildAppOptions {
  /** merged over the defaults of `loadConfig({})`, except that the database defaults to `:memory:` */
  config?: Partial<AppConfig>;
  /**
   * an open SQLite database (migrated here); by default `config.dbPath` is opened and closed with
   * the app, or PostgreSQL at `config.databaseUrl` when that is set
   */
  db?: Db;
  /** gambit draws and A/B assignment (seed it in tests) */
  random?: () => number;
  clock?: () => number;
  logger?: FastifyServerOptions['logger'];
  /** wait for the first manifest scan before resolving (default true); `/readyz` says 503 until then */
  waitForModels?: boolean;
  /** process metrics (default true) */
  processMetrics?: boolean;
  /** check drift in the background every `config.driftIntervalMs` (default true) */
  driftMonitor?: boolean;
}

/** What the routes are built from, for tests and the benchmark. */
export interface AppParts {
  config: AppConfig;
  /** the SQLite database; null on PostgreSQL */
  db: Db | null;
  store: Store;
  /** where moves are committed: a writer thread for a file database, batches on PostgreSQL */
  writer: GameWriter;
  registry: ModelRegistry;
  games: GameService;
  metrics: AppMetrics;
  drift: DriftMonitor;
  watcher: ManifestWatcher | null;
  /** resolves when the first manifest scan has been applied */
  modelsLoaded: Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    rps: AppParts;
  }
}

/**
 * Opens the game database: PostgreSQL when `config.databaseUrl` is set (migrated under an advisory
 * lock, moves committed in batches), else the SQLite file `config.dbPath` (or the given `db`).
 */
async function openStore(
  config: AppConfig,
  given: Db | undefined,
  log: FastifyBaseLogger,
): Promise<{
  db: Db | null;
  store: Store;
  writer: GameWriter;
  checkpointer: Checkpointer | null;
  ownDb: boolean;
}> {
  if (config.databaseUrl && !given) {
    const pgStore = await PgStore.open({ url: config.databaseUrl, poolSize: config.pgPoolSize });
    if (!pgStore.isMigrated) log.warn('PostgreSQL is unavailable: answering 503 until it can be reached');
    const writer = new PgBatchWriter(pgStore, log.child({ component: 'db' }));
    return { db: null, store: pgStore, writer, checkpointer: null, ownDb: false };
  }
  const ownDb = !given;
  const db = given ?? openDatabase(config.dbPath);
  if (!ownDb) migrate(db);
  // a file database we own gets its WAL checkpoints off the request thread
  const checkpointer =
    ownDb && config.dbPath !== ':memory:' && config.dbPath !== ''
      ? new Checkpointer(db, config.dbPath, log.child({ component: 'db' }))
      : null;
  const sync = new GameStore(db);
  const writer: GameWriter = checkpointer
    ? new ThreadWriter(config.dbPath, sync, log.child({ component: 'db' }))
    : new InlineWriter(sync);
  return { db, store: new SqliteStore(sync), writer, checkpointer, ownDb };
}

/** Builds the game server: database, model serving, routes. Does not listen (`server.ts` does). */
export async function buildApp(options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const config: AppConfig = { ...loadConfig({}), dbPath: ':memory:', ...options.config };
  const serverOptions: FastifyServerOptions = {
    logger: options.logger ?? { level: config.logLevel },
    // a line per request is too much at thousands of moves per second; errors are still logged
    logController: new LogController({
      disableRequestLogging: !['debug', 'trace'].includes(config.logLevel),
    }),
    bodyLimit: 16 * 1024,
    // fastify also takes a hop count, which its types leave out
    trustProxy: config.trustProxy as FastifyServerOptions['trustProxy'],
    ajv: { customOptions: { allErrors: true } },
  };
  const app = Fastify(serverOptions);

  const { db, store, writer, checkpointer, ownDb } = await openStore(config, options.db, app.log);
  const metrics = createMetrics({ processMetrics: options.processMetrics ?? true });
  const cache = new ModelCache(config.modelCacheDir, config.artifactStore);
  const clock = options.clock ?? Date.now;
  const served = new ServedVersionsRecorder(store, app.log);
  const registry = new ModelRegistry(
    cache,
    metrics,
    app.log.child({ component: 'serving' }),
    (model, versions) => served.record(model, versions, clock()),
    clock,
  );
  const games = new GameService(store, writer, registry, metrics, app.log, options.random, clock);
  const drift = new DriftMonitor(
    store,
    registry,
    metrics,
    {
      windowRounds: config.driftWindowRounds,
      threshold: config.driftThreshold,
      minRows: config.driftMinRows,
      minReferenceRows: config.driftMinReferenceRows,
      intervalMs: config.driftIntervalMs,
    },
    app.log.child({ component: 'drift' }),
    clock,
  );

  const watcher = config.manifestDir
    ? new ManifestWatcher(
        config.manifestDir,
        config.manifestPollMs,
        (changes) => registry.apply(changes),
        (err) => app.log.warn({ err: err.message, dir: config.manifestDir }, 'manifest directory'),
      )
    : null;
  let ready = false;
  const modelsLoaded = (watcher ? watcher.start() : Promise.resolve()).then(() => {
    ready = true;
    if (options.driftMonitor ?? true) drift.start();
  });
  app.decorate('rps', { config, db, store, writer, registry, games, metrics, drift, watcher, modelsLoaded });

  app.setErrorHandler(errorHandler);

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `no route ${req.method} ${req.url.split('?')[0]}`,
    }),
  );

  await app.register(rateLimit, { global: false });
  const limit = { max: config.rateLimitPerMinute, timeWindow: '1 minute' };
  await app.register(gamesRoutes, { games, rateLimit: limit });
  await app.register(botsRoutes, { registry, store, rateLimit: limit });
  await app.register(modelsRoutes, { registry, rateLimit: limit });
  await app.register(statsRoutes, { store, drift, internalToken: config.internalToken });
  await app.register(exportRoutes, { store, internalToken: config.internalToken });
  await app.register(opsRoutes, { store, metrics, isReady: () => ready });
  await app.register(dashboardRoutes, { store, registry, drift, clock });
  await app.register(webUiRoutes);

  app.addHook('onClose', async () => {
    watcher?.close();
    served.close();
    await drift.close();
    await registry.close();
    await writer.close();
    await checkpointer?.close();
    await store.close();
    if (ownDb) db?.close();
  });

  if (options.waitForModels ?? true) await modelsLoaded;
  return app;
}
