// Chromium's fake camera plays a .y4m file in a loop; these are made at test time from the photos
// committed in tests/e2e/fixtures (OpenCV's tutorials; origin and licence in its README).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { CHROMIUM_ARGS } from './browser.ts';

const FIXTURES = join(import.meta.dirname, '..', 'e2e', 'fixtures');
/** A real photo of an open hand (OpenCV's tutorials, 640×480). */
export const OPEN_HAND_PHOTO = join(FIXTURES, 'open-hand.jpg');
/** A real photo without a hand: a building (OpenCV's Hough lines tutorial). */
export const NO_HAND_PHOTO = join(FIXTURES, 'no-hand.jpg');

export const FRAME_WIDTH = 640;
export const FRAME_HEIGHT = 480;

/** The photo, scaled to cover 640×480 (centre crop), as one frame of a 4:2:0 YUV4MPEG2 file. */
export function photoToY4m(photo: string): Buffer {
  const img = jpeg.decode(readFileSync(photo), { useTArray: true, formatAsRGBA: true });
  const W = FRAME_WIDTH;
  const H = FRAME_HEIGHT;
  const scale = Math.max(W / img.width, H / img.height);
  const ox = (img.width - W / scale) / 2;
  const oy = (img.height - H / scale) / 2;
  const rgb = (x: number, y: number): [number, number, number] => {
    const sx = Math.min(img.width - 1, Math.floor(ox + x / scale));
    const sy = Math.min(img.height - 1, Math.floor(oy + y / scale));
    const i = (sy * img.width + sx) * 4;
    return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
  };
  const yPlane = Buffer.alloc(W * H);
  const uPlane = Buffer.alloc((W / 2) * (H / 2));
  const vPlane = Buffer.alloc((W / 2) * (H / 2));
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [r, g, b] = rgb(x, y);
      yPlane[y * W + x] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
    }
  }
  // full-range BT.601 chroma (C420jpeg), from the centre of each 2×2 block
  for (let y = 0; y < H / 2; y++) {
    for (let x = 0; x < W / 2; x++) {
      const [r, g, b] = rgb(2 * x + 1, 2 * y + 1);
      uPlane[y * (W / 2) + x] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      vPlane[y * (W / 2) + x] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  const header = Buffer.from(`YUV4MPEG2 W${W} H${H} F30:1 Ip A1:1 C420jpeg\nFRAME\n`, 'ascii');
  return Buffer.concat([header, yPlane, uPlane, vPlane]);
}

/** Writes the photo's .y4m into `dir` and returns Chromium's flags for a camera that shows it. */
export function fakeCameraArgs(photo: string, dir: string, name: string): string[] {
  const file = join(dir, `${name}.y4m`);
  writeFileSync(file, photoToY4m(photo));
  return [
    ...CHROMIUM_ARGS,
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${file}`,
    // software WebGL for the hand tracker (headless, no GPU)
    '--enable-unsafe-swiftshader',
  ];
}
