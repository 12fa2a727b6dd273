/**
 * The web UI's static files, served by the API process: `src/web/public/*` at
 * `/` and `/ui/…`, and Vue's browser ES module build from node_modules at a
 * fixed path. Everything is read once at start (a few small files); nothing is
 * fetched from elsewhere, and the strict CSP forbids it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** Where the UI's own ES modules are; the same from `src/api/` and from the built `dist/api/`. */
export const WEB_ROOT = fileURLToPath(new URL('../../src/web/public/', import.meta.url));
/** The fixed path the UI imports Vue from. */
export const VUE_PATH = '/vendor/vue.esm-browser.prod.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * No inline scripts, nothing from other origins, no eval (the UI uses render
 * functions, so Vue's template compiler never runs), no framing. Images may be blob: URLs: the apps' icons are
 * fetched with the bearer token (an <img> cannot send it) and shown from a blob.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface StaticFile {
  type: string;
  body: Buffer;
}

/** Reads the UI files. Throws when the UI directory or Vue's build is missing (a broken install). */
export function loadUiFiles(root = WEB_ROOT): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(root)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    files.set(name === 'index.html' ? '/' : `/ui/${name}`, { type, body: readFileSync(join(root, name)) });
  }
  const require = createRequire(import.meta.url);
  files.set(VUE_PATH, { type: TYPES['.js']!, body: readFileSync(require.resolve('vue/dist/vue.esm-browser.prod.js')) });
  return files;
}

export function registerStaticRoutes(app: FastifyInstance, files: Map<string, StaticFile>): void {
  for (const [path, file] of files) {
    app.get(path, async (_req, reply) =>
      reply
        .header('content-type', file.type)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY')
        .send(file.body),
    );
  }
}
