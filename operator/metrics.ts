import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The operator's Prometheus metrics, in their own registry. */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'rpsquest_operator_reconciles_total',
    help: 'Reconciles by kind and result (success, requeue, error)',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'rpsquest_operator_reconcile_duration_seconds',
    help: 'Time of one reconcile, by kind',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'rpsquest_operator_queue_depth',
    help: 'Keys waiting in the work queue, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly trainingJobs = new Counter({
    name: 'rpsquest_operator_training_jobs_total',
    help: 'Training Jobs by model and result (created, succeeded, failed)',
    labelNames: ['model', 'result'] as const,
    registers: [this.registry],
  });
  readonly promotions = new Counter({
    name: 'rpsquest_operator_promotions_total',
    help: 'Promotion evaluations by model and decision (Promote, Keep, InsufficientData, NoChallenger)',
    labelNames: ['model', 'decision'] as const,
    registers: [this.registry],
  });
  readonly lastPValue = new Gauge({
    name: 'rpsquest_operator_last_p_value',
    help: 'p-value of the latest two-proportion test, by model',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'rpsquest_operator_events_total',
    help: 'Kubernetes Events recorded, by type and reason',
    labelNames: ['type', 'reason'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'rpsquest_operator_leader',
    help: '1 while this replica holds the leader Lease',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'rpsquest_operator_' });
  }
}

/** Serves /metrics, /healthz (the process runs) and /readyz (the caches are synced, or standing by). */
export async function startMetricsServer(
  metrics: OperatorMetrics,
  port: number,
  ready: () => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (path === '/readyz') {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ready\n' : 'caches not synced\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
