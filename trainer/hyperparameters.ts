import type { Algorithm } from '../core/index.ts';
import { ConfigError } from '../lib/env-config.ts';

/**
 * The hyperparameter schema: per algorithm, as data. The trainer validates against it, and
 * `make generate` (hack/generate-crds.ts) writes the CRD's hyperparameter schema and rules from it.
 * Ranges are inclusive.
 */
export interface HyperparameterSpec {
  type: 'integer' | 'number' | 'integer[]' | 'string';
  default: number | string | readonly number[];
  min?: number;
  max?: number;
  /** for `integer[]`: bounds on the number of items */
  minItems?: number;
  maxItems?: number;
  enum?: readonly string[];
  description: string;
}

const dangerPenalty: HyperparameterSpec = {
  type: 'number',
  default: 0,
  min: 0,
  max: 10,
  description: 'λ of the danger term: λ × mean predicted probability of the move that beats the true move',
};

/** The Adam training loop's settings, shared by the networks (mlp, logistic); each has its own defaults. */
function adamTraining(defaults: {
  learningRate: number;
  batchSize: number;
  epochs: number;
  patience: number;
}) {
  return {
    learningRate: {
      type: 'number',
      default: defaults.learningRate,
      min: 1e-5,
      max: 1,
      description: 'Adam learning rate',
    },
    batchSize: {
      type: 'integer',
      default: defaults.batchSize,
      min: 8,
      max: 8192,
      description: 'rows per Adam step',
    },
    epochs: {
      type: 'integer',
      default: defaults.epochs,
      min: 1,
      max: 1000,
      description: 'maximum passes over the training rows',
    },
    patience: {
      type: 'integer',
      default: defaults.patience,
      min: 1,
      max: 1000,
      description: 'epochs without a better validation log loss before stopping (best weights are restored)',
    },
  } as const satisfies Record<string, HyperparameterSpec>;
}

export const HYPERPARAMETERS = {
  mlp: {
    hiddenUnits: {
      type: 'integer[]',
      default: [64, 32],
      min: 1,
      max: 512,
      minItems: 1,
      maxItems: 4,
      description: 'units of each hidden ReLU layer, input side first',
    },
    dropout: {
      type: 'number',
      default: 0.1,
      min: 0,
      max: 0.9,
      description: 'dropout rate after each hidden layer',
    },
    ...adamTraining({ learningRate: 0.003, batchSize: 128, epochs: 60, patience: 8 }),
    l2: { type: 'number', default: 0, min: 0, max: 1, description: 'L2 penalty on the weight matrices' },
    dangerPenalty,
  },
  logistic: {
    l2: { type: 'number', default: 0.001, min: 0, max: 10, description: 'L2 penalty on the weight matrix' },
    classWeights: {
      type: 'string',
      default: 'none',
      enum: ['none', 'balanced'],
      description: '`balanced` weights each class by rows / (3 × class rows) in the loss',
    },
    ...adamTraining({ learningRate: 0.01, batchSize: 256, epochs: 100, patience: 4 }),
    dangerPenalty,
  },
  gbdt: {
    trees: {
      type: 'integer',
      default: 200,
      min: 1,
      max: 5000,
      description: 'maximum boosting rounds (one tree per class each)',
    },
    depth: { type: 'integer', default: 4, min: 1, max: 12, description: 'maximum tree depth' },
    eta: {
      type: 'number',
      default: 0.1,
      min: 0.001,
      max: 1,
      description: 'learning rate (shrinkage of each tree)',
    },
    subsample: {
      type: 'number',
      default: 0.8,
      min: 0.1,
      max: 1,
      description: 'share of training rows drawn per round',
    },
    colsample: {
      type: 'number',
      default: 0.8,
      min: 0.1,
      max: 1,
      description: 'share of features drawn per tree',
    },
    lambda: {
      type: 'number',
      default: 1,
      min: 0,
      max: 1000,
      description: 'L2 regularisation of leaf weights',
    },
    gamma: {
      type: 'number',
      default: 0,
      min: 0,
      max: 1000,
      description: 'minimum loss reduction to split a node',
    },
    minChildWeight: {
      type: 'number',
      default: 1,
      min: 0,
      max: 10000,
      description: 'minimum hessian sum in each child of a split',
    },
    bins: {
      type: 'integer',
      default: 32,
      min: 2,
      max: 255,
      description: 'histogram bins per feature for split finding',
    },
    earlyStoppingRounds: {
      type: 'integer',
      default: 20,
      min: 1,
      max: 5000,
      description: 'rounds without a better validation log loss before stopping (the best round is kept)',
    },
  },
} as const satisfies Record<Algorithm, Record<string, HyperparameterSpec>>;

type Resolve<S> = S extends { type: 'integer[]' } ? number[] : S extends { type: 'string' } ? string : number;

export type HyperparametersOf<A extends Algorithm> = {
  -readonly [K in keyof (typeof HYPERPARAMETERS)[A]]: Resolve<(typeof HYPERPARAMETERS)[A][K]>;
};
export type MlpHyperparameters = HyperparametersOf<'mlp'>;
export type LogisticHyperparameters = HyperparametersOf<'logistic'>;
export type GbdtHyperparameters = HyperparametersOf<'gbdt'>;

// Invalid hyperparameters are a ConfigError like any bad setting: the trainer exits with code 2.
const invalid = (problem: string) => new ConfigError([problem], 'hyperparameters');

/** What a hyperparameter allows, in words ("a number in [0, 0.9]"). */
export function allowedRange(spec: HyperparameterSpec): string {
  if (spec.enum) return `one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  const kind = spec.type === 'number' ? 'a number' : 'an integer';
  const bounds = `${kind} in [${spec.min}, ${spec.max}]`;
  if (spec.type === 'integer[]') return `a list of ${spec.minItems}–${spec.maxItems} items, each ${bounds}`;
  return bounds;
}

function checkNumber(name: string, spec: HyperparameterSpec, value: unknown, shown: unknown): number {
  const integer = spec.type === 'integer' || spec.type === 'integer[]';
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    (spec.min !== undefined && value < spec.min) ||
    (spec.max !== undefined && value > spec.max)
  ) {
    throw invalid(
      `hyperparameter ${name}=${JSON.stringify(shown)} is invalid: allowed is ${allowedRange(spec)}`,
    );
  }
  return value;
}

function checkValue(name: string, spec: HyperparameterSpec, value: unknown): number | string | number[] {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string' || !(spec.enum ?? []).includes(value)) {
        throw invalid(
          `hyperparameter ${name}=${JSON.stringify(value)} is invalid: allowed is ${allowedRange(spec)}`,
        );
      }
      return value;
    case 'integer[]': {
      if (
        !Array.isArray(value) ||
        value.length < (spec.minItems ?? 0) ||
        value.length > (spec.maxItems ?? Number.POSITIVE_INFINITY)
      ) {
        throw invalid(
          `hyperparameter ${name}=${JSON.stringify(value)} is invalid: allowed is ${allowedRange(spec)}`,
        );
      }
      return value.map((v) => checkNumber(name, spec, v, value));
    }
    default:
      return checkNumber(name, spec, value, value);
  }
}

/**
 * The most leaves one class's ensemble may hold (trees × 2^depth). Each range alone is fine, but
 * together `trees` and `depth` can ask for an ensemble of millions of nodes: hours of training and
 * a model.onnx of gigabytes. The schema checks each field; this combination is the trainer's.
 */
export const MAX_GBDT_LEAVES = 2 ** 20;

function checkGbdtSize({ trees, depth }: GbdtHyperparameters): void {
  const leaves = trees * 2 ** depth;
  if (leaves > MAX_GBDT_LEAVES) {
    throw invalid(
      `hyperparameters trees=${trees} and depth=${depth} allow ${leaves.toLocaleString('en-US')} leaves per class ` +
        `(trees × 2^depth): allowed is at most ${MAX_GBDT_LEAVES.toLocaleString('en-US')}; lower trees or depth`,
    );
  }
}

/**
 * Defaults merged with the given values, each checked against its range. Unknown names and
 * out-of-range values throw a ConfigError naming the parameter, the value and what is allowed.
 */
export function resolveHyperparameters<A extends Algorithm>(
  algorithm: A,
  given: unknown,
): HyperparametersOf<A> {
  const specs = HYPERPARAMETERS[algorithm] as Record<string, HyperparameterSpec> | undefined;
  if (!specs) {
    throw invalid(
      `algorithm ${JSON.stringify(algorithm)} is invalid: allowed is one of ${Object.keys(HYPERPARAMETERS).join(', ')}`,
    );
  }
  if (given !== undefined && given !== null && (typeof given !== 'object' || Array.isArray(given))) {
    throw invalid(`hyperparameters must be a JSON object, got ${JSON.stringify(given)}`);
  }
  const values = (given ?? {}) as Record<string, unknown>;
  const resolved: Record<string, unknown> = {};
  // every unknown name and bad value at once
  const problems: string[] = [];
  for (const name of Object.keys(values)) {
    if (!(name in specs)) {
      problems.push(
        `hyperparameter ${name} is not known for algorithm ${algorithm}: allowed are ${Object.keys(specs).join(', ')}`,
      );
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const value = values[name];
    try {
      resolved[name] =
        value === undefined
          ? Array.isArray(spec.default)
            ? [...spec.default]
            : spec.default
          : checkValue(name, spec, value);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length) throw new ConfigError(problems, 'hyperparameters');
  if (algorithm === 'gbdt') checkGbdtSize(resolved as GbdtHyperparameters);
  return resolved as HyperparametersOf<A>;
}

/** Parses the JSON text of RPS_HYPERPARAMETERS / --hyperparameters. */
export function parseHyperparameters(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid(`hyperparameters are not valid JSON (${(err as Error).message}): ${text}`);
  }
}
