import { APPS_IMAGE, ensureAppsImage } from './apps-image.js';
import { startTestHost } from './start.js';

/**
 * `npm run host`: boots a test host by hand, prints how to reach it and keeps
 * it up until Ctrl-C (SIGINT) or SIGTERM, then powers it off. The instance is
 * `ARCHY_TESTHOST_NAME` (default `archy-testhost`): use another name than a
 * concurrently running test suite. `ARCHY_TESTHOST_IMAGES=debian-apps` also
 * imports the image of real daemons (`apps-image.ts`).
 */
async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`[testhost] ${line}\n`);
  const { host, stop } = await startTestHost({ log });
  const withApps = (process.env.ARCHY_TESTHOST_IMAGES ?? '').split(',').includes('debian-apps');
  if (withApps) {
    try {
      await ensureAppsImage(host, log);
    } catch (e) {
      await stop();
      throw e;
    }
  }
  let stopping: Promise<void> | undefined;
  const shutdown = (): void => {
    stopping ??= stop().then(
      () => {
        log(`test host ${host.name} powered off`);
        process.exit(0);
      },
      (e: unknown) => {
        log(`teardown failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(3);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stdout.write(
    [
      `test host ${host.name} is up (systemd 257, podman 5.4.2)`,
      `  PID 1 of the host:  ${host.pid}`,
      `  system bus:         ${host.busAddress}`,
      `  busctl:             busctl --address=${host.busAddress} status`,
      `  shell inside:       nsenter -t ${host.pid} -m -u -i -n -p bash`,
      `  run a command:      nsenter -t ${host.pid} -m -u -i -n -p podman ps -a`,
      `  Quadlet unit dir:   ${host.unitDir}`,
      `  reload after edit:  nsenter -t ${host.pid} -m -u -i -n -p systemctl daemon-reload`,
      `  local image:        localhost/busybox:latest${withApps ? `, ${APPS_IMAGE}` : ''} (no registry: pulls fail)`,
      'Ctrl-C powers it off.',
      '',
    ].join('\n'),
  );
  // Keeps the event loop alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(3);
});
