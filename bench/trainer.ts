// Trainer speed and quality: each algorithm with its default hyperparameters on the seeded
// cold-start corpus (the strategy zoo's training families, docs/bots.md) at 5,000 and 50,000 rounds,
// with the default feature set's rows as the trainer makes them. Prints one line per run, then one
// JSON object as the last line.
// `s` is wall time, `cpuS` the process's CPU time over the same span (user + system): on a machine
// shared with other jobs the wall time varies with their load, the CPU time much less.
// `loadAverage` is the 1-minute load average before each run (gbdt grows its class trees on two
// threads only when it is under cores − 0.5: trainer/algorithms/gbdt.ts, defaultLanes).
// `--all-columns` keeps every column of the feature set, also those its models do not read
// (FeatureSet.ignored): the trainer's speed on the full width, as before that mask.
// Usage: npx tsx bench/trainer.ts [--sizes 5000,50000] [--seed 1] [--algorithms gbdt,mlp] [--all-columns]
import { cpus, loadavg } from 'node:os';
import { ALGORITHMS, type Algorithm } from '../core/index.ts';
import { DEFAULT_FEATURE_SET, featureSet } from '../core/feature-sets.ts';
import { resolveHyperparameters } from '../trainer/hyperparameters.ts';
import { buildDataset } from '../trainer/dataset.ts';
import { evaluate, majorityClass } from '../trainer/metrics.ts';
import { splitRows, trainAlgorithm } from '../trainer/train.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const sizes = arg('sizes', '5000,50000').split(',').map(Number);
const seed = Number(arg('seed', '1'));
const algorithms = arg('algorithms', ALGORITHMS.join(','))
  .split(',')
  .filter((a): a is Algorithm => (ALGORITHMS as readonly string[]).includes(a));
const allColumns = process.argv.includes('--all-columns');
const set = featureSet(DEFAULT_FEATURE_SET);
const figures: Record<string, number | string> = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  featureSet: set.name,
  columnsRead: allColumns ? set.count : set.count - set.ignored.length,
};

for (const rounds of sizes) {
  const dataset = buildDataset([], {
    maxEvents: rounds,
    minTotalEvents: rounds,
    syntheticStride: 1,
    bootstrapGames: Math.ceil(rounds / 4),
    seed,
  });
  const { rows } = splitRows(dataset.games, allColumns ? { ...set, ignored: [] } : set);
  const baseline = evaluate(
    new Float32Array(rows.test.rows * 3),
    rows.test.y,
    rows.test.rows,
    majorityClass(rows.train.y, rows.train.rows),
  ).baselineAccuracy;
  figures[`baseline_${rounds}_accuracy`] = round(baseline, 4);
  for (const algorithm of algorithms) {
    figures[`${algorithm}_${rounds}_loadAverage`] = round(loadavg()[0] ?? 0, 2);
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const model = await trainAlgorithm(
      algorithm,
      resolveHyperparameters(algorithm, {}),
      rows.train,
      rows.validation,
      seed,
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const p = await model.predict(rows.test.x, rows.test.rows);
    const metrics = evaluate(p, rows.test.y, rows.test.rows, majorityClass(rows.train.y, rows.train.rows));
    figures[`${algorithm}_${rounds}_s`] = round(seconds, 2);
    figures[`${algorithm}_${rounds}_cpuS`] = round(cpuSeconds, 2);
    figures[`${algorithm}_${rounds}_rowsPerS`] = Math.round(rows.train.rows / seconds);
    figures[`${algorithm}_${rounds}_accuracy`] = round(metrics.accuracy, 4);
    console.log(
      `${algorithm.padEnd(8)} ${String(dataset.summary.events).padStart(6)} rounds (${rows.train.rows} train rows, ` +
        `${dataset.summary.games} games): ${seconds.toFixed(2)} s (CPU ${cpuSeconds.toFixed(2)} s), ${Math.round(rows.train.rows / seconds)} rows/s, ` +
        `test accuracy ${(metrics.accuracy * 100).toFixed(1)} % vs baseline ${(baseline * 100).toFixed(1)} % ` +
        `(${JSON.stringify(model.training)})`,
    );
  }
}

function round(v: number, digits: number): number {
  return Math.round(v * 10 ** digits) / 10 ** digits;
}

figures.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(figures));
