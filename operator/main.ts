import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.ts';
import { Manager } from './manager.ts';

/**
 * `rpsq operator`: reconciles RpsModels and PromotionPolicies in NAMESPACE until SIGTERM/SIGINT.
 * The Kubernetes connection comes from the in-cluster service account or KUBECONFIG.
 */
export async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, base: { component: 'operator', identity: config.identity } });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();

  let exitCode = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let stopping = false;
  const manager = new Manager({
    config,
    kubeConfig,
    log,
    // a replica that lost the Lease exits, so that it restarts with clean caches and campaigns again
    onLostLeadership: () => void shutdown('lost leadership', 1),
  });
  async function shutdown(why: string, code: number) {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    log.info({ why }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 12 s, exiting');
      process.exit(code || 1);
    }, 12_000);
    force.unref();
    try {
      await manager.stop();
    } finally {
      resolveDone();
    }
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));
  try {
    await manager.start();
  } catch (err) {
    log.error({ err }, 'operator failed to start');
    return 1;
  }
  await done;
  return exitCode;
}
