import { describe, expect, it } from 'vitest';
import {
  ALGORITHMS,
  ALIASES,
  ArtifactMetadataSchema,
  ExportedRoundSchema,
  SchemaError,
  ServingManifestSchema,
  VersionStatsSchema,
  assertValid,
  validate,
  type ArtifactMetadata,
  type ExportedRound,
  type ServingManifest,
  type VersionStats,
} from '../../core/index.ts';

const SHA = 'a'.repeat(64);

const manifest: ServingManifest = {
  model: 'brian',
  displayName: 'Brian',
  algorithm: 'mlp',
  featureSet: 'rps-features/v1',
  trafficSplit: { Production: 0.5, B: 0.5 },
  aliases: {
    Production: { version: 'v3', uri: 's3://rps-models/brian/v3/model.onnx', sha256: SHA },
    B: { version: 'v4', uri: 's3://rps-models/brian/v4/model.onnx', sha256: SHA },
  },
};

const metadata: ArtifactMetadata = {
  schemaVersion: 1,
  model: 'logan',
  version: 'v1',
  algorithm: 'logistic',
  featureSet: 'rps-features/v1',
  classes: ['rock', 'paper', 'scissors'],
  hyperparameters: { l2: 0.01 },
  metrics: { accuracy: 0.41, logLoss: 1.05, baselineAccuracy: 0.36, rows: 4000 },
  dataset: {
    events: 5000,
    games: 200,
    humanEvents: 0,
    syntheticEvents: 5000,
    from: null,
    to: null,
    sha256: SHA,
  },
  artifact: { sha256: SHA, bytes: 1234 },
  trainerVersion: '0.1.0',
  seed: 7,
  durationMs: 812,
  createdAt: '2025-01-02T03:04:05.000Z',
};

const exported: ExportedRound = {
  id: 17,
  gameId: '3f2b8c1e-9d4a-4e6f-8b1a-2c3d4e5f6a7b',
  bot: 'forrest',
  round: 4,
  playerMove: 'rock',
  botMove: 'paper',
  values: { rock: 1.0, paper: 1.5, scissors: 2.0 },
  result: 'lose',
  playerScore: 2.3,
  botScore: 4.1,
  synthetic: true,
  player: 'Dan',
  alias: 'Production',
  version: 'v2',
  createdAt: '2025-01-02T03:04:05.000Z',
};

const stats: VersionStats = {
  model: 'brian',
  version: 'v2',
  games: 10,
  botWins: 6,
  botLosses: 3,
  ties: 1,
  predictions: 120,
  correct: 50,
};

function errorsOf(schema: Parameters<typeof validate>[0], value: unknown): string[] {
  const r = validate(schema, value);
  if (r.ok) throw new Error('expected validation to fail');
  return r.errors;
}

describe('shared schemas', () => {
  it('lists the aliases and algorithms', () => {
    expect(ALIASES).toEqual(['Production', 'B', 'Shadow1', 'Shadow2']);
    expect(ALGORITHMS).toEqual(['mlp', 'gbdt', 'logistic']);
  });

  it('accepts valid records and returns them typed', () => {
    expect(validate(ServingManifestSchema, manifest)).toEqual({ ok: true, value: manifest });
    expect(validate(ArtifactMetadataSchema, metadata).ok).toBe(true);
    expect(validate(ExportedRoundSchema, exported).ok).toBe(true);
    expect(validate(VersionStatsSchema, stats).ok).toBe(true);
    const m: ServingManifest = assertValid(ServingManifestSchema, manifest, 'serving manifest');
    expect(m.aliases.Production?.version).toBe('v3');
  });

  it('names the field with a bad sha256', () => {
    const bad = { ...manifest, aliases: { Production: { ...manifest.aliases.Production, sha256: 'XYZ' } } };
    expect(errorsOf(ServingManifestSchema, bad)).toEqual([
      '/aliases/Production/sha256: must match pattern "^[0-9a-f]{64}$"',
    ]);
  });

  it('names missing fields, unknown aliases and disallowed values', () => {
    const { displayName: _drop, ...noName } = manifest;
    expect(errorsOf(ServingManifestSchema, noName)).toContain('/displayName: is required');
    expect(
      errorsOf(ServingManifestSchema, { ...manifest, aliases: { production: manifest.aliases.B } }),
    ).toContain('/aliases/production: is not an allowed property');
    expect(errorsOf(ServingManifestSchema, { ...manifest, algorithm: 'svm' })).toEqual([
      '/algorithm: must be one of "mlp", "gbdt", "logistic"',
    ]);
    expect(errorsOf(ServingManifestSchema, { ...manifest, trafficSplit: { Production: -1, B: 1 } })).toEqual([
      '/trafficSplit/Production: must be >= 0',
    ]);
  });

  it('reports every problem at once', () => {
    const errors = errorsOf(VersionStatsSchema, { ...stats, version: '2', games: -1, correct: 1.5 });
    expect(errors).toHaveLength(3);
    expect(errors.map((e) => e.split(':')[0])).toEqual(['/version', '/games', '/correct']);
  });

  it('checks exported rounds field by field (null alias and version allowed when no model served)', () => {
    expect(validate(ExportedRoundSchema, { ...exported, alias: null, version: null, player: null }).ok).toBe(
      true,
    );
    expect(errorsOf(ExportedRoundSchema, { ...exported, playerMove: 'lizard' })).toEqual([
      '/playerMove: must be one of "rock", "paper", "scissors"',
    ]);
    expect(errorsOf(ExportedRoundSchema, { ...exported, createdAt: 'yesterday' })).toEqual([
      '/createdAt: must match format "date-time"',
    ]);
    expect(errorsOf(ExportedRoundSchema, { ...exported, round: 0 })).toEqual(['/round: must be >= 1']);
  });

  it('checks metadata, including the optional drift reference', () => {
    const reference = {
      rows: 10,
      featureMean: new Array(49).fill(0),
      featureStd: new Array(49).fill(1),
      moveShares: [0.3, 0.3, 0.4],
    };
    expect(validate(ArtifactMetadataSchema, { ...metadata, reference }).ok).toBe(true);
    expect(
      errorsOf(ArtifactMetadataSchema, { ...metadata, reference: { ...reference, featureMean: [1] } }),
    ).toEqual(['/reference/featureMean: must NOT have fewer than 49 items']);
    expect(
      errorsOf(ArtifactMetadataSchema, { ...metadata, metrics: { ...metadata.metrics, accuracy: 2 } }),
    ).toEqual(['/metrics/accuracy: must be <= 1']);
  });

  it('names the root when the value is not an object at all', () => {
    expect(errorsOf(VersionStatsSchema, 'nope')).toEqual(['/: must be object']);
  });

  it('assertValid throws a SchemaError listing every error', () => {
    let error: unknown;
    try {
      assertValid(VersionStatsSchema, { ...stats, ties: 'one' }, 'version stats');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).errors).toEqual(['/ties: must be integer']);
    expect((error as SchemaError).message).toBe('invalid version stats: /ties: must be integer');
  });
});
