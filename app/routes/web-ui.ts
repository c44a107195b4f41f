import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

const FILES: Record<string, { file: string; type: string; vendored?: true }> = {
  '/': { file: 'index.html', type: HTML },
  '/app.js': { file: 'app.js', type: JS },
  '/base.css': { file: 'base.css', type: CSS },
  '/styles.css': { file: 'styles.css', type: CSS },
  '/dashboard': { file: 'dashboard.html', type: HTML },
  '/dashboard.js': { file: 'dashboard.js', type: JS },
  '/dashboard.css': { file: 'dashboard.css', type: CSS },
  // uPlot (MIT), vendored unchanged from its npm package; see public/vendor/uplot/LICENSE
  '/vendor/uplot/uPlot.iife.min.js': { file: 'vendor/uplot/uPlot.iife.min.js', type: JS, vendored: true },
  '/vendor/uplot/uPlot.min.css': { file: 'vendor/uplot/uPlot.min.css', type: CSS, vendored: true },
};

/** The web UI (the game and the live dashboard): static files, read once at start. */
export const webUiRoutes: FastifyPluginAsync = async (app) => {
  for (const [url, { file, type, vendored }] of Object.entries(FILES)) {
    const body = readFileSync(PUBLIC_DIR + file);
    const cacheControl = vendored ? 'public, max-age=86400' : 'no-cache';
    app.get(url, async (_req, reply) =>
      reply.header('content-type', type).header('cache-control', cacheControl).send(body),
    );
  }
};
