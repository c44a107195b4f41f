import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { buildApp } from '../../app/build-app.ts';
import { seedModelCache, servingManifest, writeManifest } from '../support/app-fixtures.ts';
import { tinyOnnxModel } from '../support/tiny-onnx.ts';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
const dir = mkdtempSync(join(tmpdir(), 'app-ui-'));
let app: FastifyInstance;
let url: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  const v7 = { version: 'v7', bytes: tinyOnnxModel({ hidden: 8, seed: 7, tag: 'ui' }) };
  seedModelCache(join(dir, 'cache'), v7.bytes);
  writeManifest(join(dir, 'manifests'), servingManifest('brian', { Production: v7, B: v7 }));
  app = await buildApp({
    logger: false,
    config: {
      manifestDir: join(dir, 'manifests'),
      modelCacheDir: join(dir, 'cache'),
      dbPath: join(dir, 'games.db'),
    },
  });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function startGame(page: Page, name: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Your name').fill(name);
  await page.locator('.bot-card', { hasText: 'Brian' }).click();
  await expect.poll(() => page.locator('#play').isVisible()).toBe(true);
  expect(await page.locator('#bot-label').textContent()).toBe('Brian');
  expect(await page.locator('#player-label').textContent()).toBe(name);
}

async function playToEnd(page: Page): Promise<void> {
  const moves = ['rock', 'paper', 'scissors'];
  for (let i = 0; i < 200 && !(await page.locator('#end').isVisible()); i++) {
    const round = await page.locator('#round-label').textContent();
    // damage shown before the choice is this round's value × 10
    for (const m of moves) expect(await page.locator(`[data-dmg="${m}"]`).textContent()).toMatch(/^\d+ dmg$/);
    await page.locator(`.move[data-move="${moves[i % 3]}"]`).click();
    await page.waitForFunction(
      (before) =>
        !document.getElementById('end')!.hidden ||
        document.getElementById('round-label')!.textContent !== before,
      round,
    );
  }
}

describe('web UI', () => {
  it('plays a whole game to the end panel on a desktop screen', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url);
    const cards = await page.locator('.bot-card').allTextContents();
    expect(cards.map((c) => c.split(/neural|boosted|logistic/)[0])).toEqual(['Brian', 'Forrest', 'Logan']);
    expect(cards[0]).toContain('no games yet');
    await page.screenshot({ path: join(RESULTS, 'app-ui-bots-desktop.png') });

    await startGame(page, 'Ada');
    for (const [side, label] of [
      ['player', 'Your HP'],
      ['bot', 'Bot HP'],
    ]) {
      const bar = page.getByRole('progressbar', { name: label });
      expect(await bar.getAttribute('id')).toBe(`${side}-hp-bar`);
      expect(await page.locator(`#${side}-hp-text`).textContent()).toBe('100 HP');
      expect(await page.locator(`#${side}-hp-fill`).getAttribute('class')).toBe(`hp-fill ${side}`);
    }
    await page.locator('.move[data-move="rock"]').click();
    await expect.poll(() => page.locator('#history li').count()).toBe(1);
    await page.screenshot({ path: join(RESULTS, 'app-ui-play-desktop.png') });
    await playToEnd(page);
    await page.waitForTimeout(400); // let the HP bars finish their transition for the screenshot
    await page.screenshot({ path: join(RESULTS, 'app-ui-end-desktop.png') });
    expect(await page.locator('#end-title').textContent()).toMatch(/^(You win!|Brian wins|It's a tie)$/);
    const hp = await page
      .locator('.hp')
      .evaluateAll((bars) => bars.map((b) => b.getAttribute('aria-valuenow')));
    expect(hp.map(Number).some((v) => v < 100)).toBe(true);
    expect(await page.locator('#end-score').textContent()).toMatch(
      /^You \d+(\.\d)? – \d+(\.\d)? Brian after \d+ rounds$/,
    );
    expect(await page.locator('#end-version').textContent()).toMatch(
      /^Brian played model version v7 \((Production|B)\)$/,
    );
    expect(await page.locator('#history li').count()).toBeGreaterThan(0);

    // the finished game counts in Brian's public win rate
    await page.getByRole('button', { name: 'New game' }).click();
    await expect.poll(() => page.locator('.bot-card').first().textContent()).toMatch(/wins \d+% of 1 games/);
    await page.close();
  });

  it('is usable on a phone-sized screen', async () => {
    const page = await browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await startGame(page, 'Bo');
    await page.locator('.move[data-move="paper"]').click();
    await expect.poll(() => page.locator('#history li').count()).toBe(1);
    // the three move buttons fit side by side without horizontal scrolling
    const boxes = await Promise.all(
      ['rock', 'paper', 'scissors'].map((m) => page.locator(`.move[data-move="${m}"]`).boundingBox()),
    );
    for (const b of boxes) expect(b!.x + b!.width).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(RESULTS, 'app-ui-play-phone.png') });

    // a reload resumes the game in progress
    await page.reload();
    await expect.poll(() => page.locator('#round-label').textContent()).toBe('Round 2');
    expect(await page.locator('#player-label').textContent()).toBe('Bo');
    await playToEnd(page);
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(RESULTS, 'app-ui-end-phone.png') });
    expect(await page.locator('#end').isVisible()).toBe(true);
    await page.close();
  });
});
