import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { useHost } from '../host/index.js';
import { appSuite } from '../support/app-suite.js';
import { until } from '../support/wait.js';

// Issue 17, from a review on the host: a running app changing kind between one container (`tk.container`, its
// unit tk.service is the container) and instances (`tk@.container` + `tk.network`, whose oneshot is tk.service).
// Plain → instances: the pass stopped tk.service and, at its end, waited for tk.service to stop, which by then was
// the network's oneshot (active/exited): 900 s, then a failure. Instances → plain: the template went and its
// instances ran on as `not-found active running`, unseen by every later pass.

const host = useHost();
const APP = 'tk';
const { unitDir, write, pass } = appSuite(host, APP);

const body = `image: ${BUSYBOX_IMAGE}
command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 1; done']
stop:
  timeout: 5s
`;
const plain = `id: ${APP}\n${body}`;
const instances = `id: ${APP}\ninstances: ["1", "2"]\n${body}`;

const active = async (unit: string): Promise<string> => (await host.exec(['systemctl', 'is-active', unit])).stdout.trim();
const containers = async (): Promise<string[]> =>
  (await host.execOk(['podman', 'ps', '--format', '{{.Names}}'])).split('\n').filter((n) => n === APP || n.startsWith(`${APP}-`)).sort();

describe('an app changing kind between one container and instances, on the real host', () => {
  it('plain → instances: the container stops before the files change, and the pass ends with both instances up', async () => {
    write(plain);
    expect((await pass()).failures).toEqual([]);
    expect(await active(`${APP}.service`)).toBe('active');
    expect(await containers()).toEqual([APP]);

    write(instances);
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([`stop ${APP}.service`, `remove units/${APP}.container`, `write units/${APP}.network`, `write units/${APP}@.container`, 'daemon-reload', `start ${APP}.service`]);
    for (const i of ['1', '2']) expect(await active(`${APP}@${i}.service`), i).toBe('active');
    expect(await containers()).toEqual([`${APP}-1`, `${APP}-2`]);
    expect((await pass()).done).toEqual([]);
  });

  it('instances → plain: every instance stops before the template goes; none runs on unseen', async () => {
    write(plain);
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done.slice(0, 4)).toEqual([`stop ${APP}@1.service`, `stop ${APP}@2.service`, `remove units/${APP}.network`, `remove units/${APP}@.container`]);
    expect(r.done).toContain(`restart ${APP}.service`);
    for (const i of ['1', '2']) await until(`${APP}@${i} stopped`, () => active(`${APP}@${i}.service`), (s) => s === 'inactive' || s === 'failed');
    expect(await host.execOk(['systemctl', 'list-units', '--all', '--no-legend', '--plain', `${APP}@*`])).not.toMatch(/running/);
    await until('only the plain container runs', containers, (c) => c.join() === APP);
    expect(await active(`${APP}.service`)).toBe('active');
    expect(readdirSync(unitDir).filter((n) => n.startsWith(APP))).toEqual([`${APP}.container`]);
  });

  it('an instance left running by a template already gone is seen from systemd and stopped by the next pass', async () => {
    // As the old planner left them: an instance started from a template whose file is gone since (not-found, running).
    writeFileSync(join(host.rootDir, 'run/systemd/system', `${APP}@.service`), '[Service]\nExecStart=sleep infinity\n');
    await host.execOk(['systemctl', 'daemon-reload']);
    await host.execOk(['systemctl', 'start', `${APP}@9.service`]);
    rmSync(join(host.rootDir, 'run/systemd/system', `${APP}@.service`));
    await host.execOk(['systemctl', 'daemon-reload']);
    expect(await host.execOk(['systemctl', 'list-units', '--all', '--no-legend', '--plain', `${APP}@9.service`])).toMatch(/not-found\s+active\s+running/);
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([`stop ${APP}@9.service`]);
    await until(`${APP}@9 gone`, () => active(`${APP}@9.service`), (s) => s !== 'active' && s !== 'deactivating');
  });
});

describe('a container down because the shared network it requires failed, on the real host', () => {
  const NET = 'tkn';
  const suite = appSuite(host, 'tkn-app', { cleanup: [`/run/systemd/system/${NET}-network.service.d`] });
  const manifest = `id: tkn-app\nnetworks: [${NET}]\n${body}`;

  it("the pass's failure names <name>-network.service, not just 'a unit it requires failed'", async () => {
    suite.write(manifest);
    expect((await suite.pass()).failures).toEqual([]);
    await host.execOk(['systemctl', 'stop', 'tkn-app.service', `${NET}-network.service`]);
    // The network's start fails, as when podman refuses its options.
    mkdirSync(join(host.rootDir, `run/systemd/system/${NET}-network.service.d`), { recursive: true });
    writeFileSync(join(host.rootDir, `run/systemd/system/${NET}-network.service.d/fail.conf`), '[Service]\nExecStartPre=/bin/false\n');
    await host.execOk(['systemctl', 'daemon-reload']);
    const r = await suite.pass();
    expect(r.failures.map((f) => f.error).join('\n')).toContain(`${NET}-network.service, which it requires, failed`);
    rmSync(join(host.rootDir, `run/systemd/system/${NET}-network.service.d`), { recursive: true });
    await host.execOk(['systemctl', 'daemon-reload']);
  });
});
