import type { TestProject } from 'vitest/node';
import { instanceName } from './paths.js';
import { startTestHost } from './start.js';
import { type HostDescription } from './test-host.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The host booted for this run by `test/host/global-setup.ts`; read it with `useHost()`. */
    host: HostDescription;
  }
}

/**
 * vitest globalSetup: boots ONE test host for the project's run and provides
 * its description to every test file as `inject('host')`; the returned
 * teardown powers it off. When the machine cannot boot a host (not root, no
 * systemd-nspawn) this throws, so the run fails with the reason instead of
 * passing tests it never ran.
 *
 * The instance is `ARCHY_TESTHOST_NAME` (default `archy-testhost`); a project
 * other than `e2e` that uses this setup gets `NAME-PROJECT`, so two projects
 * in one run never take each other's instance for a stale one.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = instanceName();
  const name = project.name === 'e2e' || project.name === '' ? base : `${base}-${project.name}`.slice(0, 63);
  const log = (line: string): void => void process.stderr.write(`[testhost] ${line}\n`);
  const { host, stop } = await startTestHost({ name, log });
  project.provide('host', {
    name: host.name,
    pid: host.pid,
    rootDir: host.rootDir,
    busAddress: host.busAddress,
    unitDir: host.unitDir,
  });
  return async () => {
    await stop();
    log(`test host ${name} powered off`);
  };
}
