import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as parseYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { HYPERPARAMETERS, type HyperparameterSpec } from '../../trainer/config.ts';
import { MAX_STATUS_VERSIONS } from '../../operator/decisions/training.ts';
import type { Evaluation, PromotionPolicyStatus, RpsModelStatus } from '../../operator/resources.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  enum?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: {
    rule: string;
    fieldPath?: string;
    message?: string;
    messageExpression?: string;
  }[];
}
interface Crd {
  spec: {
    names: { shortNames: string[]; categories: string[]; kind: string };
    versions: {
      name: string;
      subresources: { status: object };
      additionalPrinterColumns: { name: string; jsonPath: string }[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}
const load = (file: string) => parseYaml(readFileSync(path.join(repo, 'crds', file), 'utf8')) as Crd;
const rpsm = load('rpsmodels.yaml');
const promo = load('promotionpolicies.yaml');
const root = (crd: Crd) => crd.spec.versions[0]!.schema.openAPIV3Schema;

/** The paths of `value` that a structural schema would prune (unknown fields). */
function pruned(schema: Schema, value: unknown, at = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (schema['x-kubernetes-preserve-unknown-fields']) return [];
  if (Array.isArray(value))
    return value.flatMap((v, i) => (schema.items ? pruned(schema.items, v, `${at}[${i}]`) : []));
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const sub =
      schema.properties?.[k] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (!sub) out.push(`${at}.${k}`);
    else out.push(...pruned(sub, v, `${at}.${k}`));
  }
  return out;
}

describe('RpsModel CRD', () => {
  it('bounds status.versions where the operator stops training, above keepVersions plus four aliases and four pins', () => {
    const r = root(rpsm);
    expect(r.properties!.status!.properties!.versions!.maxItems).toBe(MAX_STATUS_VERSIONS);
    const keep = r.properties!.spec!.properties!.retention!.properties!.keepVersions!.maximum!;
    expect(keep + 8).toBeLessThanOrEqual(MAX_STATUS_VERSIONS);
  });

  it('has the short name, category, status subresource and printer columns selecting conditions by type', () => {
    expect(rpsm.spec.names.shortNames).toEqual(['rpsm']);
    expect(rpsm.spec.names.categories).toEqual(['rpsquest']);
    const v = rpsm.spec.versions[0]!;
    expect(v.subresources.status).toEqual({});
    const columns = Object.fromEntries(v.additionalPrinterColumns.map((c) => [c.name, c.jsonPath]));
    expect(columns).toMatchObject({
      Algorithm: '.spec.algorithm',
      Production: '.status.aliases.Production',
      B: '.status.aliases.B',
      Latest: '.status.latestVersion',
      Accuracy: '.status.accuracy',
      Features: '.spec.featureSet',
      Ready: '.status.conditions[?(@.type=="Ready")].status',
      Age: '.metadata.creationTimestamp',
    });
  });

  const hp = root(rpsm).properties!.spec!.properties!.hyperparameters!;
  const rules = root(rpsm).properties!.spec!['x-kubernetes-validations']!;
  const trainer = HYPERPARAMETERS as unknown as Record<string, Record<string, HyperparameterSpec>>;
  const names = [...new Set(Object.values(trainer).flatMap((specs) => Object.keys(specs)))];

  it('declares exactly the trainer hyperparameters', () => {
    expect(Object.keys(hp.properties!).sort()).toEqual(names.sort());
  });

  it.each(names)(
    '%s: type and range cover the trainer definition, and a rule limits it to its algorithms',
    (name) => {
      const algorithms = Object.keys(trainer).filter((a) => name in trainer[a]!);
      const specs = algorithms.map((a) => trainer[a]![name]!);
      const prop = hp.properties![name]!;
      const kind = specs[0]!.type;
      if (kind === 'integer[]') {
        expect(prop.type).toBe('array');
        expect(prop.items).toMatchObject({ type: 'integer', minimum: specs[0]!.min, maximum: specs[0]!.max });
        expect([prop.minItems, prop.maxItems]).toEqual([specs[0]!.minItems, specs[0]!.maxItems]);
      } else if (kind === 'string') {
        expect(prop.enum?.sort()).toEqual([...(specs[0]!.enum ?? [])].sort());
      } else {
        expect(prop.type).toBe(kind);
        expect(prop.minimum).toBe(Math.min(...specs.map((s) => s.min!)));
        expect(prop.maximum).toBe(Math.max(...specs.map((s) => s.max!)));
        // a narrower range of one algorithm needs its own rule
        for (const [i, s] of specs.entries()) {
          if (s.max! < prop.maximum! || s.min! > prop.minimum!) {
            expect(
              rules.some(
                (r) =>
                  r.fieldPath === `.hyperparameters.${name}` &&
                  r.rule.includes(`self.algorithm != '${algorithms[i]}'`) &&
                  r.rule.includes(String(s.max)),
              ),
            ).toBe(true);
          }
        }
      }
      const own = rules.find(
        (r) => r.fieldPath === `.hyperparameters.${name}` && r.rule.includes('self.algorithm in'),
      );
      expect(own?.rule).toBe(
        `!has(self.hyperparameters.${name}) || self.algorithm in [${algorithms.map((a) => `'${a}'`).join(', ')}]`,
      );
    },
  );

  it('keeps every status field the operator writes (nothing is pruned)', () => {
    const status: Required<RpsModelStatus> = {
      observedGeneration: 3,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Serving',
          message: 'm',
          observedGeneration: 3,
          lastTransitionTime: 't',
        },
      ],
      latestVersion: 'v2',
      accuracy: 0.4,
      aliases: { Production: 'v1', B: 'v2', Shadow1: 'v1', Shadow2: 'v2' },
      aliasHistory: [{ time: 't', alias: 'B', from: 'v1', to: 'v2', reason: 'Ranked', message: 'm' }],
      challenge: { production: 'v1', b: 'v2', since: 't' },
      versions: [
        {
          name: 'v1',
          uri: 'u',
          sha256: 's',
          bytes: 1,
          trainedAt: 't',
          job: 'j',
          trigger: 'drift',
          triggerEvidence: 'PSI 0.300 ≥ 0.2',
          metrics: { accuracy: 1, logLoss: 1, baselineAccuracy: 1, rows: 1 },
          evaluation: {
            rows: 1,
            heldOut: 'test',
            candidate: { version: 'v1', accuracy: 0.4, logLoss: 1 },
            production: { version: 'v0', accuracy: 0.5, logLoss: 1 },
            accuracyDelta: -0.1,
            error: 'e',
            gate: { passed: false, reason: 'GateBlocked', message: 'm', maxAccuracyDeficit: 2 },
          },
          dataset: {
            events: 1,
            games: 1,
            humanEvents: 1,
            syntheticEvents: 1,
            lastEventId: 1,
            from: 't',
            to: 't',
            sha256: 's',
          },
        },
      ],
      training: {
        version: 'v3',
        job: 'j',
        trigger: 'trainNow',
        specHash: 'h',
        attempts: 1,
        lastFailedJobUid: 'u',
        lastFailureTime: 't',
        lastFailureMessage: 'm',
        nextRetryTime: 't',
        lastTrainNow: '1',
        triggerEvidence: 'e',
        lastScheduleTime: 't',
        lastTrainingTime: 't',
        nextScheduleTime: 't',
      },
      serving: { configMap: 'c', key: 'k', manifestSha256: 's', appliedAt: 't', policy: 'p' },
      promotion: { lastAppliedEvaluation: 'e', lastAppliedTime: 't' },
      triggers: {
        drift: { production: 'v1', since: 't', trainedBy: 'v2' },
        accuracyDrop: { production: 'v1', since: 't' },
      },
    };
    expect(pruned(root(rpsm).properties!.status!, status)).toEqual([]);
  });
});

describe('PromotionPolicy CRD', () => {
  it('has the short name, category and printer columns', () => {
    expect(promo.spec.names.shortNames).toEqual(['promo']);
    expect(promo.spec.names.categories).toEqual(['rpsquest']);
    const columns = promo.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name);
    expect(columns).toEqual(['Models', 'Mode', 'Last Decision', 'Ready', 'Age']);
  });

  it('keeps every status field the operator writes (nothing is pruned)', () => {
    const evaluation: Required<Evaluation> = {
      id: 'i',
      time: 't',
      since: 't',
      method: 'twoProportionZ',
      mode: 'Automatic',
      production: { version: 'v1', games: 1, wins: 1, rate: 1 },
      b: { version: 'v2', games: 1, wins: 1, rate: 1 },
      z: 1,
      pValue: 0.1,
      alpha: 0.05,
      minGames: 1,
      decision: 'Keep',
      reason: 'r',
      outcome: 'NoChange',
      aliases: { Production: 'v1', B: 'v2', Shadow1: 'v1', Shadow2: 'v1' },
      target: { Production: 'v1', B: 'v2', Shadow1: 'v1', Shadow2: 'v1' },
      ranking: [
        { version: 'v2', predictions: 1, correct: 1, accuracy: 1, ranked: true, gate: 'GateBlocked' },
      ],
    };
    const status: Required<PromotionPolicyStatus> = {
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Evaluating',
          message: 'm',
          observedGeneration: 1,
          lastTransitionTime: 't',
        },
      ],
      selectedModels: 'a,b',
      lastDecision: 'a=Keep',
      lastEvaluationTime: 't',
      lastEvaluateNow: '1700000000',
      models: [{ model: 'a', nextEvaluationTime: 't', lastEvaluation: evaluation, history: [evaluation] }],
    };
    expect(pruned(root(promo).properties!.status!, status)).toEqual([]);
  });
});
