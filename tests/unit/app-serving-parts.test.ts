// The parts the model registry is made of, each on its own: the A/B assignment (pure), the bot
// catalog, the retired-model cache and the per-bot manifest queue with its retries.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../core/index.ts';
import { sha256Hex } from '../../lib/artifact-store.ts';
import { assignAlias } from '../../app/serving/ab-assignment.ts';
import { BotCatalog, UnknownBotError, type ServedAlias } from '../../app/serving/bot-catalog.ts';
import { ManifestQueue, type ApplyOutcome } from '../../app/serving/manifest-queue.ts';
import { OnnxModel } from '../../app/serving/onnx-model.ts';
import { RetiredModels } from '../../app/serving/retired-models.ts';
import { tinyOnnxModel } from '../support/tiny-onnx.ts';

describe('A/B assignment', () => {
  const both = { Production: { version: 'v1' }, B: { version: 'v2' } };

  it('plays Production or B in the split’s proportion', () => {
    const random = seededRandom(5);
    let b = 0;
    for (let i = 0; i < 4000; i++)
      if (assignAlias(both, { Production: 75, B: 25 }, random).alias === 'B') b++;
    expect(b / 4000).toBeGreaterThan(0.22);
    expect(b / 4000).toBeLessThan(0.28);
    expect(assignAlias(both, { Production: 0, B: 100 }, () => 0)).toEqual({ alias: 'B', version: 'v2' });
    expect(assignAlias(both, { Production: 100, B: 0 }, () => 0.999)).toEqual({
      alias: 'Production',
      version: 'v1',
    });
  });

  it('plays whichever of the two serves, and nothing when neither does', () => {
    const split = { Production: 50, B: 50 };
    expect(assignAlias({ B: { version: 'v2' } }, split, () => 0)).toEqual({ alias: 'B', version: 'v2' });
    expect(assignAlias({ Production: { version: 'v1' } }, split, () => 0.9)).toEqual({
      alias: 'Production',
      version: 'v1',
    });
    expect(assignAlias({ Shadow1: { version: 'v3' } }, split, () => 0)).toEqual({
      alias: null,
      version: null,
    });
    expect(assignAlias(both, { Production: 0, B: 0 }, () => 0.5)).toEqual({
      alias: 'Production',
      version: 'v1',
    });
  });
});

describe('bot catalog', () => {
  it('resolves bots by model or display name, and names the bots there are otherwise', () => {
    const catalog = new BotCatalog();
    expect(catalog.resolve(' FORREST ').model).toBe('forrest');
    const err = (() => {
      try {
        catalog.resolve('Zed');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownBotError);
    expect(err).toMatchObject({ code: 'UNKNOWN_BOT', details: { bots: ['Brian', 'Forrest', 'Logan'] } });
  });

  it('lists a bot a manifest names; withdraws it when the manifest goes, a default bot stays', () => {
    const catalog = new BotCatalog();
    catalog.add('dana');
    expect(catalog.list().map((b) => b.model)).toEqual(['brian', 'forrest', 'logan', 'dana']);
    expect(catalog.report().at(-1)).toMatchObject({ model: 'dana', manifest: 'present', fallback: true });
    catalog.reset(catalog.get('dana')!);
    const brian = catalog.get('brian')!;
    brian.definition = { model: 'brian', displayName: 'Brain', algorithm: 'gbdt' };
    brian.trafficSplit = { Production: 90, B: 10 };
    catalog.reset(brian);
    expect(catalog.list()).toEqual([
      { model: 'brian', displayName: 'Brian', algorithm: 'mlp' },
      { model: 'forrest', displayName: 'Forrest', algorithm: 'gbdt' },
      { model: 'logan', displayName: 'Logan', algorithm: 'logistic' },
    ]);
    expect(catalog.report()[0]!.trafficSplit).toEqual({ Production: 50, B: 50 });
  });
});

describe('retired models', () => {
  const loaded: OnnxModel[] = [];
  afterEach(async () => {
    await Promise.all(loaded.splice(0).map((m) => m.release()));
  });

  async function served(n: number): Promise<ServedAlias> {
    const bytes = tinyOnnxModel({ hidden: 4, seed: n, tag: `retired-${n}` });
    const sha256 = sha256Hex(bytes);
    const model = await OnnxModel.load(bytes, `v${n}`, sha256);
    loaded.push(model);
    const metadata = { value: null, problem: null, retryAt: 0, fetching: null };
    return { version: `v${n}`, sha256, uri: `s3://rps-models/brian/v${n}/model.onnx`, model, metadata };
  }

  it('keeps what lost its alias, gives it back when an alias takes it again, and releases the oldest', async () => {
    const retired = new RetiredModels(2);
    const [v1, v2, v3, v4] = await Promise.all([1, 2, 3, 4].map(served));
    const release = vi.spyOn(v1!.model, 'release');
    retired.retire({ Production: v1, B: v2 }, { Production: v2 });
    expect(retired.model('v1')).toBe(v1!.model);
    retired.retire({ Production: v2 }, { Production: v1 });
    expect(retired.get(v1!.sha256)).toBeUndefined();
    expect(retired.model('v2')).toBe(v2!.model);
    retired.retire({ Production: v1, B: v3 }, { Production: v4 });
    expect(retired.models()).toEqual([v1!.model, v3!.model]);
    expect(retired.model('v2')).toBeNull();
    expect(release).not.toHaveBeenCalled();
    retired.retire({ Production: v4 }, {});
    expect(retired.models()).toEqual([v3!.model, v4!.model]);
    expect(release).toHaveBeenCalledOnce();
  });
});

describe('manifest queue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function queueOf(outcomes: Record<string, ApplyOutcome>) {
    const applied: string[] = [];
    const queue = new ManifestQueue(async (model, content) => {
      applied.push(`${model}:${content}`);
      await Promise.resolve();
      return content === null ? 'removed' : (outcomes[content] ?? 'served');
    });
    return { queue, applied };
  }

  it('applies a bot’s changes one after another, each bot on its own', async () => {
    const order: string[] = [];
    const queue = new ManifestQueue(async (model, content) => {
      order.push(`start ${model}:${content}`);
      await new Promise((r) => setImmediate(r));
      order.push(`end ${model}:${content}`);
      return 'served';
    });
    await Promise.all([
      queue.enqueue('brian', 'a'),
      queue.enqueue('brian', 'b'),
      queue.enqueue('logan', 'c'),
    ]);
    expect(order.indexOf('end brian:a')).toBeLessThan(order.indexOf('start brian:b'));
    expect(order.indexOf('start logan:c')).toBeLessThan(order.indexOf('end brian:a'));
  });

  it('retries a failed application until it is served; a rejected file is not retried', async () => {
    vi.useFakeTimers();
    const outcomes: Record<string, ApplyOutcome> = { broken: 'failed', bad: 'rejected' };
    const { queue, applied } = queueOf(outcomes);
    await queue.enqueue('brian', 'broken');
    await vi.runOnlyPendingTimersAsync();
    await queue.settled();
    expect(applied).toEqual(['brian:broken', 'brian:broken']);
    outcomes.broken = 'served';
    await vi.runOnlyPendingTimersAsync();
    await queue.settled();
    expect(applied).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
    await queue.enqueue('brian', 'bad');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drops a pending retry when the next change arrives, and stops retrying once closed', async () => {
    vi.useFakeTimers();
    const { queue, applied } = queueOf({ broken: 'failed' });
    await queue.enqueue('brian', 'broken');
    expect(vi.getTimerCount()).toBe(1);
    await queue.enqueue('brian', 'fixed');
    expect(vi.getTimerCount()).toBe(0);
    await queue.enqueue('logan', 'broken');
    await queue.enqueue('logan', null);
    await vi.runOnlyPendingTimersAsync();
    await queue.enqueue('forrest', 'broken');
    await queue.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(applied).toEqual(['brian:broken', 'brian:fixed', 'logan:broken', 'logan:null', 'forrest:broken']);
  });
});
