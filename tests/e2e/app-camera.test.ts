import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app/build-app.ts';
import { CHROMIUM_ARGS, launchChromium } from '../support/browser.ts';
import { NO_HAND_PHOTO, OPEN_HAND_PHOTO, fakeCameraArgs } from '../support/fake-camera.ts';

// Chromium's fake camera shows a photo; MediaPipe Hands runs on software WebGL, which on a busy
// 2-core machine takes seconds per frame, hence the long polls (no timing is asserted).
const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
const SLOW = { timeout: 240_000, interval: 500 };
const dir = mkdtempSync(join(tmpdir(), 'app-camera-'));
let app: FastifyInstance;
let url: string;
let browser: Browser | undefined;

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  app = await buildApp({
    logger: false,
    config: { manifestDir: join(dir, 'manifests'), modelCacheDir: join(dir, 'cache') },
  });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A page in a game against Brian, recording every URL it requests. */
async function startGame(args: string[]): Promise<{ page: Page; requests: string[]; refused: string[] }> {
  browser = await launchChromium(args);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const refused: string[] = [];
  page.on('console', (m) => m.text().includes('Content Security Policy') && refused.push(m.text()));
  await page.goto(url);
  await page.locator('.bot-card', { hasText: 'Brian' }).click();
  await expect.poll(() => page.locator('#play').isVisible()).toBe(true);
  return { page, requests, refused };
}

const data = (page: Page, key: string) =>
  page.locator('#camera').evaluate((el, k) => (el as HTMLElement).dataset[k] ?? null, key);

async function metric(name: string, labels: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('playing with the camera', () => {
  it('reads the open hand of a real photo as paper and plays one round while it is held', async () => {
    const { page, requests, refused } = await startGame(fakeCameraArgs(OPEN_HAND_PHOTO, dir, 'open-hand'));
    await page.getByLabel('Play with your camera').check();
    await expect.poll(() => page.locator('#camera-gesture').textContent(), SLOW).toBe('paper');
    expect(await page.locator('#camera-confidence').textContent()).toMatch(/^\d+%$/);
    // the landmarks are drawn over the preview
    const drawn = await page.locator('#camera-overlay').evaluate((c: HTMLCanvasElement) =>
      c
        .getContext('2d')!
        .getImageData(0, 0, c.width, c.height)
        .data.some((v, i) => i % 4 === 3 && v > 0),
    );
    expect(drawn).toBe(true);

    await expect.poll(() => page.locator('#history li').count(), SLOW).toBe(1);
    expect(await page.locator('#history li').first().textContent()).toMatch(
      /^R1: paper vs (rock|paper|scissors)/,
    );
    expect(await page.locator('#last-result').textContent()).toMatch(/your paper vs Brian's/);
    // the next round's values are shown, and the buttons still work
    for (const m of ['rock', 'paper', 'scissors']) {
      expect(await page.locator(`[data-dmg="${m}"]`).textContent()).toMatch(/^\d+ dmg$/);
    }
    await page.screenshot({ path: join(RESULTS, 'app-camera-paper.png') });

    // the same hand held on: no second round until something else is read
    const readings = Number(await data(page, 'readings'));
    await expect.poll(async () => Number(await data(page, 'readings')), SLOW).toBeGreaterThan(readings + 3);
    expect(await page.locator('#history li').count()).toBe(1);
    expect(await metric('rpsq_move_inputs_total', 'bot="brian",input="camera"')).toBe(1);

    // every request went to this server: MediaPipe's scripts, wasm and models included, none refused
    expect(refused).toEqual([]);
    expect(requests.filter((r) => !r.startsWith(url))).toEqual([]);
    expect(
      requests.some((r) => /\/vendor\/mediapipe\/hands\/[\d.]+\/hands_solution_\w*wasm_bin\.wasm$/.test(r)),
    ).toBe(true);
  });

  it('plays nothing when the picture shows no hand', async () => {
    const { page } = await startGame(fakeCameraArgs(NO_HAND_PHOTO, dir, 'no-hand'));
    await page.getByLabel('Play with your camera').check();
    await expect.poll(async () => Number(await data(page, 'readings')), SLOW).toBeGreaterThan(5);
    expect(await page.locator('#camera-gesture').textContent()).toBe('no hand');
    expect(await data(page, 'firstDetectionMs')).toBeNull();
    expect(await page.locator('#history li').count()).toBe(0);
    expect(await page.locator('#camera-error').isVisible()).toBe(false);
  });

  it('falls back to the buttons with a message when the camera is blocked', async () => {
    const { page } = await startGame([
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--deny-permission-prompts',
    ]);
    const clicksBefore = await metric('rpsq_move_inputs_total', 'bot="brian",input="click"');
    // click, not check: the switch turns itself off again as soon as the camera is refused
    await page.getByLabel('Play with your camera').click();
    await expect
      .poll(() => page.locator('#camera-error').textContent(), SLOW)
      .toBe('Camera: the camera is blocked for this page (permission refused). The buttons still work.');
    expect(await page.getByLabel('Play with your camera').isChecked()).toBe(false);
    expect(await page.locator('#camera').isVisible()).toBe(false);
    await page.screenshot({ path: join(RESULTS, 'app-camera-blocked.png') });
    await page.locator('.move[data-move="rock"]').click();
    await expect.poll(() => page.locator('#history li').count()).toBe(1);
    expect(await metric('rpsq_move_inputs_total', 'bot="brian",input="click"')).toBe(clicksBefore + 1);
  });

  it('says no camera was found when the machine has none, and the buttons still work', async () => {
    // permission granted, but no fake device: Chromium sees the (camera-less) machine's devices
    const { page } = await startGame([...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream']);
    await page.getByLabel('Play with your camera').click();
    await expect
      .poll(() => page.locator('#camera-error').textContent(), SLOW)
      .toBe('Camera: no camera was found. The buttons still work.');
    expect(await page.getByLabel('Play with your camera').isChecked()).toBe(false);
    expect(await page.locator('#camera').isVisible()).toBe(false);
    await page.locator('.move[data-move="scissors"]').click();
    await expect.poll(() => page.locator('#history li').count()).toBe(1);
  });

  it('says so when the hand tracker stops mid-run, keeps the buttons, and loads a new one when switched on again', async () => {
    const { page } = await startGame(fakeCameraArgs(OPEN_HAND_PHOTO, dir, 'open-hand-lost'));
    await page.getByLabel('Play with your camera').check();
    await expect.poll(async () => Number(await data(page, 'readings')), SLOW).toBeGreaterThan(0);
    // more WebGL contexts than Chromium keeps: it takes the oldest away, the tracker's among them
    await page.evaluate(() => {
      const kept = Array.from({ length: 20 }, () => document.createElement('canvas').getContext('webgl2'));
      Object.assign(window, { kept });
    });
    await expect
      .poll(() => page.locator('#camera-error').textContent(), SLOW)
      .toBe('Camera: the hand tracker stopped (its WebGL context was lost). The buttons still work.');
    expect(await page.getByLabel('Play with your camera').isChecked()).toBe(false);
    expect(await page.locator('#camera').isVisible()).toBe(false);
    const rounds = await page.locator('#history li').count();
    await page.locator('.move[data-move="rock"]').click();
    await expect.poll(() => page.locator('#history li').count()).toBe(rounds + 1);

    // switched on again, a new tracker reads the hand
    await page.evaluate(() => Object.assign(window, { kept: null }));
    await page.getByLabel('Play with your camera').check();
    await expect.poll(() => page.locator('#camera-gesture').textContent(), SLOW).toBe('paper');
    expect(await page.locator('#camera-error').isVisible()).toBe(false);
  });

  it('says so when the browser has no WebGL, and the buttons still work', async () => {
    const { page } = await startGame([
      ...CHROMIUM_ARGS,
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--disable-3d-apis',
    ]);
    await page.getByLabel('Play with your camera').click();
    await expect
      .poll(() => page.locator('#camera-error').textContent(), SLOW)
      .toBe('Camera: this browser has no WebGL, which the hand tracker needs. The buttons still work.');
    await page.keyboard.press('s');
    await expect.poll(() => page.locator('#history li').count()).toBe(1);
  });

  it('says so when the hand tracker does not load, and the buttons still work', async () => {
    const { page, requests } = await startGame(fakeCameraArgs(OPEN_HAND_PHOTO, dir, 'open-hand-unloaded'));
    await page.route('**/vendor/mediapipe/**', (route) => route.abort());
    await page.getByLabel('Play with your camera').click();
    await expect
      .poll(() => page.locator('#camera-error').textContent(), SLOW)
      .toMatch(
        /^Camera: the hand tracker did not load \(\/vendor\/mediapipe\/hands\/[\d.]+\/hands\.js\)\. The buttons still work\.$/,
      );
    expect(requests.some((r) => r.endsWith('/hands.js'))).toBe(true);
    expect(await page.getByLabel('Play with your camera').isChecked()).toBe(false);
    await page.locator('.move[data-move="paper"]').click();
    await expect.poll(() => page.locator('#history li').count()).toBe(1);
  });
});
