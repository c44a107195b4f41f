import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  ALGORITHMS,
  FailedSummarySchema,
  TrainedSummarySchema,
  TrainingSummarySchema,
  assertValid,
  validate,
} from '../../core/index.ts';
import { HYPERPARAMETERS, resolveHyperparameters } from '../../trainer/hyperparameters.ts';
import { readJobConfig } from '../../trainer/job-config.ts';
import { main } from '../../trainer/main.ts';
import { configError } from './trainer-fixtures.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'rps-trainer-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hyperparameters', () => {
  it('every algorithm documents each parameter with a default inside its range', () => {
    for (const algorithm of ALGORITHMS) {
      const specs = Object.entries(HYPERPARAMETERS[algorithm]);
      expect(specs.length).toBeGreaterThan(3);
      for (const [name, spec] of specs) {
        expect(spec.description.length, name).toBeGreaterThan(10);
        expect(() => resolveHyperparameters(algorithm, { [name]: spec.default })).not.toThrow();
      }
    }
  });

  it('fills in defaults and keeps given values', () => {
    const hp = resolveHyperparameters('gbdt', { depth: 6 });
    expect(hp.depth).toBe(6);
    expect(hp.trees).toBe(HYPERPARAMETERS.gbdt.trees.default);
    expect(resolveHyperparameters('mlp', { hiddenUnits: [8, 4] }).hiddenUnits).toEqual([8, 4]);
  });

  it('names the parameter, the value and the allowed range', () => {
    expect(configError(() => resolveHyperparameters('gbdt', { depth: 40 }))).toBe(
      'hyperparameter depth=40 is invalid: allowed is an integer in [1, 12]',
    );
    expect(configError(() => resolveHyperparameters('mlp', { dropout: 1.5 }))).toBe(
      'hyperparameter dropout=1.5 is invalid: allowed is a number in [0, 0.9]',
    );
    expect(configError(() => resolveHyperparameters('gbdt', { trees: 10.5 }))).toContain('trees=10.5');
    expect(configError(() => resolveHyperparameters('mlp', { learningRate: '0.1' }))).toContain(
      'learningRate="0.1"',
    );
    expect(configError(() => resolveHyperparameters('logistic', { classWeights: 'auto' }))).toBe(
      'hyperparameter classWeights="auto" is invalid: allowed is one of "none", "balanced"',
    );
    expect(configError(() => resolveHyperparameters('mlp', { hiddenUnits: [8, 0] }))).toBe(
      'hyperparameter hiddenUnits=[8,0] is invalid: allowed is a list of 1–4 items, each an integer in [1, 512]',
    );
    expect(configError(() => resolveHyperparameters('mlp', { hiddenUnits: [] }))).toContain('hiddenUnits=[]');
  });

  it('names every unknown or bad hyperparameter at once', () => {
    expect(
      configError(() => resolveHyperparameters('gbdt', { depth: 40, eta: 7, l2: 1 })).split('\n'),
    ).toEqual([
      'hyperparameter l2 is not known for algorithm gbdt: allowed are ' +
        Object.keys(HYPERPARAMETERS.gbdt).join(', '),
      'hyperparameter depth=40 is invalid: allowed is an integer in [1, 12]',
      'hyperparameter eta=7 is invalid: allowed is a number in [0.001, 1]',
    ]);
  });

  it('refuses a gbdt ensemble too large as a whole, though each field is in range', () => {
    expect(resolveHyperparameters('gbdt', { depth: 12 }).depth).toBe(12);
    expect(resolveHyperparameters('gbdt', { trees: 256, depth: 12 }).trees).toBe(256);
    expect(configError(() => resolveHyperparameters('gbdt', { trees: 1000, depth: 12 }))).toBe(
      'hyperparameters trees=1000 and depth=12 allow 4,096,000 leaves per class (trees × 2^depth): ' +
        'allowed is at most 1,048,576; lower trees or depth',
    );
  });

  it('rejects parameters of another algorithm, naming the ones that exist', () => {
    const message = configError(() => resolveHyperparameters('logistic', { depth: 3 }));
    expect(message).toContain('hyperparameter depth is not known for algorithm logistic');
    expect(message).toContain('l2, classWeights');
  });
});

describe('job config', () => {
  const env = {
    RPS_MODEL: 'brian',
    RPS_VERSION: 'v3',
    RPS_ALGORITHM: 'mlp',
    RPS_HYPERPARAMETERS: '{"epochs": 5}',
    S3_ENDPOINT: 'http://127.0.0.1:9000',
    S3_ACCESS_KEY: 'a',
    S3_SECRET_KEY: 'b',
    RPS_MAX_EVENTS: '1000',
  };

  it('reads the Job contract environment, flags winning over it', () => {
    const c = readJobConfig(['--seed', '9', '--max-events=20'], env);
    expect(c).toMatchObject({ model: 'brian', version: 'v3', algorithm: 'mlp', seed: 9, maxEvents: 20 });
    expect(c.hyperparameters).toMatchObject({ epochs: 5, hiddenUnits: [64, 32] });
    expect(c.s3).toMatchObject({ endpoint: 'http://127.0.0.1:9000', bucket: 'rps-models' });
    expect(c.s3?.sessionToken).toBeUndefined();
    expect(c.trigger).toBe('trainNow');
  });

  it("reads a Job's temporary keys with their session token, from the environment or the flag", () => {
    expect(readJobConfig([], { ...env, S3_SESSION_TOKEN: 'tok' }).s3).toMatchObject({
      accessKey: 'a',
      secretKey: 'b',
      sessionToken: 'tok',
    });
    expect(readJobConfig(['--s3-session-token', 'flag'], env).s3?.sessionToken).toBe('flag');
  });

  it('rejects bad settings with what is allowed', () => {
    expect(configError(() => readJobConfig([], { ...env, RPS_VERSION: '3' }))).toContain('RPS_VERSION="3"');
    expect(configError(() => readJobConfig([], { ...env, RPS_ALGORITHM: 'svm' }))).toContain(
      'allowed is one of mlp, gbdt, logistic',
    );
    expect(configError(() => readJobConfig([], { ...env, RPS_SYNTHETIC_STRIDE: '0' }))).toContain(
      'RPS_SYNTHETIC_STRIDE="0" must be an integer from 1 to 1000000',
    );
    expect(configError(() => readJobConfig([], { ...env, RPS_INPUTS: 'click,voice' }))).toBe(
      'RPS_INPUTS names "voice": allowed is a comma-separated list of click, key, camera',
    );
    expect(readJobConfig([], env).inputs).toEqual(['click', 'key', 'camera']);
    expect(readJobConfig([], { ...env, RPS_INPUTS: 'click, key' }).inputs).toEqual(['click', 'key']);
    expect(configError(() => readJobConfig([], { ...env, RPS_HYPERPARAMETERS: '{epochs' }))).toContain(
      'not valid JSON',
    );
    expect(configError(() => readJobConfig(['--epochs', '3'], env))).toContain('unknown flag --epochs');
    expect(configError(() => readJobConfig([], { ...env, S3_ENDPOINT: '' }))).toContain('S3_ENDPOINT');
  });

  it('reports every problem of the settings at once, flags and object store included', () => {
    const problems = configError(() =>
      readJobConfig(['--epochs', '3', '--seed=-1', '--trigger', 'monday'], {
        RPS_VERSION: 'three',
        RPS_ALGORITHM: 'mlp',
        RPS_HYPERPARAMETERS: '{"epochs": 0}',
        RPS_FEATURE_SET: 'v9',
        RPS_DATA_URL: 'ftp://games',
        RPS_MAX_EVENTS: '1.5',
        RPS_S3_RETRIES: '99',
        S3_ACCESS_KEY: 'a',
      }),
    );
    expect(problems.split('\n')).toEqual([
      'unknown flag --epochs (see rpsq train --help)',
      'RPS_MODEL (or --model) is required: model name (a DNS label), e.g. brian',
      'RPS_VERSION="three" is invalid: allowed is v1, v2, …',
      expect.stringMatching(/^hyperparameter epochs=0 is invalid: allowed is an integer in \[1, \d+\]$/),
      'RPS_TRIGGER="monday" must be one of created, specChanged, schedule, trainNow, drift, accuracyDrop',
      expect.stringMatching(/^RPS_FEATURE_SET="v9" must be one of /),
      'RPS_DATA_URL="ftp://games" is invalid: allowed is an http(s) URL',
      'missing environment: S3_ENDPOINT, S3_SECRET_KEY (the object store settings)',
      'RPS_S3_RETRIES="99" must be an integer from 1 to 20',
      'RPS_SEED="-1" must be an integer from 0 to 2147483647',
      'RPS_MAX_EVENTS="1.5" must be an integer from 1 to 10000000',
    ]);
  });

  it('checks the search only against valid hyperparameters, each of its problems named', () => {
    const search = JSON.stringify({ candidates: [{ l2: -1 }] });
    expect(
      configError(() =>
        readJobConfig([], {
          ...env,
          RPS_ALGORITHM: 'logistic',
          RPS_HYPERPARAMETERS: '{}',
          RPS_SEARCH: search,
        }),
      ),
    ).toMatch(/^search candidate 1 \(\{"l2":-1\}\): hyperparameter l2=-1 is invalid: allowed is a number in/);
    expect(configError(() => readJobConfig([], { ...env, RPS_SEARCH: '{"grid": 1}' }))).toBe(
      'search has unknown field(s) grid; allowed: candidates, random',
    );
    // hyperparameters invalid themselves: the search is not checked against them
    expect(
      configError(() =>
        readJobConfig([], { ...env, RPS_HYPERPARAMETERS: '{"epochs": 0}', RPS_SEARCH: search }),
      ),
    ).toMatch(/^hyperparameter epochs=0 is invalid[^\n]*$/);
  });

  it('main exits 2 for an invalid hyperparameter and says why in the termination message', async () => {
    const termination = path.join(dir, 'termination-log');
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await main([
        '--model',
        'forrest',
        '--version',
        'v1',
        '--algorithm',
        'gbdt',
        '--hyperparameters',
        '{"eta": 7}',
        '--out',
        dir,
        '--termination-log',
        termination,
      ]);
      expect(code).toBe(2);
    } finally {
      out.mockRestore();
    }
    const summary = assertValid(
      FailedSummarySchema,
      JSON.parse(readFileSync(termination, 'utf8')),
      'summary',
    );
    expect(summary).toEqual({
      model: 'forrest',
      version: 'v1',
      algorithm: 'gbdt',
      error: 'hyperparameter eta=7 is invalid: allowed is a number in [0.001, 1]',
    });
  });

  it('main names every bad setting in one line of the termination message', async () => {
    const termination = path.join(dir, 'termination-log-all');
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await main([
        ...['--model', 'forrest', '--version', 'v1', '--algorithm', 'gbdt', '--out', dir],
        ...['--seed', 'x', '--eval-rows', '0', '--termination-log', termination],
      ]);
      expect(code).toBe(2);
    } finally {
      out.mockRestore();
    }
    const summary = assertValid(
      TrainingSummarySchema,
      JSON.parse(readFileSync(termination, 'utf8')),
      'summary',
    );
    expect('error' in summary && summary.error).toBe(
      'RPS_SEED="x" must be an integer from 0 to 2147483647; RPS_EVAL_ROWS="0" must be an integer from 1 to 1000000',
    );
  });

  it('main trains the feature set and the search the Job asks for, and names them in metadata.json', async () => {
    const termination = path.join(dir, 'termination-log-2');
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await main([
        '--model',
        'logan',
        '--version',
        'v4',
        '--algorithm',
        'logistic',
        '--hyperparameters',
        '{"epochs": 3}',
        '--feature-set',
        'rps-features/v1',
        '--search',
        '{"candidates": [{"l2": 0.5}, {"l2": 0.001}]}',
        '--bootstrap-games',
        '60',
        '--min-total-events',
        '600',
        '--out',
        dir,
        '--termination-log',
        termination,
      ]);
      expect(code).toBe(0);
    } finally {
      out.mockRestore();
    }
    const md = JSON.parse(readFileSync(path.join(dir, 'logan', 'v4', 'metadata.json'), 'utf8')) as {
      featureSet: string;
      search: { candidates: { hyperparameters: { l2: number; epochs: number } }[] };
    };
    expect(md.featureSet).toBe('rps-features/v1');
    const summary = assertValid(
      TrainedSummarySchema,
      JSON.parse(readFileSync(termination, 'utf8')),
      'summary',
    );
    expect(summary).toMatchObject({
      model: 'logan',
      version: 'v4',
      algorithm: 'logistic',
      status: 'trained',
    });
    expect(validate(TrainingSummarySchema, { ...summary, status: 'done' }).ok).toBe(false);
    expect(md.search.candidates.map((c) => [c.hyperparameters.l2, c.hyperparameters.epochs])).toEqual([
      [0.5, 3],
      [0.001, 3],
    ]);
  });
});
