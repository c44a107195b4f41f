import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS_CONTENT_TYPE, type OperatorHealthReply, type OperatorReadyReply } from '../core/index.ts';
import { metricsRegistry } from '../lib/metrics-registry.ts';

/** The operator's Prometheus metrics, in their own registry. */
export class OperatorMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<'kind' | 'result'>;
  readonly reconcileDuration: Histogram<'kind'>;
  readonly queueDepth: Gauge<'kind'>;
  readonly trainingJobs: Counter<'model' | 'result'>;
  readonly promotions: Counter<'model' | 'decision'>;
  readonly lastPValue: Gauge<'model'>;
  readonly events: Counter<'type' | 'reason'>;
  readonly leader: Gauge;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const { registry, counter, gauge, histogram, processMetrics } = metricsRegistry();
    this.registry = registry;
    this.reconciles = counter(
      'rpsquest_operator_reconciles_total',
      'Reconciles by kind and result (success, requeue, error)',
      ['kind', 'result'],
    );
    this.reconcileDuration = histogram(
      'rpsquest_operator_reconcile_duration_seconds',
      'Time of one reconcile, by kind',
      ['kind'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.queueDepth = gauge('rpsquest_operator_queue_depth', 'Keys waiting in the work queue, by kind', [
      'kind',
    ]);
    this.trainingJobs = counter(
      'rpsquest_operator_training_jobs_total',
      'Training Jobs by model and result (created, succeeded, failed)',
      ['model', 'result'],
    );
    this.promotions = counter(
      'rpsquest_operator_promotions_total',
      'Promotion evaluations by model and decision (Promote, Keep, InsufficientData, NoChallenger)',
      ['model', 'decision'],
    );
    this.lastPValue = gauge(
      'rpsquest_operator_last_p_value',
      'p-value of the latest two-proportion test, by model',
      ['model'],
    );
    this.events = counter(
      'rpsquest_operator_events_total',
      'Kubernetes Events recorded, by type and reason',
      ['type', 'reason'],
    );
    this.leader = gauge('rpsquest_operator_leader', '1 while this replica holds the leader Lease');
    if (options.defaultMetrics ?? true) processMetrics('rpsquest_operator_');
  }
}

/**
 * Serves /metrics, /healthz (the process runs) and /readyz (the caches are synced, or standing by):
 * core's MetricsReply, OperatorHealthReply and OperatorReadyReply.
 */
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
          res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
    } else if (path === '/healthz') {
      const body: OperatorHealthReply = 'ok\n';
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(body);
    } else if (path === '/readyz') {
      const ok = ready();
      const body: OperatorReadyReply = ok ? 'ready\n' : 'caches not synced\n';
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(body);
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
