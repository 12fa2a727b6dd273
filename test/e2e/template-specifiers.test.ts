import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { useHost } from '../host/index.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { passOnHost, runUnitDir } from '../support/host.js';
import { until } from '../support/wait.js';

// Issue 17, template units: `%I` is the instance's name unescaped, as systemd 257 expands it (`-` is `/`), and the
// pass makes each instance's data directory by the same rule; with the raw name (`eu-west` for `%I`) podman found no
// directory `…/eu/west` and the instance failed for ever (exit 125).

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-template-specifiers-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const APP = 'ts-idx';
const DATA = `/var/lib/archipelago/${APP}`;
let h: HostController;

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  h = await controllerOnHost(host, [APP], { stateDir });
});

afterAll(async () => {
  rmSync(join(manifests, `${APP}.yaml`), { force: true });
  await passOnHost(host, h, { manifestsDir: manifests, stateDir, unitDir }).catch(() => undefined);
  await h.close();
  await host.exec(['rm', '-rf', DATA]);
  rmSync(work, { recursive: true, force: true });
});

describe('template specifiers on the real host', () => {
  it("%I's data directory is the unescaped name: the pass makes …/eu/west and the instance writes there", async () => {
    writeFileSync(
      join(manifests, `${APP}.yaml`),
      `id: ${APP}
image: ${BUSYBOX_IMAGE}
instances: [eu-west]
command: [sh, -c, 'echo "%i %I" > /data/who; trap "exit 0" TERM; while true; do sleep 1; done']
binds:
  - source: ${DATA}/%I
    target: /data
stop:
  timeout: 5s
`,
    );
    const r = await passOnHost(host, h, { manifestsDir: manifests, stateDir, unitDir });
    expect(r.failures).toEqual([]);
    expect(r.done).toContain(`make directory ${DATA}/eu/west`);
    await until('the instance writes its names', () => host.exec(['cat', `${DATA}/eu/west/who`]).then((x) => x.stdout), (t) => t === 'eu-west eu/west\n');
    expect((await host.exec(['systemctl', 'is-active', `${APP}@eu-west.service`])).stdout.trim()).toBe('active');
  });
});
