import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/config.ts';

describe('loadConfig', () => {
  it('has defaults for running without Kubernetes', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dbPath: 'rps-quest.db',
      manifestDir: null,
      internalToken: null,
      artifactStore: null,
      rateLimitPerMinute: 1200,
      logLevel: 'info',
      trustProxy: false,
      driftWindowRounds: 1000,
      driftThreshold: 0.2,
      driftMinRows: 200,
      driftMinReferenceRows: 500,
      driftIntervalMs: 30_000,
    });
  });

  it('reads the environment', () => {
    const c = loadConfig({
      PORT: '9090',
      HOST: '127.0.0.1',
      RPS_DB: '/data/games.db',
      RPS_MANIFEST_DIR: '/etc/rps-quest/models',
      RPS_INTERNAL_TOKEN: 'a-long-enough-internal-token',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY: 'ak',
      S3_SECRET_KEY: 'sk',
      RPS_RATE_LIMIT: '60',
      RPS_TRUST_PROXY: '1',
      RPS_DRIFT_WINDOW_ROUNDS: '1000',
      RPS_DRIFT_THRESHOLD: '0.25',
      RPS_DRIFT_MIN_ROWS: '100',
      RPS_DRIFT_MIN_REFERENCE_ROWS: '800',
      RPS_DRIFT_INTERVAL_MS: '60000',
    });
    expect(c).toMatchObject({
      port: 9090,
      host: '127.0.0.1',
      dbPath: '/data/games.db',
      manifestDir: '/etc/rps-quest/models',
      internalToken: 'a-long-enough-internal-token',
      artifactStore: {
        endpoint: 'http://minio:9000',
        accessKey: 'ak',
        secretKey: 'sk',
        bucket: 'rps-models',
      },
      rateLimitPerMinute: 60,
      trustProxy: 1,
      driftWindowRounds: 1000,
      driftThreshold: 0.25,
      driftMinRows: 100,
      driftMinReferenceRows: 800,
      driftIntervalMs: 60_000,
    });
    expect(loadConfig({ RPS_TRUST_PROXY: '10.0.0.0/8' }).trustProxy).toBe('10.0.0.0/8');
  });

  it('keeps games in PostgreSQL when RPS_DATABASE_URL names a server, SQLite otherwise', () => {
    expect(loadConfig({})).toMatchObject({ databaseUrl: null, pgPoolSize: 10 });
    expect(
      loadConfig({ RPS_DATABASE_URL: 'postgres://u:p@db:5432/games', RPS_PG_POOL_SIZE: '20' }),
    ).toMatchObject({ databaseUrl: 'postgres://u:p@db:5432/games', pgPoolSize: 20 });
    let error: ConfigError | undefined;
    try {
      loadConfig({ RPS_DATABASE_URL: 'mysql://db/games', RPS_PG_POOL_SIZE: '1' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error!.problems).toEqual([
      'RPS_PG_POOL_SIZE="1" must be an integer from 2 to 100',
      'RPS_DATABASE_URL must be a PostgreSQL URL, postgres://user:password@host:port/database (unset: SQLite in RPS_DB)',
    ]);
  });

  it('lists every problem at once, with the value and what is allowed', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        RPS_INTERNAL_TOKEN: 'short',
        S3_ENDPOINT: 'http://minio:9000',
        RPS_DRIFT_THRESHOLD: 'high',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      'PORT="eighty" must be an integer from 0 to 65535',
      'RPS_DRIFT_THRESHOLD="high" must be a number above 0 and at most 10 (PSI)',
      'LOG_LEVEL="loud" must be one of fatal, error, warn, info, debug, trace, silent',
      'RPS_INTERNAL_TOKEN must be at least 16 characters (it guards /stats and /export)',
      'missing environment: S3_ACCESS_KEY, S3_SECRET_KEY (the object store settings)',
    ]);
  });
});
