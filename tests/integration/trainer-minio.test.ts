import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ArtifactMetadataSchema,
  FEATURE_COUNT,
  FEATURE_COUNT_V2,
  TrainingSummarySchema,
  assertValid,
  coldStartCorpus,
  featuresV2,
  validate,
  type ArtifactMetadata,
} from '../../core/index.ts';
import { startMinio, type MinioServer } from '../../hack/harness/index.ts';
import { mintTrainingKeys } from '../../lib/training-keys.ts';
import { ArtifactStore, sha256Hex } from '../../lib/artifact-store.ts';
import type { Evaluation } from '../../trainer/evaluation.ts';
import { main } from '../../trainer/main.ts';
import { asExportedRounds, repeaterGames } from '../unit/trainer-fixtures.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'export-token';
// seconds, not minutes: small models
const FAST = {
  mlp: { hiddenUnits: [16], epochs: 15, patience: 5 },
  logistic: { epochs: 20, patience: 5 },
  gbdt: { trees: 20, depth: 3 },
} as const;

let dir: string;
let minio: MinioServer;
let store: ArtifactStore;
let exportServer: Server;
let dataUrl: string;
const events = [
  ...asExportedRounds(coldStartCorpus({ games: 40, seed: 99 }), { synthetic: true, bot: 'brian' }),
  ...asExportedRounds(repeaterGames(30, 4), { firstId: 5_000 }),
];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rps-trainer-it-'));
  minio = await startMinio({ dir });
  store = new ArtifactStore(minio);
  exportServer = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    const url = new URL(req.url!, 'http://x');
    const since = Number(url.searchParams.get('since') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 10_000);
    const page = events.filter((e) => e.id > since).slice(0, limit);
    res.writeHead(200, { 'x-next-since': String(page.at(-1)?.id ?? since) });
    res.end(page.map((e) => JSON.stringify(e) + '\n').join(''));
  });
  await new Promise<void>((r) => exportServer.listen(0, '127.0.0.1', r));
  dataUrl = `http://127.0.0.1:${(exportServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => exportServer?.close(() => r()));
  await minio?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function flags(model: string, version: string, algorithm: keyof typeof FAST, extra: string[] = []): string[] {
  return [
    ...['--model', model, '--version', version, '--algorithm', algorithm],
    ...['--hyperparameters', JSON.stringify(FAST[algorithm])],
    ...[
      '--data-url',
      dataUrl,
      '--data-token',
      TOKEN,
      '--min-total-events',
      '1000',
      '--bootstrap-games',
      '50',
    ],
    ...['--s3-endpoint', minio.endpoint, '--s3-bucket', minio.bucket],
    ...['--s3-access-key', minio.users.minter.accessKey, '--s3-secret-key', minio.users.minter.secretKey],
    ...['--termination-log', path.join(dir, `${model}-${version}.log`)],
    ...extra,
  ];
}

/** Runs `rpsq train` in this process; returns the exit code and the termination message (checked). */
async function train(args: string[]): Promise<{ code: number; summary: Record<string, unknown> }> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  let code: number;
  try {
    code = await main(args);
  } finally {
    out.mockRestore();
  }
  const file = args[args.indexOf('--termination-log') + 1]!;
  // every summary, whatever the outcome, is core's TrainingSummary
  const summary = assertValid(TrainingSummarySchema, JSON.parse(readFileSync(file, 'utf8')), file);
  return { code, summary: summary as Record<string, unknown> };
}

async function metadataOf(prefix: string): Promise<ArtifactMetadata> {
  const checked = validate(
    ArtifactMetadataSchema,
    JSON.parse((await store.get(`${prefix}metadata.json`))!.toString()),
  );
  if (!checked.ok) throw new Error(checked.errors.join('; '));
  return checked.value;
}

describe.each(['mlp', 'logistic', 'gbdt'] as const)('train %s into MinIO', (algorithm) => {
  const model = `it-${algorithm}`;
  const prefix = `${model}/v1/`;

  it('uploads model.onnx, metadata.json and dataset.ndjson.gz that fit together', async () => {
    const { code, summary } = await train(flags(model, 'v1', algorithm, ['--trigger', 'drift']));
    expect(summary.error).toBeUndefined();
    expect(code).toBe(0);
    expect(summary).toMatchObject({ model, version: 'v1', algorithm, status: 'trained' });
    expect(summary.uri).toBe(`s3://${minio.bucket}/${prefix}model.onnx`);
    expect((await store.list(prefix)).sort()).toEqual(
      ['dataset.ndjson.gz', 'metadata.json', 'model.onnx'].map((f) => prefix + f),
    );

    const meta = await metadataOf(prefix);
    const onnx = (await store.get(`${prefix}model.onnx`))!;
    const dataset = (await store.get(`${prefix}dataset.ndjson.gz`))!;
    expect(meta).toMatchObject({
      model,
      version: 'v1',
      algorithm,
      featureSet: 'rps-features/v2',
      trigger: 'drift',
    });
    expect(meta.hyperparameters).toMatchObject(FAST[algorithm]);
    expect(meta.artifact).toEqual({ sha256: sha256Hex(onnx), bytes: onnx.length });
    expect(meta.dataset.sha256).toBe(sha256Hex(dataset));
    // every exported round, topped up with cold-start games to --min-total-events
    expect(meta.dataset.humanEvents + meta.dataset.syntheticEvents).toBe(events.length);
    // topped up with whole cold-start games until at least 1,000 rounds
    expect(meta.dataset.events).toBeGreaterThanOrEqual(1000);
    expect(meta.dataset.events).toBeLessThan(1000 + 20);
    expect(meta.dataset).toMatchObject({ coldStartEvents: meta.dataset.events - events.length });
    expect(meta.reference?.featureMean).toHaveLength(FEATURE_COUNT);
    expect(summary.sha256).toBe(meta.artifact.sha256);
    const lines = gunzipSync(dataset).toString().trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual(events.map((e) => e.id));

    // what the app will do: raw features of a round in, three probabilities out
    const session = await ort.InferenceSession.create(onnx);
    const game = repeaterGames(1, 77)[0]!;
    const x = featuresV2(game.rounds, 5, game.rounds[4]!.values);
    const out = await session.run({ features: new ort.Tensor('float32', x, [1, FEATURE_COUNT_V2]) });
    const p = out.probabilities!.data as Float32Array;
    expect(p).toHaveLength(3);
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 5);
    await session.release();
  });

  it('a second run of the same version changes nothing and exits 0', async () => {
    const before = (await store.get(`${prefix}metadata.json`))!;
    const { code, summary } = await train(flags(model, 'v1', algorithm));
    expect(code).toBe(0);
    expect(summary.status).toBe('exists');
    expect((await store.get(`${prefix}metadata.json`))!.equals(before)).toBe(true);
  });
});

describe('recovery and failures', () => {
  it('a partial version (interrupted upload) is deleted and trained again', async () => {
    const prefix = 'it-partial/v2/';
    await store.put(`${prefix}model.onnx`, Buffer.from('half an upload'));
    await store.put(`${prefix}stray.tmp`, Buffer.from('x'));
    const { code, summary } = await train(flags('it-partial', 'v2', 'gbdt'));
    expect(code).toBe(0);
    expect(summary.status).toBe('trained');
    expect((await store.list(prefix)).sort()).toEqual(
      ['dataset.ndjson.gz', 'metadata.json', 'model.onnx'].map((f) => prefix + f),
    );
    const meta = await metadataOf(prefix);
    expect(sha256Hex((await store.get(`${prefix}model.onnx`))!)).toBe(meta.artifact.sha256);
  });

  it('refuses to turn an existing version into another algorithm (exit 1)', async () => {
    const { code, summary } = await train(flags('it-gbdt', 'v1', 'logistic'));
    expect(code).toBe(1);
    expect(summary.error).toContain('it-gbdt/v1/ already holds a complete gbdt version');
  });

  it('exits 1 with a clear message when the object store stays down', async () => {
    const args = flags('it-down', 'v1', 'gbdt', ['--s3-retries', '2']);
    args[args.indexOf('--s3-endpoint') + 1] = 'http://127.0.0.1:1';
    const { code, summary } = await train(args);
    expect(code).toBe(1);
    expect(summary.error).toMatch(/object store at http:\/\/127\.0\.0\.1:1 unavailable after 2 attempts/);
  });

  it('runs as the Job does: `rpsq train` with the contract environment and keys, exit code and termination log', async () => {
    const termination = path.join(dir, 'job-termination.log');
    // the Job's own keys, as the operator mints them: this version of this model only
    const keys = await mintTrainingKeys(
      { endpoint: minio.endpoint, ...minio.users.minter },
      { bucket: minio.bucket, model: 'it-job', version: 'v1', lifetimeSeconds: 600 },
    );
    const env = {
      ...process.env,
      RPS_MODEL: 'it-job',
      RPS_VERSION: 'v1',
      RPS_ALGORITHM: 'gbdt',
      RPS_HYPERPARAMETERS: JSON.stringify(FAST.gbdt),
      RPS_DATA_URL: dataUrl,
      RPS_DATA_TOKEN: TOKEN,
      RPS_SEED: '3',
      RPS_MAX_EVENTS: '600',
      RPS_MIN_TOTAL_EVENTS: '0',
      RPS_SYNTHETIC_STRIDE: '2',
      RPS_BOOTSTRAP_GAMES: '0',
      RPS_TRIGGER: 'schedule',
      S3_ENDPOINT: minio.endpoint,
      S3_BUCKET: minio.bucket,
      S3_ACCESS_KEY: keys.accessKey,
      S3_SECRET_KEY: keys.secretKey,
      S3_SESSION_TOKEN: keys.sessionToken,
      RPS_TERMINATION_LOG: termination,
    };
    let stdout = '';
    const code = await new Promise<number>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', path.join(repo, 'cli.ts'), 'train'], {
        env,
        cwd: repo,
      });
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('exit', (c) => resolve(c ?? -1));
    });
    expect(code).toBe(0);
    // a living job in `kubectl logs`: one JSON line per logged boosting round, with its losses
    const logLines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const rounds = logLines.filter((l) => l.msg === 'round');
    expect(rounds.length).toBeGreaterThan(1);
    expect(rounds[0]).toMatchObject({ round: 1, model: 'it-job', version: 'v1' });
    for (const key of ['trainLogLoss', 'validLogLoss', 'validAccuracy']) {
      expect(typeof rounds[0]![key]).toBe('number');
    }
    expect(logLines.map((l) => l.msg)).toEqual(expect.arrayContaining(['evaluation', 'version uploaded']));
    const summary = JSON.parse(readFileSync(termination, 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ model: 'it-job', version: 'v1', status: 'trained', events: 600 });
    const meta = await metadataOf('it-job/v1/');
    expect(meta).toMatchObject({ seed: 3, trigger: 'schedule' });
    expect(meta.dataset.events).toBe(600);
    expect(meta.dataset).toMatchObject({ coldStartEvents: 0 });

    const bad = await new Promise<number>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', path.join(repo, 'cli.ts'), 'train'], {
        env: { ...env, RPS_VERSION: 'v2', RPS_HYPERPARAMETERS: '{"depth": 0}' },
        cwd: repo,
      });
      child.on('exit', (c) => resolve(c ?? -1));
    });
    expect(bad).toBe(2);
    expect(JSON.parse(readFileSync(termination, 'utf8'))).toEqual({
      model: 'it-job',
      version: 'v2',
      algorithm: 'gbdt',
      error: 'hyperparameter depth=0 is invalid: allowed is an integer in [1, 12]',
    });
  });
});

describe('offline evaluation against the Production version', () => {
  const model = 'it-eval';
  const v1Uri = () => `s3://${minio.bucket}/${model}/v1/model.onnx`;

  async function evaluationOf(version: string): Promise<Evaluation> {
    return ((await metadataOf(`${model}/${version}/`)) as ArtifactMetadata & { evaluation: Evaluation })
      .evaluation;
  }

  it('scores the new version and Production (fetched from the store) on the same newest test rounds', async () => {
    expect((await train(flags(model, 'v1', 'gbdt', ['--eval-rows', '100']))).code).toBe(0);
    const v1 = await metadataOf(`${model}/v1/`);
    expect(await evaluationOf('v1')).toMatchObject({ production: null, accuracyDelta: null, rows: 100 });

    // the same data, seed and settings train the same trees: on the same rows both score alike
    const { code, summary } = await train(
      flags(model, 'v2', 'gbdt', [
        ...['--eval-rows', '100', '--trigger', 'accuracyDrop'],
        ...['--compare-version', 'v1', '--compare-uri', v1Uri()],
      ]),
    );
    expect(code).toBe(0);
    const ev = await evaluationOf('v2');
    expect(ev.error).toBeUndefined();
    expect(ev).toMatchObject({
      heldOut: 'test',
      rows: 100,
      humanRows: 100,
      coldStartRows: 0,
      lastEventId: events.at(-1)!.id,
      candidate: { version: 'v2' },
      production: { version: 'v1', uri: v1Uri(), sha256: v1.artifact.sha256, rowsAfterItsData: 0 },
      accuracyDelta: 0,
    });
    expect(ev.production!.accuracy).toBe(ev.candidate.accuracy);
    expect(ev.production!.logLoss).toBeCloseTo(ev.candidate.logLoss, 6);
    expect(await metadataOf(`${model}/v2/`)).toMatchObject({ trigger: 'accuracyDrop' });
    expect(summary.evaluation).toMatchObject({ rows: 100, productionVersion: 'v1', accuracyDelta: 0 });
  });

  it('a compare model that cannot be fetched leaves production null with the reason, and training succeeds', async () => {
    const cases: [string, string, RegExp][] = [
      ['v3', 'not-a-uri', /artifact URI "not-a-uri" is not of the form s3:\/\/<bucket>\/<key>/],
      ['v4', `s3://${minio.bucket}/${model}/v9/model.onnx`, /it-eval\/v9\/model\.onnx does not exist/],
      ['v5', `s3://no-such-bucket/${model}/v1/model.onnx`, /^cannot fetch s3:\/\/no-such-bucket\//],
    ];
    for (const [version, uri, error] of cases) {
      const { code, summary } = await train(
        flags(model, version, 'gbdt', ['--compare-version', 'v1', '--compare-uri', uri]),
      );
      expect(code).toBe(0);
      expect(summary.status).toBe('trained');
      const ev = await evaluationOf(version);
      expect(ev).toMatchObject({ production: null, accuracyDelta: null, candidate: { version } });
      expect(ev.rows).toBeGreaterThan(0);
      expect(ev.error).toMatch(error);
    }
  });
});
