import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure code, the real Quadlet generator run as a
// child process), `e2e` (a booted systemd + podman host, one per run, shared
// by every file, files run one after another) and `browser` (real Chromium
// against `serve` on that same host).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Only a guard against a hang: the property tests run podman's
          // generator hundreds of times and took 4 s quiet, 23 s beside
          // stress-ng, so a tighter limit would fail on a loaded machine.
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/host/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      {
        // Hostile input, crash consistency, load and the fault matrix on the
        // host (its own instance, NAME-chaos); `npm run test:chaos` alone.
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          globalSetup: ['test/host/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
