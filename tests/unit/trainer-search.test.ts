import { describe, expect, it } from 'vitest';
import { ArtifactMetadataSchema, validate } from '../../core/index.ts';
import { buildDataset } from '../../trainer/dataset.ts';
import { readJobConfig } from '../../trainer/job-config.ts';
import type { Algorithm } from '../../core/index.ts';
import { drawFromRange, parseSearch, searchCandidates, type SearchSpec } from '../../trainer/search.ts';
import { VALID } from '../integration/admission-corpus.ts';
import { trainVersion } from '../../trainer/train.ts';
import { configError } from './trainer-fixtures.ts';

const env = {
  RPS_MODEL: 'logan',
  RPS_VERSION: 'v2',
  RPS_ALGORITHM: 'logistic',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_ACCESS_KEY: 'a',
  S3_SECRET_KEY: 'b',
};

describe('hyperparameter search (spec.search)', () => {
  it('merges each candidate over the model’s hyperparameters and checks every set before any work', () => {
    const sets = searchCandidates('logistic', { l2: 0.01 }, { candidates: [{}, { l2: 0.1 }, { epochs: 5 }] });
    expect(sets.map((s) => [s.l2, s.epochs])).toEqual([
      [0.01, sets[0]!.epochs],
      [0.1, sets[0]!.epochs],
      [0.01, 5],
    ]);
    expect(() => searchCandidates('logistic', {}, { candidates: [{ l2: 0.1 }, { trees: 5 }] })).toThrow(
      /search candidate 2 \(\{"trees":5\}\): .*trees/,
    );
    expect(
      configError(() =>
        readJobConfig([], { ...env, RPS_SEARCH: JSON.stringify({ candidates: [{ l2: -1 }] }) }),
      ),
    ).toMatch(/search candidate 1 .*l2/);
    // every bad candidate named at once
    const problems = configError(() =>
      searchCandidates('logistic', {}, { candidates: [{ l2: -1 }, { l2: 0.1 }, { trees: 5, epochs: 0 }] }),
    ).split('\n');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^search candidate 1 \(\{"l2":-1\}\): hyperparameter l2=-1 is invalid/);
    expect(problems[1]).toMatch(
      /^search candidate 3 \(\{"trees":5,"epochs":0\}\): hyperparameter trees is not known .*; hyperparameter epochs=0 is invalid/,
    );
  });

  it('draws the same random sets from the same seed, inside the ranges, integers for whole-number bounds', () => {
    const spec = parseSearch(
      JSON.stringify({
        random: {
          budget: 12,
          seed: 3,
          ranges: {
            l2: { min: 0.0001, max: 0.1, log: true },
            epochs: { min: 5, max: 40 },
            classWeights: { values: ['none', 'balanced'] },
          },
        },
      }),
    )!;
    const a = searchCandidates('logistic', {}, spec);
    expect(a).toHaveLength(12);
    expect(searchCandidates('logistic', {}, spec)).toEqual(a);
    for (const s of a) {
      expect(s.l2).toBeGreaterThanOrEqual(0.0001);
      expect(s.l2).toBeLessThanOrEqual(0.1);
      expect(Number.isInteger(s.epochs)).toBe(true);
      expect(['none', 'balanced']).toContain(s.classWeights);
    }
  });

  it('keeps a draw within its range where exp(log(x)) is not x', () => {
    // exp(log(0.00001)) is 0.000009999999999999999, below learningRate's minimum
    expect(drawFromRange({ min: 0.00001, max: 1, log: true }, () => 0)).toBe(0.00001);
    expect(drawFromRange({ min: 0.001, max: 10000, log: true }, () => 1 - 2 ** -32)).toBeLessThanOrEqual(
      10000,
    );
    expect(drawFromRange({ min: 16, max: 512, log: true, integer: true }, () => 0)).toBe(16);
    expect(drawFromRange({ min: 0, max: 10 }, () => 0.96)).toBe(10);
  });

  // the admission corpus (tests/integration/admission-corpus.ts) on the real API server: each random
  // search it admits, drawn at its largest corner and with several seeds, is a set the trainer takes
  it.each(
    VALID.filter((c) => (c.spec.search as SearchSpec | undefined)?.random).map(
      (c) => [c.what, c.spec] as const,
    ),
  )('takes every draw of an admitted random search: %s', (_what, spec) => {
    const algorithm = spec.algorithm as Algorithm;
    const base = (spec.hyperparameters ?? {}) as Record<string, unknown>;
    const search = spec.search as SearchSpec;
    const largest = Object.fromEntries(
      Object.entries(search.random!.ranges).map(([name, r]) => [
        name,
        r.values
          ? r.values[r.values.length - 1]
          : drawFromRange(r as { min: number; max: number }, () => 1 - 2 ** -32),
      ]),
    );
    expect(() => searchCandidates(algorithm, base, { candidates: [largest] })).not.toThrow();
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = { ...search.random!, seed, budget: 64 };
      expect(() => searchCandidates(algorithm, base, { random })).not.toThrow();
    }
  });

  it('refuses a malformed search with a message naming the field and what is allowed', () => {
    expect(configError(() => parseSearch('{"candidates":[]}'))).toBe(
      'search.candidates must be a non-empty list of hyperparameter objects',
    );
    expect(configError(() => parseSearch('{"random":{"budget":0,"ranges":{}}}'))).toBe(
      'search.random.budget must be an integer from 1 to 64, got 0',
    );
    expect(configError(() => parseSearch('{}'))).toBe(
      'search needs exactly one of candidates (a list of hyperparameter sets) or random',
    );
    expect(configError(() => parseSearch('{"grid":{}}'))).toBe(
      'search has unknown field(s) grid; allowed: candidates, random',
    );
    expect(
      configError(() => parseSearch('{"random":{"budget":2,"ranges":{"l2":{"min":1,"max":0}}}}')),
    ).toMatch(/^search.random.ranges.l2 must be \{min, max\} with min <= max/);
    expect(configError(() => parseSearch('{oops'))).toMatch(/^search is not valid JSON/);
  });

  it('trains every candidate on the same split, keeps the lowest validation log loss, and records them all', async () => {
    const dataset = {
      maxEvents: 3000,
      minTotalEvents: 3000,
      syntheticStride: 1,
      bootstrapGames: 300,
      seed: 4,
    };
    expect(buildDataset([], dataset).summary.events).toBeGreaterThanOrEqual(3000);
    const v = await trainVersion(
      {
        model: 'logan',
        version: 'v2',
        algorithm: 'logistic',
        hyperparameters: searchCandidates('logistic', {}, { candidates: [{}] })[0]!,
        search: { candidates: [{ l2: 0.5, epochs: 3 }, { l2: 0.0001 }, { l2: 0.01 }] },
        seed: 1,
        trigger: 'trainNow',
        dataset,
      },
      [],
    );
    const search = v.metadata.search!;
    expect(validate(ArtifactMetadataSchema, v.metadata).ok).toBe(true);
    expect(search.candidates).toHaveLength(3);
    const losses = search.candidates.map((c) => c.validationLogLoss);
    expect(search.best).toBe(losses.indexOf(Math.min(...losses)));
    expect(v.metadata.hyperparameters).toEqual(search.candidates[search.best]!.hyperparameters);
    expect(search.candidates[0]!.hyperparameters).toMatchObject({ l2: 0.5, epochs: 3 });
  });
});
