// "Play with your camera" in Debian's Chromium (headless, software WebGL) with the fake camera showing
// the committed open-hand photo: from switching the camera on to the hand tracker loaded
// (modelReadyMs) and to the first hand read (firstDetectionMs), then hand-tracker frames per second
// over BENCH_CAMERA_READINGS readings (default 30).
// Prints one JSON object as its last line: { modelReadyMs, firstDetectionMs, framesPerSecond, ... }.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../app/build-app.ts';
import { launchChromium } from '../tests/support/browser.ts';
import { OPEN_HAND_PHOTO, fakeCameraArgs } from '../tests/support/fake-camera.ts';

const READINGS = Number(process.env.BENCH_CAMERA_READINGS ?? 30);
const dir = mkdtempSync(join(tmpdir(), 'bench-camera-'));
const app = await buildApp({
  logger: false,
  config: { manifestDir: join(dir, 'manifests'), modelCacheDir: join(dir, 'cache') },
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
const browser = await launchChromium(fakeCameraArgs(OPEN_HAND_PHOTO, dir, 'open-hand'));
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('.bot-card').first().click();
  await page.locator('#play').waitFor();
  await page.locator('#camera-toggle').check();
  const data = async () =>
    (await page.locator('#camera').evaluate((el) => ({ ...(el as HTMLElement).dataset }))) as Record<
      string,
      string | undefined
    >;
  await page.waitForFunction(
    () => document.getElementById('camera')!.dataset.firstDetectionMs !== undefined,
    null,
    {
      timeout: 600_000,
    },
  );
  const first = await data();
  const t0 = performance.now();
  const r0 = Number(first.readings);
  await page.waitForFunction(
    (n) => Number(document.getElementById('camera')!.dataset.readings) >= n,
    r0 + READINGS,
    { timeout: 600_000, polling: 100 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const last = await data();
  console.log(
    JSON.stringify({
      modelReadyMs: Number(first.modelReadyMs),
      firstDetectionMs: Number(first.firstDetectionMs),
      framesPerSecond: Math.round(((Number(last.readings) - r0) / seconds) * 10) / 10,
      gesture: last.gesture,
      readings: Number(last.readings) - r0,
      cpus: cpus().length,
      loadAverage: Math.round(loadavg()[0]! * 10) / 10,
    }),
  );
} finally {
  await browser.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
