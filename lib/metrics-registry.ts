import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A Prometheus registry of one process part (the game server's app, the operator) and the metric
 * constructors that register on it: each metric is then declared in one line of name, help and labels.
 */
export interface MetricsRegistry {
  registry: Registry;
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ): Histogram<L>;
  /** adds Node's process metrics (CPU, memory, event loop), their names prefixed by `prefix` */
  processMetrics(prefix?: string): void;
}

export function metricsRegistry(): MetricsRegistry {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    counter: (name, help, labelNames = []) => new Counter({ name, help, labelNames, registers }),
    gauge: (name, help, labelNames = []) => new Gauge({ name, help, labelNames, registers }),
    histogram: (name, help, labelNames, buckets) =>
      new Histogram({ name, help, labelNames, buckets, registers }),
    processMetrics: (prefix) => collectDefaultMetrics({ register: registry, ...(prefix ? { prefix } : {}) }),
  };
}
