import { inject } from 'vitest';
import { type TestHost, attachHost } from './test-host.js';

export type { ExecOptions, ExecResult, HostDescription, TestHost } from './test-host.js';
export { BUSYBOX_IMAGE } from './image.js';
export { APPS_IMAGE, POSTGRES_BIN, ensureAppsImage } from './apps-image.js';

/**
 * The test host booted for this run (by `test/host/global-setup.ts`, the
 * `e2e` project's globalSetup), with `exec`/`execOk`/`journal`. Throws when
 * called outside a project that boots one.
 */
export function useHost(): TestHost {
  const d = inject('host');
  if (!d) throw new Error('useHost(): no test host was provided; run this file in the vitest `e2e` project (globalSetup test/host/global-setup.ts)');
  return attachHost(d);
}
export { ROOTLESS_USER } from './rootfs.js';
export { REPO_IN_HOST } from './instance.js';
export { USER_ENV, userManager, type UserManager } from './rootless.js';
