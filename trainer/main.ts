import { writeFileSync } from 'node:fs';
import pino from 'pino';
import type { ExportedRound, TrainingSummary } from '../core/index.ts';
import { ArtifactStore, artifactUri } from '../lib/artifact-store.ts';
import { ConfigError } from '../lib/env-config.ts';
import { readEventsFromFile, readEventsFromServer } from './dataset.ts';
import { compareLoader, type CompareSource } from './evaluation.ts';
import { SETTINGS, parseFlags, readJobConfig, usage, type JobConfig } from './job-config.ts';
import { TRAINER_VERSION, trainVersion } from './train.ts';
import {
  ARTIFACT_FILES,
  DirectoryStore,
  inspectVersion,
  uploadVersion,
  versionPrefix,
  type VersionStore,
} from './upload.ts';

/** Kubernetes keeps at most 4096 bytes of a termination message. */
const TERMINATION_LIMIT = 4096;

/** Exit codes of `rpsq train`. */
export const EXIT = { ok: 0, failed: 1, invalidConfig: 2 } as const;

/** The run's summary (core's TrainingSummary) to the termination log and stdout, cut to the 4 KiB Kubernetes keeps. */
function writeSummary(file: string, summary: TrainingSummary): void {
  let line = JSON.stringify(summary);
  if (
    Buffer.byteLength(line) > TERMINATION_LIMIT - 1 &&
    'error' in summary &&
    typeof summary.error === 'string'
  ) {
    line = JSON.stringify({ ...summary, error: summary.error.slice(0, TERMINATION_LIMIT - 200) + '…' });
  }
  process.stdout.write(line + '\n');
  try {
    writeFileSync(file, line + '\n');
  } catch {
    // outside Kubernetes the default /dev/termination-log usually does not exist; stdout has it
  }
}

async function readEvents(config: JobConfig, log: pino.Logger): Promise<ExportedRound[]> {
  if (config.dataFile) {
    log.info({ file: config.dataFile }, 'reading events from file');
    return readEventsFromFile(config.dataFile);
  }
  if (config.dataUrl) {
    log.info({ url: config.dataUrl }, 'reading events from the game server');
    return readEventsFromServer({ baseUrl: config.dataUrl, token: config.dataToken ?? undefined });
  }
  log.warn(`no data source (${SETTINGS.dataUrl.env} or ${SETTINGS.dataFile.env}): cold-start corpus only`);
  return [];
}

/**
 * Where the compare model is read: the object store the version goes to (another bucket through
 * the same endpoint and keys), or with --out the directory, when the URI names its bucket.
 */
function compareSource(config: JobConfig, store: VersionStore): CompareSource {
  const stores = new Map<string, VersionStore>([[store.bucket, store]]);
  return {
    get: async (bucket, key) => {
      let source = stores.get(bucket);
      if (!source && config.s3) stores.set(bucket, (source = new ArtifactStore({ ...config.s3, bucket })));
      if (!source) throw new Error(`bucket ${bucket} is not the output directory's (${store.bucket})`);
      return source.get(key);
    },
  };
}

/**
 * `rpsq train`: trains one version per the Job contract and uploads it. Exit 0 once model.onnx,
 * dataset.ndjson.gz and metadata.json are stored (or were already, complete), 2 for invalid
 * settings or hyperparameters, 1 for any other failure; a one-line JSON summary goes to the
 * termination-message file either way.
 */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return EXIT.ok;
  }
  const log = pino(
    { name: 'trainer', base: { component: 'trainer' } },
    pino.destination({ fd: 1, sync: true }),
  );
  let terminationLog = process.env[SETTINGS.terminationLog.env] || '/dev/termination-log';
  // what the summary names even when the settings turn out invalid
  let context: Record<string, string> = {};
  // a bad flag is reported below by readJobConfig, with every other problem
  const flags = parseFlags(argv);
  terminationLog = flags.get(SETTINGS.terminationLog.flag) ?? terminationLog;
  for (const key of ['model', 'version', 'algorithm'] as const) {
    const value = flags.get(SETTINGS[key].flag) ?? process.env[SETTINGS[key].env];
    if (value) context[key] = value;
  }
  // Kubernetes stops a pod with SIGTERM, and a Node process that is PID 1 ignores it unless it
  // handles it: the run ends at once (a partial upload is deleted by the next run of the version).
  const onSignal = (signal: NodeJS.Signals) => {
    log.warn({ ...context, signal }, 'training stopped by a signal');
    writeSummary(terminationLog, { ...context, status: 'failed', error: `stopped by ${signal}` });
    process.exit(signal === 'SIGTERM' ? 143 : 130);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const config = readJobConfig(argv, process.env);
    terminationLog = config.terminationLog;
    const named = { model: config.model, version: config.version, algorithm: config.algorithm };
    context = named;
    const jobLog = log.child(context);
    jobLog.info(
      {
        trigger: config.trigger,
        compareVersion: config.compareVersion,
        hyperparameters: config.hyperparameters,
        featureSet: config.featureSet,
        search: config.search,
        seed: config.seed,
        trainerVersion: TRAINER_VERSION,
      },
      'training started',
    );

    let store: VersionStore;
    if (config.s3) {
      const s3 = new ArtifactStore(config.s3);
      // a Job's temporary keys may neither create nor look up the bucket (the bucket set-up made it)
      if (!config.s3.sessionToken) await s3.ensureBucket();
      store = s3;
    } else {
      store = new DirectoryStore(config.outDir!);
    }
    const prefix = versionPrefix(config.model, config.version);
    const modelUri = artifactUri(store.bucket, prefix + ARTIFACT_FILES.model);
    const existing = await inspectVersion(store, config.model, config.version);
    if (existing.state === 'complete' && existing.metadata.algorithm !== config.algorithm) {
      throw new Error(
        `${prefix} already holds a complete ${existing.metadata.algorithm} version; a version never changes, ` +
          `so it cannot become ${config.algorithm} (train a new version)`,
      );
    }
    if (existing.state === 'complete') {
      jobLog.info({ uri: modelUri }, 'version already complete: nothing to do');
      writeSummary(terminationLog, {
        ...named,
        status: 'exists',
        uri: modelUri,
        sha256: existing.metadata.artifact.sha256,
        accuracy: existing.metadata.metrics.accuracy,
      });
      return EXIT.ok;
    }
    if (existing.state === 'partial') {
      jobLog.warn(
        { keys: existing.keys, reason: existing.reason },
        'partial version found: deleting it and starting over',
      );
      await store.deletePrefix(prefix);
    }

    const events = await readEvents(config, jobLog);
    const result = await trainVersion(
      {
        model: config.model,
        version: config.version,
        algorithm: config.algorithm,
        hyperparameters: config.hyperparameters,
        featureSet: config.featureSet,
        search: config.search,
        baseHyperparameters: config.baseHyperparameters,
        seed: config.seed,
        trigger: config.trigger,
        evaluation: {
          maxRows: config.evalRows,
          compare: compareLoader(
            { version: config.compareVersion, uri: config.compareUri },
            compareSource(config, store),
          ),
        },
        dataset: {
          maxEvents: config.maxEvents,
          minTotalEvents: config.minTotalEvents,
          syntheticStride: config.syntheticStride,
          inputs: config.inputs,
          bootstrapGames: config.bootstrapGames,
          seed: config.seed,
        },
      },
      events,
      (fields) => {
        const { msg, ...rest } = fields;
        jobLog.info(rest, typeof msg === 'string' ? msg : 'progress');
      },
    );
    if (result.evaluation.error !== undefined) {
      jobLog.warn(
        {
          compareVersion: config.compareVersion,
          compareUri: config.compareUri,
          error: result.evaluation.error,
        },
        'no comparison with Production: evaluation.production is null',
      );
    }
    const keys = await uploadVersion(store, config.model, config.version, result);
    const m = result.metadata;
    const ev = result.evaluation;
    jobLog.info({ keys, uri: modelUri }, 'version uploaded');
    writeSummary(terminationLog, {
      ...named,
      status: 'trained',
      uri: modelUri,
      sha256: m.artifact.sha256,
      bytes: m.artifact.bytes,
      accuracy: m.metrics.accuracy,
      baselineAccuracy: m.metrics.baselineAccuracy,
      logLoss: m.metrics.logLoss,
      rows: m.metrics.rows,
      events: m.dataset.events,
      durationMs: m.durationMs,
      evaluation: {
        rows: ev.rows,
        candidateAccuracy: ev.candidate.accuracy,
        productionVersion: ev.production?.version ?? null,
        productionAccuracy: ev.production?.accuracy ?? null,
        accuracyDelta: ev.accuracyDelta,
        ...(ev.error !== undefined ? { error: ev.error.slice(0, 500) } : {}),
      },
    });
    return EXIT.ok;
  } catch (err) {
    const code = err instanceof ConfigError ? EXIT.invalidConfig : EXIT.failed;
    // one line for the pod's termination message (the operator shows it in a condition)
    const message =
      err instanceof ConfigError ? err.problems.join('; ') : ((err as Error)?.message ?? String(err));
    log.error({ ...context, err }, code === EXIT.invalidConfig ? 'invalid configuration' : 'training failed');
    writeSummary(terminationLog, { ...context, error: message });
    return code;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
