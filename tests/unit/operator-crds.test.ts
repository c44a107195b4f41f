import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as parseYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { generateRpsModelCrd, RPS_MODEL_CRD } from '../../hack/generate-crds.ts';
import { HYPERPARAMETERS, type HyperparameterSpec } from '../../trainer/hyperparameters.ts';
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

/** The property paths under `schema` without a description (what `kubectl explain` would leave blank). */
function undocumented(schema: Schema & { description?: string }, at: string): string[] {
  const out: string[] = [];
  for (const [k, sub] of Object.entries(schema.properties ?? {})) {
    const s = sub as Schema & { description?: string };
    if (!s.description) out.push(`${at}.${k}`);
    out.push(...undocumented(s, `${at}.${k}`));
    if (s.items) out.push(...undocumented(s.items, `${at}.${k}[]`));
  }
  return out;
}

describe('kubectl explain', () => {
  it.each([
    ['RpsModel', 'spec'],
    ['RpsModel', 'status'],
    ['PromotionPolicy', 'spec'],
    ['PromotionPolicy', 'status'],
  ])('documents every field of the %s %s', (kind, part) => {
    const schema = root(kind === 'RpsModel' ? rpsm : promo).properties![part]!;
    expect(undocumented(schema, part)).toEqual([]);
  });

  /** Fields whose minimum or maximum their description does not state (explain shows no bounds). */
  function unstatedRanges(schema: Schema & { description?: string }, at: string, listText = ''): string[] {
    const out: string[] = [];
    for (const [k, sub] of Object.entries(schema.properties ?? {})) {
      const s = sub as Schema & { description?: string };
      const text = (s.description ?? '').replace(/(\d),(\d)/g, '$1$2');
      const bounds = [s.minimum, s.maximum].filter((b) => b !== undefined);
      if (bounds.some((b) => !text.includes(String(b)))) out.push(`${at}.${k}`);
      out.push(...unstatedRanges(s, `${at}.${k}`));
    }
    // a list's items (also a list's lists): kubectl explain shows them under the list's description
    if (schema.items) {
      const items = schema.items as Schema & { description?: string };
      const text = `${listText} ${schema.description ?? ''} ${items.description ?? ''}`;
      const bounds = [items.minimum, items.maximum].filter((b) => b !== undefined);
      if (bounds.some((b) => !text.replace(/(\d),(\d)/g, '$1$2').includes(String(b)))) out.push(`${at}[]`);
      out.push(...unstatedRanges(items, `${at}[]`, text));
    }
    return out;
  }

  it.each([
    ['RpsModel', rpsm],
    ['PromotionPolicy', promo],
  ])('states the range of every bounded %s spec field', (_kind, crd) => {
    expect(unstatedRanges(root(crd).properties!.spec!, 'spec')).toEqual([]);
  });
});

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

  it('is current: its hyperparameter schema and rules are what make generate writes from trainer/hyperparameters.ts', async () => {
    const text = readFileSync(RPS_MODEL_CRD, 'utf8');
    expect(await generateRpsModelCrd(text), 'crds/rpsmodels.yaml is stale: run make generate').toBe(text);
  });

  it('declares exactly the trainer hyperparameters, each rule-bound to its algorithms', () => {
    const hp = root(rpsm).properties!.spec!.properties!.hyperparameters!;
    const rules = root(rpsm).properties!.spec!['x-kubernetes-validations']!;
    const trainer = HYPERPARAMETERS as unknown as Record<string, Record<string, HyperparameterSpec>>;
    const names = [...new Set(Object.values(trainer).flatMap((specs) => Object.keys(specs)))];
    expect(Object.keys(hp.properties!).sort()).toEqual(names.sort());
    for (const name of names) {
      const algorithms = Object.keys(trainer).filter((a) => name in trainer[a]!);
      expect(rules.map((r) => r.rule)).toContain(
        `!has(self.hyperparameters.${name}) || self.algorithm in [${algorithms.map((a) => `'${a}'`).join(', ')}]`,
      );
    }
  });

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
