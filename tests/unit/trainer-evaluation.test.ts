import { describe, expect, it } from 'vitest';
import {
  ArtifactMetadataSchema,
  FEATURE_COUNT_V2,
  coldStartCorpus,
  featureBatchV2,
  validate,
} from '../../core/index.ts';
import { sha256Hex } from '../../lib/artifact-store.ts';
import { resolveHyperparameters } from '../../trainer/hyperparameters.ts';
import { buildDataset, groupGames, type DatasetGame } from '../../trainer/dataset.ts';
import {
  compareLoader,
  evaluateVersions,
  heldOutRows,
  scoreOnnx,
  type CompareSource,
} from '../../trainer/evaluation.ts';
import { readJobConfig } from '../../trainer/job-config.ts';
import { FIRST_MODEL_ROUND, splitRows, trainVersion, type VersionRequest } from '../../trainer/train.ts';
import { asExportedRounds, repeaterGames } from './trainer-fixtures.ts';

const GBDT = { trees: 10, depth: 3, eta: 0.3, subsample: 1, colsample: 1 };

// human repeaters after synthetic cold-start players, ids ascending
const events = [
  ...asExportedRounds(coldStartCorpus({ games: 20, seed: 5 }), { synthetic: true }),
  ...asExportedRounds(repeaterGames(30, 6), { firstId: 10_000 }),
];

function request(version: string, extra: Partial<VersionRequest> = {}): VersionRequest {
  return {
    model: 'logan',
    version,
    algorithm: 'gbdt',
    hyperparameters: resolveHyperparameters('gbdt', GBDT),
    seed: 1,
    trigger: 'schedule',
    dataset: { maxEvents: 50_000, minTotalEvents: 0, syntheticStride: 1, bootstrapGames: 0, seed: 1 },
    ...extra,
  };
}

/** An in-memory bucket for compare loaders. */
function memorySource(objects: Record<string, Buffer>): CompareSource {
  return { get: async (bucket, key) => objects[`s3://${bucket}/${key}`] ?? null };
}

describe('held-out rows', () => {
  const games = groupGames(events).games;

  it('are the newest exported rounds from round 4 on, in id order, with the features core computes', () => {
    const test = games.slice(-8);
    const all = heldOutRows(test, 1_000_000, FIRST_MODEL_ROUND);
    const expectedRows = featureBatchV2(
      test.map((g) => g.rounds),
      { fromRound: FIRST_MODEL_ROUND },
    ).rows;
    expect(all.rows).toBe(expectedRows);
    expect(all.ids).toEqual([...all.ids].sort((a, b) => a - b));
    expect(all.humanRows).toBe(all.rows);

    const newest = heldOutRows(test, 25, FIRST_MODEL_ROUND);
    expect(newest.rows).toBe(25);
    expect(newest.ids).toEqual(all.ids.slice(-25));
    expect(newest.lastEventId).toBe(events.at(-1)!.id);
    expect(newest.firstEventId).toBe(newest.ids[0]);
    // the newest row is the last round of the newest game
    const last = test.at(-1)!;
    const lastRow = featureBatchV2([last.rounds], { fromRound: FIRST_MODEL_ROUND });
    expect(Array.from(newest.x.subarray(24 * FEATURE_COUNT_V2))).toEqual(
      Array.from(lastRow.x.subarray((lastRow.rows - 1) * FEATURE_COUNT_V2)),
    );
    expect(newest.y[24]).toBe(lastRow.y[lastRow.rows - 1]);
  });

  it('count human and synthetic rounds, and leave cold-start games out while exported ones exist', () => {
    const synthetic = games.filter((g) => g.synthetic).slice(-2);
    const human = games.filter((g) => !g.synthetic).slice(-2);
    const coldStart: DatasetGame[] = coldStartCorpus({ games: 2, seed: 9 }).map((g) => ({
      gameId: g.gameId,
      source: 'cold-start',
      synthetic: true,
      player: g.player,
      rounds: g.rounds,
      events: [],
    }));
    const rows = heldOutRows([...coldStart, ...synthetic, ...human], 10_000, FIRST_MODEL_ROUND);
    const count = (list: DatasetGame[]) =>
      featureBatchV2(
        list.map((g) => g.rounds),
        { fromRound: FIRST_MODEL_ROUND },
      ).rows;
    expect(rows).toMatchObject({
      rows: count(synthetic) + count(human),
      syntheticRows: count(synthetic),
      humanRows: count(human),
      coldStartRows: 0,
    });

    const only = heldOutRows(coldStart, 10_000, FIRST_MODEL_ROUND);
    expect(only).toMatchObject({ rows: count(coldStart), coldStartRows: count(coldStart), humanRows: 0 });
    expect(only).toMatchObject({ ids: [], firstEventId: null, lastEventId: null });
  });
});

describe('offline evaluation against Production', () => {
  it('scores the new version and Production on the same rows and stores both in metadata.json', async () => {
    const v1 = await trainVersion(request('v1'), events);
    expect(v1.evaluation).toMatchObject({ production: null, accuracyDelta: null, heldOut: 'test' });
    expect(v1.evaluation.error).toBeUndefined();

    const uri = 's3://rps-models/logan/v1/model.onnx';
    const source = memorySource({
      [uri]: Buffer.from(v1.model),
      's3://rps-models/logan/v1/metadata.json': Buffer.from(JSON.stringify(v1.metadata)),
    });
    // a weaker challenger: one shallow tree per class
    const v2 = await trainVersion(
      request('v2', {
        hyperparameters: resolveHyperparameters('gbdt', { trees: 1, depth: 1 }),
        trigger: 'drift',
        evaluation: { maxRows: 60, compare: compareLoader({ version: 'v1', uri }, source) },
      }),
      events,
    );
    const ev = v2.evaluation;
    expect(ev.error).toBeUndefined();
    expect(ev).toMatchObject({ heldOut: 'test', rows: 60, maxRows: 60, humanRows: 60, coldStartRows: 0 });
    expect(ev.lastEventId).toBe(events.at(-1)!.id);
    expect(ev.candidate.version).toBe('v2');
    expect(ev.production).toMatchObject({ version: 'v1', uri, sha256: sha256Hex(v1.model) });
    // the same data: every scored row is inside v1's training window
    expect(ev.production!.rowsAfterItsData).toBe(0);

    // recompute both scores on the documented rows: the newest 60 of v2's test split
    const dataset = buildDataset(events, request('v2').dataset);
    const rows = heldOutRows(splitRows(dataset.games).games.test, 60, FIRST_MODEL_ROUND);
    expect(ev.candidate).toMatchObject(await scoreOnnx(v2.model, rows));
    expect(ev.production).toMatchObject(await scoreOnnx(v1.model, rows));
    expect(ev.accuracyDelta).toBeCloseTo(ev.candidate.accuracy - ev.production!.accuracy, 12);
    expect(ev.logLossDelta).toBeCloseTo(ev.candidate.logLoss - ev.production!.logLoss, 12);
    expect(ev.production!.accuracy).toBeGreaterThan(ev.candidate.accuracy);

    const stored = JSON.parse(JSON.stringify(v2.metadata)) as Record<string, unknown>;
    expect(validate(ArtifactMetadataSchema, stored).ok).toBe(true);
    expect(stored).toMatchObject({ trigger: 'drift', evaluation: JSON.parse(JSON.stringify(ev)) });
  });

  it('records why a Production model could not be compared, and still trains', async () => {
    const v1 = await trainVersion(request('v1'), events);
    const good = 's3://rps-models/logan/v1/model.onnx';
    const meta = 's3://rps-models/logan/v1/metadata.json';
    const cases: [Parameters<typeof compareLoader>[0], Record<string, Buffer>, RegExp][] = [
      [{ version: 'v1', uri: 'rps-models/logan/v1' }, {}, /is not of the form s3:\/\/<bucket>\/<key>/],
      [{ version: 'v1', uri: good }, {}, /s3:\/\/rps-models\/logan\/v1\/model\.onnx does not exist/],
      [{ version: null, uri: good }, {}, /RPS_COMPARE_VERSION is not/],
      [{ version: 'v1', uri: null }, {}, /RPS_COMPARE_URI is not/],
      [{ version: 'latest', uri: good }, {}, /RPS_COMPARE_VERSION="latest" is not a version/],
      [{ version: 'v1', uri: good }, { [good]: Buffer.from('not onnx') }, /^cannot run s3:\/\/rps-models/],
      [
        { version: 'v1', uri: good },
        {
          [good]: Buffer.from(v1.model),
          [meta]: Buffer.from(JSON.stringify({ ...v1.metadata, featureSet: 'rps-features/v0' })),
        },
        /reads feature set rps-features\/v0, which this trainer cannot compute/,
      ],
      [
        { version: 'v1', uri: good },
        {
          [good]: Buffer.from(v1.model),
          [meta]: Buffer.from(
            JSON.stringify({ ...v1.metadata, artifact: { sha256: 'f'.repeat(64), bytes: 3 } }),
          ),
        },
        /does not match the sha256 in its metadata\.json/,
      ],
    ];
    for (const [req, objects, error] of cases) {
      const ev = await evaluateVersions({
        candidate: { version: 'v2', model: v1.model },
        rows: heldOutRows(groupGames(events).games.slice(-5), 100, FIRST_MODEL_ROUND),
        maxRows: 100,
        compare: compareLoader(req, memorySource(objects)),
      });
      expect(ev.production).toBeNull();
      expect(ev.accuracyDelta).toBeNull();
      expect(ev.error).toMatch(error);
      expect(ev.candidate.accuracy).toBeGreaterThan(0);
    }

    const failing = await trainVersion(
      request('v2', {
        evaluation: { compare: async () => Promise.reject(new Error('cannot fetch: store down')) },
      }),
      events,
    );
    expect(failing.metadata).toMatchObject({
      version: 'v2',
      evaluation: { production: null, error: 'cannot fetch: store down' },
    });
  });

  it('no comparison is asked for without RPS_COMPARE_VERSION and RPS_COMPARE_URI', () => {
    expect(compareLoader({ version: null, uri: null }, memorySource({}))).toBeNull();
  });
});

describe('evaluation settings', () => {
  const env = {
    RPS_MODEL: 'logan',
    RPS_VERSION: 'v4',
    RPS_ALGORITHM: 'logistic',
    RPS_OUTPUT_DIR: '/tmp/rps-models',
  };

  it('reads RPS_EVAL_ROWS, RPS_COMPARE_VERSION and RPS_COMPARE_URI', () => {
    expect(readJobConfig([], env)).toMatchObject({ evalRows: 2000, compareVersion: null, compareUri: null });
    const c = readJobConfig([], {
      ...env,
      RPS_EVAL_ROWS: '500',
      RPS_COMPARE_VERSION: 'v3',
      RPS_COMPARE_URI: 's3://rps-models/logan/v3/model.onnx',
    });
    expect(c).toMatchObject({
      evalRows: 500,
      compareVersion: 'v3',
      compareUri: 's3://rps-models/logan/v3/model.onnx',
    });
    expect(() => readJobConfig([], { ...env, RPS_EVAL_ROWS: '0' })).toThrow(
      'RPS_EVAL_ROWS="0" must be an integer from 1 to 1000000',
    );
  });
});
