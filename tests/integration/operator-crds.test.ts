import type { V1ConfigMap } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../hack/harness/index.ts';
import { Informer, type ListResult } from '../../operator/informer.ts';
import { apiMessage, type Kube } from '../../operator/kube.ts';
import { startCrdServer, type CrdServer } from './crd-server.ts';
import { eventually } from './operator-fixtures.ts';

const NS = 'crd-test';
let server: CrdServer;
let cp: ControlPlane;
let kube: Kube;
let kubectl: CrdServer['kubectl'];

beforeAll(async () => {
  server = await startCrdServer(NS);
  ({ cp, kube, kubectl } = server);
});

afterAll(async () => {
  await server?.stop();
});

const plural = (kind: string) => (kind === 'RpsModel' ? 'rpsmodels' : 'promotionpolicies');

async function create(
  kind: 'RpsModel' | 'PromotionPolicy',
  name: string,
  spec: unknown,
): Promise<string | null> {
  try {
    await kube.custom.createNamespacedCustomObject({
      group: 'rpsquest.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: plural(kind),
      body: { apiVersion: 'rpsquest.dev/v1alpha1', kind, metadata: { name }, spec },
    });
    return null;
  } catch (err) {
    return apiMessage(err);
  }
}

const model = (over: Record<string, unknown> = {}) => ({ displayName: 'Brian', algorithm: 'mlp', ...over });
const policy = (over: Record<string, unknown> = {}) => ({ models: ['brian'], ...over });

describe('the CRDs on a real API server', () => {
  it('are installed with short names, the rpsquest category and documentation for kubectl explain', async () => {
    // the API server publishes the CRD's OpenAPI a moment after it is Established
    const explain = await eventually(
      'kubectl explain',
      () => kubectl('explain', 'rpsm.spec.training.schedule'),
      30_000,
    );
    expect(explain).toContain('Cron schedule');
    const promo = await kubectl('explain', 'promo.spec.test.twoProportionZ');
    expect(promo).toContain('One-sided pooled two-proportion z-test');
    // ranges and defaults from the hyperparameter schema, and the status documented
    const explainOne = async (field: string) => (await kubectl('explain', field)).replace(/\s+/g, ' ');
    expect(await explainOne('rpsm.spec.hyperparameters.learningRate')).toContain(
      'default 0.003 for mlp, 0.01 for logistic; allowed: a number in [0.00001, 1]',
    );
    expect(await explainOne('rpsm.spec.hyperparameters.dropout')).toContain('a number in [0, 0.9]');
    expect(await explainOne('rpsm.spec.hyperparameters.subsample')).toContain('a number in [0.1, 1]');
    expect(await explainOne('promo.spec.test.twoProportionZ.alpha')).toContain('above 0 and at most 0.5');
    // the fields of list items too: a search's values and a trigger's bounds
    expect(await explainOne('rpsm.spec.search.random.ranges.depth.values')).toContain(
      'The values to pick from, each an integer in [1, 12]',
    );
    expect(await explainOne('rpsm.spec.training.triggers.points')).toContain('a number in [0, 100]');
    expect(await explainOne('rpsm.status.versions.metrics.accuracy')).toContain('a fraction');
    expect(await explainOne('rpsm.status.challenge.since')).toContain('game counts start here');
    expect(await explainOne('promo.status.models.lastEvaluation.pValue')).toContain('p-value');
    expect(await create('RpsModel', 'brian', model())).toBeNull();
    expect(await create('PromotionPolicy', 'default', policy())).toBeNull();
    const all = await kubectl('get', 'rpsquest', '-o', 'name');
    expect(all.split('\n').filter(Boolean).sort()).toEqual([
      'promotionpolicy.rpsquest.dev/default',
      'rpsmodel.rpsquest.dev/brian',
    ]);
    const header = (await kubectl('get', 'rpsm')).split('\n')[0]!;
    expect(header.split(/\s{2,}/)).toEqual([
      'NAME',
      'ALGORITHM',
      'PRODUCTION',
      'B',
      'LATEST',
      'ACCURACY',
      'READY',
      'AGE',
    ]);
    expect((await kubectl('get', 'promo')).split('\n')[0]!.split(/\s{2,}/)).toEqual([
      'NAME',
      'MODELS',
      'MODE',
      'LAST DECISION',
      'READY',
      'AGE',
    ]);
  });

  it('fill the defaults', async () => {
    const m = (await kube.custom.getNamespacedCustomObject({
      group: 'rpsquest.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'rpsmodels',
      name: 'brian',
    })) as { spec: Record<string, Record<string, unknown>> };
    expect(m.spec.training).toMatchObject({
      suspend: false,
      minNewEvents: 500,
      minTotalEvents: 1000,
    });
    // the retry delays default from each other in the operator, so the schema fills neither
    expect(m.spec.training).not.toHaveProperty('retryDelaySeconds');
    expect(m.spec.training).not.toHaveProperty('maxRetryDelaySeconds');
    expect(m.spec.retention).toEqual({ keepVersions: 5, deleteArtifactsOnDelete: false });
    expect(m.spec.serving).toEqual({ deploymentName: 'rps-quest-game' });
    expect(m.spec.featureSet).toBe('rps-features/v2');
    const p = (await kube.custom.getNamespacedCustomObject({
      group: 'rpsquest.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'promotionpolicies',
      name: 'default',
    })) as { spec: Record<string, unknown> };
    expect(p.spec).toMatchObject({
      interval: '5m',
      mode: 'Automatic',
      test: { twoProportionZ: { alpha: 0.05, minGames: 100 } },
      trafficSplit: { Production: 0.5, B: 0.5 },
      shadowRanking: { minPredictions: 200 },
      newVersionAlias: 'Shadow2',
      includeSyntheticPlayers: false,
    });
  });

  const invalidModels: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown algorithm', model({ algorithm: 'svm' }), /spec\.algorithm: Unsupported value: "svm"/],
    [
      'a hyperparameter of another algorithm',
      model({ hyperparameters: { trees: 10 } }),
      /spec\.hyperparameters\.trees: Forbidden: trees is a hyperparameter of algorithm gbdt only, not of mlp/,
    ],
    [
      'dropout out of range',
      model({ hyperparameters: { dropout: 0.95 } }),
      /spec\.hyperparameters\.dropout: .*must be a number in \[0, 0\.9\]/,
    ],
    [
      'l2 above the mlp range',
      model({ hyperparameters: { l2: 5 } }),
      /spec\.hyperparameters\.l2: .*for algorithm mlp, l2 must be a number in \[0, 1\]/,
    ],
    [
      'too many hidden layers',
      model({ hyperparameters: { hiddenUnits: [8, 8, 8, 8, 8] } }),
      /spec\.hyperparameters\.hiddenUnits: Too many/,
    ],
    [
      'a hidden layer of zero units',
      model({ hyperparameters: { hiddenUnits: [0] } }),
      /spec\.hyperparameters\.hiddenUnits\[0\]/,
    ],
    [
      'an unknown class weighting',
      model({ algorithm: 'logistic', hyperparameters: { classWeights: 'heavy' } }),
      /spec\.hyperparameters\.classWeights: Unsupported value: "heavy"/,
    ],
    [
      'a gbdt depth out of range',
      model({ algorithm: 'gbdt', hyperparameters: { depth: 13 } }),
      /spec\.hyperparameters\.depth: Invalid value: 13/,
    ],
    [
      'a schedule that is not cron',
      model({ training: { schedule: 'every day' } }),
      /spec\.training\.schedule: .*five fields/,
    ],
    [
      'a cron schedule with six fields',
      model({ training: { schedule: '0 0 3 * * *' } }),
      /spec\.training\.schedule: .*five fields/,
    ],
    [
      'a pin that is not vN',
      model({ aliases: { Production: '3' } }),
      /spec\.aliases\.Production: .*should match '\^v\[1-9\]\[0-9\]\*\$'/,
    ],
    ['a pin to v0', model({ aliases: { B: 'v0' } }), /spec\.aliases\.B: /],
    [
      'keepVersions of zero',
      model({ retention: { keepVersions: 0 } }),
      /spec\.retention\.keepVersions: Invalid value: 0/,
    ],
    ['no displayName', { algorithm: 'mlp' }, /spec\.displayName: Required value/],
    [
      'a deployment name that is not a DNS label',
      model({ serving: { deploymentName: 'Game_Server' } }),
      /spec\.serving\.deploymentName/,
    ],
    [
      'a retry delay cap below the delay',
      model({ training: { retryDelaySeconds: 60, maxRetryDelaySeconds: 10 } }),
      /spec\.training\.maxRetryDelaySeconds: .*at least retryDelaySeconds/,
    ],
    [
      'a drift threshold on the accuracyDrop trigger',
      model({ training: { triggers: [{ type: 'accuracyDrop', threshold: 0.3 }] } }),
      /spec\.training\.triggers\[0\]\.threshold: Forbidden: threshold belongs to the drift trigger only/,
    ],
    [
      'the same trigger twice',
      model({ training: { triggers: [{ type: 'drift' }, { type: 'drift', threshold: 0.3 }] } }),
      /spec\.training\.triggers\[1\]: Duplicate value/,
    ],
    [
      'an unknown input method',
      model({ training: { inputs: ['click', 'voice'] } }),
      /spec\.training\.inputs\[1\]: Unsupported value: "voice"/,
    ],
    [
      'an input method twice',
      model({ training: { inputs: ['click', 'click'] } }),
      /spec\.training\.inputs\[1\]: Duplicate value/,
    ],
    [
      'an accuracy drop above 100 points',
      model({ training: { triggers: [{ type: 'accuracyDrop', points: 150 }] } }),
      /spec\.training\.triggers\[0\]\.points: Invalid value: 150/,
    ],
  ];

  it.each(invalidModels)('rejects an RpsModel with %s, naming the field', async (_what, spec, message) => {
    const error = await create('RpsModel', 'invalid', spec);
    expect(error).toMatch(message);
  });

  const invalidPolicies: [string, Record<string, unknown>, RegExp][] = [
    [
      'a traffic split not summing to 1',
      policy({ trafficSplit: { Production: 0.7, B: 0.7 } }),
      /spec\.trafficSplit: .*Production and B must sum to 1/,
    ],
    [
      'a traffic share above 1',
      policy({ trafficSplit: { Production: 1.5, B: -0.5 } }),
      /spec\.trafficSplit\.Production: Invalid value: 1\.5/,
    ],
    ['an unknown mode', policy({ mode: 'Auto' }), /spec\.mode: Unsupported value: "Auto"/],
    [
      'both models and a selector',
      policy({ selector: { matchLabels: { a: 'b' } } }),
      /spec: .*set exactly one of models .* or selector/,
    ],
    ['neither models nor a selector', { interval: '5m' }, /spec: .*set exactly one of models/],
    [
      'two tests at once',
      policy({ test: { twoProportionZ: {}, leadAfterGames: {} } }),
      /spec\.test: .*set exactly one of twoProportionZ or leadAfterGames/,
    ],
    [
      'alpha of zero',
      policy({ test: { twoProportionZ: { alpha: 0 } } }),
      /spec\.test\.twoProportionZ\.alpha: .*must be a number above 0 and at most 0\.5/,
    ],
    [
      'an interval that is not a duration',
      policy({ interval: '5 minutes' }),
      /spec\.interval: .*got "5 minutes"/,
    ],
    ['an interval below 5s', policy({ interval: '1s' }), /spec\.interval: .*from 5s to 168h, got "1s"/],
    [
      'new versions entering Production',
      policy({ newVersionAlias: 'Production' }),
      /spec\.newVersionAlias: Unsupported value: "Production"/,
    ],
    [
      'an entry gate deficit above 100 points',
      policy({ entryGate: { maxAccuracyDeficit: 101 } }),
      /spec\.entryGate\.maxAccuracyDeficit: Invalid value: 101/,
    ],
    [
      'an entry gate without its deficit',
      policy({ entryGate: {} }),
      /spec\.entryGate\.maxAccuracyDeficit: Required value/,
    ],
    [
      'an In expression without values',
      { selector: { matchExpressions: [{ key: 'a', operator: 'In' }] } },
      /spec\.selector\.matchExpressions\[0\]: .*need values/,
    ],
  ];

  it.each(invalidPolicies)(
    'rejects a PromotionPolicy with %s, naming the field',
    async (_what, spec, message) => {
      const error = await create('PromotionPolicy', 'invalid', spec);
      expect(error).toMatch(message);
    },
  );

  it('accepts a feature set and a search, and refuses an unknown set or a search of both kinds, naming the field', async () => {
    expect(
      await create(
        'RpsModel',
        'searching',
        model({
          algorithm: 'logistic',
          featureSet: 'rps-features/v1',
          search: { random: { budget: 12, seed: 3, ranges: { l2: { min: 0.0001, max: 0.1, log: true } } } },
        }),
      ),
    ).toBeNull();
    expect(
      await create(
        'RpsModel',
        'listing',
        model({ search: { candidates: [{ dropout: 0.2 }, { dropout: 0.4 }] } }),
      ),
    ).toBeNull();
    expect(await create('RpsModel', 'unknown-set', model({ featureSet: 'rps-features/v3' }))).toMatch(
      /spec.featureSet: Unsupported value: "rps-features\/v3": supported values: "rps-features\/v1", "rps-features\/v2"/,
    );
    expect(
      await create(
        'RpsModel',
        'both',
        model({ search: { candidates: [{}], random: { budget: 2, ranges: {} } } }),
      ),
    ).toMatch(/spec.search: Invalid value: "object": search needs exactly one of candidates or random/);
    expect(
      await create('RpsModel', 'budget', model({ search: { random: { budget: 65, ranges: {} } } })),
    ).toMatch(
      /spec.search.random.budget: Invalid value: 65: spec.search.random.budget in body should be less than or equal to 64/,
    );
  });

  it('rejects changing the algorithm of an existing model', async () => {
    const current = (await kube.custom.getNamespacedCustomObject({
      group: 'rpsquest.dev',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'rpsmodels',
      name: 'brian',
    })) as { spec: Record<string, unknown> };
    const error = await kube.custom
      .replaceNamespacedCustomObject({
        group: 'rpsquest.dev',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'rpsmodels',
        name: 'brian',
        body: { ...current, spec: { ...current.spec, algorithm: 'gbdt', hyperparameters: {} } },
      })
      .then(
        () => null,
        (err: unknown) => apiMessage(err),
      );
    expect(error).toMatch(/spec\.algorithm: .*algorithm is immutable; create a new RpsModel/);
  });
});

describe('informer on the real API server', () => {
  it('reports adds, updates and deletes, and after a broken watch with an expired resourceVersion lists again', async () => {
    const seen: string[] = [];
    const informer = new Informer<V1ConfigMap & { metadata: { name: string } }>({
      name: 'test',
      kubeConfig: cp.kubeConfig,
      log: pino({ level: 'silent' }),
      path: `/api/v1/namespaces/${NS}/configmaps`,
      labelSelector: 'informer-test=yes',
      retryMs: 50,
      list: async () =>
        (await kube.core.listNamespacedConfigMap({
          namespace: NS,
          labelSelector: 'informer-test=yes',
        })) as ListResult<V1ConfigMap & { metadata: { name: string } }>,
    });
    informer.on((event, obj) => seen.push(`${event} ${obj.metadata.name}`));
    const cm = (name: string, data: Record<string, string>) => ({
      metadata: { name, labels: { 'informer-test': 'yes' } },
      data,
    });
    await kube.core.createNamespacedConfigMap({ namespace: NS, body: cm('one', { a: '1' }) });
    await informer.start();
    expect(seen).toEqual(['add one']);
    await kube.core.replaceNamespacedConfigMap({ name: 'one', namespace: NS, body: cm('one', { a: '2' }) });
    await kube.core.createNamespacedConfigMap({ namespace: NS, body: cm('two', {}) });
    await eventually('watch events', async () => seen.length === 3);
    expect(seen.slice(1)).toEqual(['update one', 'add two']);

    // break the watch and make its resourceVersion too old: the informer must relist
    const internals = informer as unknown as { resourceVersion: string; abort?: AbortController };
    internals.resourceVersion = '1';
    internals.abort?.abort();
    await kube.core.deleteNamespacedConfigMap({ name: 'one', namespace: NS });
    await kube.core.createNamespacedConfigMap({ namespace: NS, body: cm('three', {}) });
    await eventually('relisted', async () => informer.list().length === 2 && !informer.get(NS, 'one'));
    expect(seen).toContain('delete one');
    expect(seen).toContain('add three');
    expect(informer.get(NS, 'two')?.metadata.name).toBe('two');
    await informer.stop();
  });
});
