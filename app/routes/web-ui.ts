import { createReadStream, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

const FILES: Record<string, { file: string; type: string; vendored?: true }> = {
  '/': { file: 'index.html', type: HTML },
  '/app.js': { file: 'app.js', type: JS },
  '/camera.js': { file: 'camera.js', type: JS },
  '/gesture.js': { file: 'gesture.js', type: JS },
  '/dom.js': { file: 'dom.js', type: JS },
  '/base.css': { file: 'base.css', type: CSS },
  '/styles.css': { file: 'styles.css', type: CSS },
  '/dashboard': { file: 'dashboard.html', type: HTML },
  '/dashboard.js': { file: 'dashboard.js', type: JS },
  '/dashboard-charts.js': { file: 'dashboard-charts.js', type: JS },
  '/dashboard-drift.js': { file: 'dashboard-drift.js', type: JS },
  '/dashboard.css': { file: 'dashboard.css', type: CSS },
  '/dashboard-charts.css': { file: 'dashboard-charts.css', type: CSS },
  // uPlot (MIT), vendored unchanged from its npm package; see public/vendor/uplot/LICENSE
  '/vendor/uplot/uPlot.iife.min.js': { file: 'vendor/uplot/uPlot.iife.min.js', type: JS, vendored: true },
  '/vendor/uplot/uPlot.min.css': { file: 'vendor/uplot/uPlot.min.css', type: CSS, vendored: true },
};

/**
 * Everything the pages load comes from this server: MediaPipe's loader adds its own scripts
 * (script-src 'self'), fetches its wasm and models (connect-src 'self') and compiles the wasm
 * ('wasm-unsafe-eval'); the camera preview is a local MediaStream.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the pages find MediaPipe Hands: its version in the path, so a year's caching is safe. */
export const MEDIAPIPE_HANDS_PREFIX = '/vendor/mediapipe/hands/';

const ASSET_TYPES: Record<string, string> = {
  '.js': JS,
  '.wasm': 'application/wasm',
  '.data': 'application/octet-stream',
  '.tflite': 'application/octet-stream',
  '.binarypb': 'application/octet-stream',
};

/** The installed `@mediapipe/hands` package (Apache-2.0): its version and the files the browser loads. */
export function mediapipeHandsAssets(): { version: string; dir: string; files: Map<string, number> } {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('@mediapipe/hands/package.json');
  const dir = path.dirname(manifest);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const files = new Map<string, number>();
  for (const name of readdirSync(dir)) {
    if (ASSET_TYPES[path.extname(name)]) files.set(name, statSync(path.join(dir, name)).size);
  }
  return { version, dir, files };
}

/** The web UI (the game and the live dashboard): static files, read once at start. */
export const webUiRoutes: FastifyPluginAsync = async (app) => {
  const hands = mediapipeHandsAssets();
  const handsBase = `${MEDIAPIPE_HANDS_PREFIX}${hands.version}/`;
  for (const [url, { file, type, vendored }] of Object.entries(FILES)) {
    let body: string | Buffer = readFileSync(PUBLIC_DIR + file);
    if (file === 'index.html') body = body.toString('utf8').replaceAll('__MEDIAPIPE_HANDS__', handsBase);
    const cacheControl = vendored ? 'public, max-age=86400' : 'no-cache';
    app.get(url, async (_req, reply) => {
      if (type === HTML) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      return reply.header('content-type', type).header('cache-control', cacheControl).send(body);
    });
  }
  // streamed from the installed package on each request: 24 MB that most visitors never load
  for (const [name, size] of hands.files) {
    const type = ASSET_TYPES[path.extname(name)]!;
    app.get(handsBase + name, async (_req, reply) =>
      reply
        .header('content-type', type)
        .header('content-length', size)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(createReadStream(path.join(hands.dir, name))),
    );
  }
};
