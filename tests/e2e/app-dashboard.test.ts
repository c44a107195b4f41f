import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app/build-app.ts';
import { simulate } from '../../app/simulate.ts';
import {
  artifactMetadata,
  playerReference,
  seedMetadataCache,
  seedModelCache,
  servingManifest,
  writeManifest,
  type ModelVersion,
} from '../support/app-fixtures.ts';
import { launchChromium } from '../support/browser.ts';
import { tinyOnnxModel } from '../support/tiny-onnx.ts';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
const dir = mkdtempSync(join(tmpdir(), 'app-dashboard-e2e-'));
const manifests = join(dir, 'manifests');
const cache = join(dir, 'cache');
let app: FastifyInstance;
let url: string;
let browser: Browser;

// four versions leaning towards different moves, so that their accuracy lines differ
const LEANINGS: [number, number, number][] = [
  [0.04, 0, 0],
  [0, 0.04, 0],
  [0, 0, 0.04],
  [0.02, 0.02, 0],
];
const brian: ModelVersion[] = LEANINGS.map((bias, i) => ({
  version: `v${i + 1}`,
  bytes: tinyOnnxModel({ hidden: 8, seed: (i + 1) * 13, bias, tag: `dash-brian-v${i + 1}` }),
}));
// uniform probabilities: forrest plays Gus as the uniform-EV bots of the reference games did
const forrest: ModelVersion = { version: 'v1', bytes: tinyOnnxModel({ tag: 'dash-forrest' }) };

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  // both bots were trained on Gus; brian will meet Hal (drift), forrest Gus again (stable)
  const reference = playerReference('Gus', 200, 21);
  seedModelCache(cache, ...brian.map((v) => v.bytes), forrest.bytes);
  for (const v of brian) seedMetadataCache(cache, artifactMetadata('brian', v, reference));
  seedMetadataCache(cache, artifactMetadata('forrest', forrest, reference, 'gbdt'));
  const [v1, v2, v3, v4] = brian as [ModelVersion, ModelVersion, ModelVersion, ModelVersion];
  writeManifest(manifests, servingManifest('brian', { Production: v1, B: v2, Shadow1: v3 }));
  writeManifest(
    manifests,
    servingManifest('forrest', { Production: forrest }, { displayName: 'Forrest', algorithm: 'gbdt' }),
  );
  app = await buildApp({
    logger: false,
    config: {
      manifestDir: manifests,
      modelCacheDir: cache,
      dbPath: join(dir, 'games.db'),
      manifestPollMs: 500,
      driftIntervalMs: 1000,
      driftMinRows: 100,
      driftWindowRounds: 1000,
      rateLimitPerMinute: 1_000_000,
    },
  });
  url = await app.listen({ port: 0, host: '127.0.0.1' });

  const pause = () => new Promise((r) => setTimeout(r, 200)); // spread the games over the time axis
  for (let i = 0; i < 5; i++) {
    await simulate({ url, games: 2, bots: ['brian'], players: ['Hal', 'Ace'], seed: i });
    await simulate({ url, games: 10, bots: ['forrest'], players: ['Gus'], seed: 50 + i });
    await pause();
  }
  // the operator promotes B and brings in v4: the server records what it sees
  writeManifest(manifests, servingManifest('brian', { Production: v2, B: v1, Shadow1: v3, Shadow2: v4 }));
  await app.rps.watcher!.scan();
  for (let i = 0; i < 12; i++) {
    await simulate({ url, games: 3, bots: ['brian'], players: ['Hal', 'Ace', 'Edd'], seed: 10 + i });
    await simulate({ url, games: 4, bots: ['forrest'], players: ['Gus'], seed: 70 + i });
    await pause();
  }

  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const bot = (page: Page, model: string) => page.locator(`article.bot[data-bot="${model}"]`);
const points = (page: Page, model: string, chart: string) =>
  bot(page, model).locator(`[data-chart="${chart}"] .chart`).getAttribute('data-points');

describe('live dashboard', () => {
  it('draws accuracy, A/B, drift and alias history with data, and keeps updating', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const refused: string[] = [];
    page.on('console', (m) => m.text().includes('Content Security Policy') && refused.push(m.text()));
    await page.goto(`${url}/`);
    await page.locator('#dashboard-link').click();
    await page.waitForURL(`${url}/dashboard`);

    await expect.poll(() => page.locator('article.bot').count()).toBe(3);
    const chips = await bot(page, 'brian').locator('.chip').allTextContents();
    expect(chips).toEqual(['Productionv2', 'Bv1', 'Shadow1v3', 'Shadow2v4']);

    // every chart of brian has drawn data: uPlot's canvas is there and the series have points
    for (const chart of ['accuracy', 'ab', 'drift']) {
      await expect
        .poll(async () => Number(await points(page, 'brian', chart)), { timeout: 30_000 })
        .toBeGreaterThan(1);
      await expect.poll(() => bot(page, 'brian').locator(`[data-chart="${chart}"] canvas`).count()).toBe(1);
    }
    const legend = await bot(page, 'brian').locator('[data-chart="accuracy"] .u-legend').textContent();
    for (const label of ['v1 (B)', 'v2 (Production)', 'v3 (Shadow1)', 'v4 (Shadow2)'])
      expect(legend).toContain(label);
    // the canvas is not blank: some pixels differ from the panel background
    const drawn = await bot(page, 'brian')
      .locator('[data-chart="accuracy"] canvas')
      .evaluate((canvas: HTMLCanvasElement) => {
        const ctx = canvas.getContext('2d')!;
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let coloured = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) coloured++;
        return coloured;
      });
    expect(drawn).toBeGreaterThan(500);

    expect(await bot(page, 'brian').locator('.pill.p').textContent()).toMatch(/^p = (< 0\.001|\d\.\d{3})$/);
    await expect
      .poll(() => bot(page, 'brian').locator('.drift-status').getAttribute('class'))
      .toContain('drifted');
    await expect
      .poll(() => bot(page, 'forrest').locator('.drift-status').getAttribute('class'))
      .toContain(' ok');
    const changes = await bot(page, 'brian').locator('.changes li .what').allTextContents();
    expect(changes.slice(0, 3)).toEqual(['v4 → Shadow2', 'v1 → B (was v2)', 'v2 → Production (was v1)']);
    // the promotion stands out: Production took the version B held
    const promoted = bot(page, 'brian').locator('.changes li.promotion');
    expect(await promoted.locator('.what').allTextContents()).toEqual(['v2 → Production (was v1)']);
    expect(await promoted.locator('.badge').textContent()).toBe('promoted');
    expect(await bot(page, 'logan').locator('[data-chart="accuracy"] .empty').isVisible()).toBe(true);
    // the simulated players post moves without an input method: clicks
    expect(await bot(page, 'brian').locator('.inputs').textContent()).toMatch(
      /^Entered by click 100\.0% · key 0\.0% · camera 0\.0% \(of \d+ moves in the last 10000 rounds\)$/,
    );
    expect(await bot(page, 'logan').locator('.inputs').textContent()).toBe(
      'No moves in the last rounds yet.',
    );

    expect(refused).toEqual([]); // the pages' CSP lets the game and the charts do all they do
    await page.waitForTimeout(300); // uPlot draws on the next frame
    await page.screenshot({ path: join(RESULTS, 'app-dashboard-desktop.png'), fullPage: true });

    // live: new games show up without a reload (in Production's count, B's, or both)
    const summary = () => bot(page, 'brian').locator('.summary').textContent();
    const before = await summary();
    await simulate({ url, games: 6, bots: ['brian'], players: ['Hal', 'Ace'], seed: 99 });
    await expect.poll(summary, { timeout: 20_000 }).not.toBe(before);

    // every game so far was played by synthetic players: people only shows none
    await page.locator('#people-only').check();
    await expect.poll(() => bot(page, 'brian').locator('.pill.b').textContent()).toBe('B v1: no games');
    await page.close();
  });

  it('fits a phone screen', async () => {
    const page = await browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
    });
    await page.goto(`${url}/dashboard`);
    await expect.poll(async () => Number(await points(page, 'brian', 'accuracy'))).toBeGreaterThan(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(RESULTS, 'app-dashboard-phone.png') });
    await page.close();
  });
});
