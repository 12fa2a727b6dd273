/**
 * One app reconciled on the test host by a suite: its manifest directory and state directory (temporary), a
 * controller that tracks it, and a pass over them. Registers the suite's hooks: after the suite a last pass without the
 * manifest removes the app, then `cleanup` paths on the host go.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { PassReport } from '../../src/reconcile/pass.js';
import type { TestHost } from '../host/index.js';
import { controllerOnHost, type HostController } from './controller.js';
import { passOnHost, runUnitDir } from './host.js';

export interface AppSuite {
  manifests: string;
  stateDir: string;
  unitDir: string;
  /** The controller (set once the suite's `beforeAll` ran). */
  readonly h: HostController;
  /** Writes the app's manifest (YAML text). */
  write(yaml: string): void;
  pass(): Promise<PassReport>;
}

export function appSuite(host: TestHost, app: string, opts: { cleanup?: string[] } = {}): AppSuite {
  const work = mkdtempSync(join(tmpdir(), `archy-${app}-`));
  const manifests = join(work, 'manifests');
  const stateDir = join(work, 'state');
  const unitDir = runUnitDir(host);
  let h: HostController | undefined;
  const suite: AppSuite = {
    manifests,
    stateDir,
    unitDir,
    get h() {
      if (!h) throw new Error('appSuite: the controller starts in beforeAll');
      return h;
    },
    write: (yaml) => writeFileSync(join(manifests, `${app}.yaml`), yaml),
    pass: () => passOnHost(host, suite.h, { manifestsDir: manifests, stateDir, unitDir }),
  };
  beforeAll(async () => {
    mkdirSync(manifests, { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    h = await controllerOnHost(host, [app], { stateDir });
  });
  afterAll(async () => {
    rmSync(join(manifests, `${app}.yaml`), { force: true });
    if (h) {
      await suite.pass().catch(() => undefined);
      await h.close();
    }
    if (opts.cleanup?.length) await host.exec(['rm', '-rf', ...opts.cleanup]);
    rmSync(work, { recursive: true, force: true });
  });
  return suite;
}
