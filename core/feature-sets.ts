import type { PlayedRound } from './game.ts';
import type { RoundValues } from './round-values.ts';
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_SET,
  featureBatch,
  features,
  type FeatureBatch,
} from './features.ts';
import {
  FEATURE_COUNT_V2,
  FEATURE_NAMES_V2,
  FEATURE_SET_V2,
  FeatureReaderV2,
  featureBatchV2,
  featuresV2,
} from './features-v2.ts';

export type FeatureSetName = 'rps-features/v1' | 'rps-features/v2';

/** The groups of rps-features/v2 columns (docs/features.md, the 91 features, in order). */
export const V2_COLUMN_GROUPS = Object.freeze({
  evidence: (_: string, i: number) => i < 57,
  scores: (name: string) => name.endsWith('_score') && name !== 'best_score',
  best: (name: string) => name.startsWith('best_'),
  mixture: (name: string) => name.startsWith('mixture_'),
  values: (name: string) => name.startsWith('value_'),
  context: (_: string, i: number) => i >= 87,
});
export type V2ColumnGroup = keyof typeof V2_COLUMN_GROUPS;

/**
 * The groups v2 models do not read: the per-predictor evidence and scores (76 columns). Models
 * trained on them did worse against training families left out of their corpus than models that
 * read only the summaries, values and score context (docs/bots.md, leave-one-family-out validation).
 */
export const V2_IGNORED_GROUPS: readonly V2ColumnGroup[] = Object.freeze(['evidence', 'scores'] as const);

/** The indices of the rps-features/v2 columns in `groups`. */
export function v2Columns(groups: readonly V2ColumnGroup[]): number[] {
  return FEATURE_NAMES_V2.flatMap((n, i) => (groups.some((g) => V2_COLUMN_GROUPS[g](n, i)) ? [i] : []));
}

/**
 * A feature set: its features (one implementation for trainer and server) and the decision rule
 * its versions play: `greedy` EV for v1 (as v1 versions always played), `sampled` EV for v2.
 */
export interface FeatureSet {
  name: FeatureSetName;
  count: number;
  names: readonly string[];
  decision: 'greedy' | 'sampled';
  /**
   * Columns the set computes but its models do not read: the trainer holds them at 0 in every
   * training row, so a model never learns from them (a constant column gets no weight and a zero
   * factor in the exported standardisation) and ignores what the server feeds there.
   */
  ignored: readonly number[];
  features(previous: readonly PlayedRound[], round: number, values: RoundValues): Float32Array;
  batch(games: readonly (readonly PlayedRound[])[], options?: { fromRound?: number }): FeatureBatch;
  /** a reader for one live game: the same features, computed from the rounds added since its last call */
  reader(): { features: FeatureSet['features'] };
}

const SETS: Readonly<Record<FeatureSetName, FeatureSet>> = {
  'rps-features/v1': {
    name: FEATURE_SET as FeatureSetName,
    count: FEATURE_COUNT,
    names: FEATURE_NAMES,
    decision: 'greedy',
    ignored: [],
    features,
    batch: featureBatch,
    reader: () => ({ features }),
  },
  'rps-features/v2': {
    name: FEATURE_SET_V2 as FeatureSetName,
    count: FEATURE_COUNT_V2,
    names: FEATURE_NAMES_V2,
    decision: 'sampled',
    ignored: v2Columns(V2_IGNORED_GROUPS),
    features: featuresV2,
    batch: featureBatchV2,
    reader: () => {
      const r = new FeatureReaderV2();
      return { features: (previous, round, values) => r.features(previous, round, values) };
    },
  },
};

export const FEATURE_SET_NAMES: readonly FeatureSetName[] = Object.freeze(
  Object.keys(SETS) as FeatureSetName[],
);

/** What new versions are trained with unless an RpsModel names another. */
export const DEFAULT_FEATURE_SET: FeatureSetName = 'rps-features/v2';

export function isFeatureSetName(x: unknown): x is FeatureSetName {
  return typeof x === 'string' && Object.hasOwn(SETS, x);
}

/** A feature set by name; the error names the value and the sets this code computes. */
export function featureSet(name: string): FeatureSet {
  if (!isFeatureSetName(name)) {
    throw new RangeError(
      `unknown feature set ${JSON.stringify(name)}; supported: ${FEATURE_SET_NAMES.join(', ')}`,
    );
  }
  return SETS[name];
}
