// Issue 17's field report, on the host: a one-word health command in an image without a shell. Podman 5.4.2 turns
// HealthCmd=["prog"] into CMD-SHELL (/bin/sh -c prog), so the check can never pass and a Notify=healthy unit stays
// activating; the compiler renders HealthCmd=CMD prog instead (src/compile/podman-quirks.ts, health-cmd-one-word),
// which podman runs without a shell. The image is one static binary (the host's busybox-static) under two names.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { renderUnits } from '../../src/render/render-units.js';
import { useHost } from '../host/index.js';
import { installUnits, removeUnits } from '../support/host.js';
import { until } from '../support/wait.js';

const IMAGE = 'localhost/noshell:1';
const templates = { unit: readFileSync('templates/unit.hbs', 'utf8') };

/** The unit the compiler renders for a one-container app running `sleep` with the one-word health check `true`. */
function renderedUnit(id: string): string {
  const result = compileCatalog(
    [{ file: `manifests/${id}.yaml`, manifest: { id, image: IMAGE, command: ['sleep', '100000'], health: { cmd: ['true'], interval: '1s', retries: 1 } } }],
    { podmanVersion: '5.4.2', scope: 'system' },
  );
  expect(result.problems).toEqual([]);
  return renderUnits(result.units, templates).find((f) => f.name === `${id}.container`)!.content;
}

describe('a one-word health command in an image without /bin/sh (podman 5.4.2)', () => {
  const host = useHost();

  beforeAll(async () => {
    // Nothing but /bin/sleep and /bin/true, both the static busybox (it runs the applet its name says).
    await host.execOk(['sh', '-c', `set -eu
R=$(mktemp -d /var/tmp/noshell.XXXXXX)
mkdir "$R/bin"
cp /bin/busybox "$R/bin/sleep"
cp /bin/busybox "$R/bin/true"
tar -C "$R" -c . | podman import - ${IMAGE} >/dev/null
rm -rf "$R"`]);
    expect((await host.exec(['podman', 'run', '--rm', IMAGE, '/bin/sh', '-c', 'true'])).code).not.toBe(0);
  });

  afterAll(async () => {
    await removeUnits(host, ['noshell', 'noshell-json']);
  });

  const state = (id: string) => async () => ({
    active: (await host.exec(['systemctl', 'is-active', `${id}.service`])).stdout.trim(),
    health: JSON.parse((await host.exec(['podman', 'inspect', '--format', '{{json .State.Health}}', id])).stdout || 'null') as { Status: string; FailingStreak: number; Log?: Array<{ Output: string }> } | null,
  });

  it('rendered as the JSON list of one word, podman runs it through /bin/sh: never healthy, the unit stays activating', async () => {
    const unit = renderedUnit('noshell-json').replace(/^HealthCmd=.*$/m, 'HealthCmd=["true"]');
    await installUnits(host, { 'noshell-json': unit });
    await host.execOk(['systemctl', 'start', '--no-block', 'noshell-json.service']);
    const s = await until('two failed checks', state('noshell-json'), (v) => (v.health?.FailingStreak ?? 0) >= 2, { timeoutMs: 90_000 });
    expect(s.active).toBe('activating');
    expect(s.health!.Status).not.toBe('healthy');
    expect(await host.execOk(['podman', 'inspect', '--format', '{{json .Config.Healthcheck.Test}}', 'noshell-json'])).toBe('["CMD-SHELL","true"]\n');
    await host.execOk(['systemctl', 'stop', 'noshell-json.service']);
  });

  it('rendered by the compiler (HealthCmd=CMD true), it runs without a shell: healthy, and the unit active', async () => {
    const unit = renderedUnit('noshell');
    expect(unit).toMatch(/^HealthCmd=CMD true$/m);
    await installUnits(host, { noshell: unit });
    await host.execOk(['systemctl', 'start', '--no-block', 'noshell.service']);
    const s = await until('noshell active', state('noshell'), (v) => v.active === 'active', { timeoutMs: 90_000 });
    expect(s.health!.Status).toBe('healthy');
    expect(await host.execOk(['podman', 'inspect', '--format', '{{json .Config.Healthcheck.Test}}', 'noshell'])).toBe('["CMD","true"]\n');
  });
});
