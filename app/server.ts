import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './build-app.ts';
import { ConfigError, loadConfig, type AppConfig } from './config.ts';

export interface RunningServer {
  app: FastifyInstance;
  /** the address it listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

/** Listens on config.host:config.port; models load in the background (`/readyz` is 503 until they have). */
export async function startServer(config: AppConfig): Promise<RunningServer> {
  const app = await buildApp({ config, waitForModels: false });
  const url = await app.listen({ port: config.port, host: config.host });
  app.rps.modelsLoaded.then(() => app.log.info({ models: app.rps.registry.report() }, 'models loaded'));
  return { app, url, close: () => app.close() };
}

/**
 * The game server's entry point (`rpsq app`): configuration from the environment, then listen until
 * SIGTERM/SIGINT, when it stops accepting connections, finishes requests in flight and closes the database.
 */
export async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const started: { server?: Awaited<ReturnType<typeof startServer>> } = {};
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // a signal during start-up (the database opening, models loading) ends the process at once:
    // as a container's PID 1, Node would otherwise ignore it until the kubelet kills it
    if (!started.server) {
      process.stderr.write(`stopped by ${signal} during start-up\n`);
      process.exit(0);
    }
    const running = started.server;
    running.app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      running.app.log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        running.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  started.server = await startServer(config);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
