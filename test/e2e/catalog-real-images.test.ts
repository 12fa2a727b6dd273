import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/controller/types.js';
import type { PassReport } from '../../src/reconcile/pass.js';
import { APPS_IMAGE, BUSYBOX_IMAGE, ensureAppsImage, useHost } from '../host/index.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { jobTimes, journalCursor, passOnHost, runUnitDir, type JobTimes } from '../support/host.js';
import { until } from '../support/wait.js';

// An app of three containers of real daemons, installed from a manifest by a real pass and run as one app by the
// controller on the host: MariaDB (Debian's, gated on health) → an API (busybox httpd) → nginx (Debian's) in front,
// its server block rendered by the reconciler from the catalog's template ui-api.nginx.conf.hbs. The catalog's own
// apps (mempool, btcpay) use public images the host cannot pull; this app has their shape with the host's images.
// The db's password is a generated secret that both the db and the API take as an environment value.

const host = useHost();
const log = (line: string): void => void process.stderr.write(`[catalog-real-images] ${line}\n`);
// A pass prunes units of ours its manifests do not name: it gets a directory no other suite writes to meanwhile.
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-catalog-real-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');

const ID = 'cat-explorer';
const NAMES = ['db', 'api', 'web'] as const;
const SECRET = `${ID}-db-password`;
const DATA = `/var/lib/archipelago/${ID}`;
const WEB_PORT = 18481;
const TEMPLATE = 'ui-api.nginx.conf.hbs';

// MariaDB as Debian packages it (docs/testhost.md, "Real daemons"): its socket directory made, the datadir initialised
// on the first start, mariadbd in the foreground as PID 1. An init file (read again on every start) gives the API's
// user the password from the environment, so the value the db and the API take is the one that logs in.
const DB_SCRIPT = [
  'install -d -o mysql -g mysql /run/mysqld',
  '{ test -d /var/lib/mysql/mysql || mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null; }',
  // One statement a line: mariadbd reads its init file line by line.
  `printf "CREATE DATABASE IF NOT EXISTS explorer;\\nCREATE USER IF NOT EXISTS 'explorer'@'%%' IDENTIFIED BY '%s';\\nALTER USER 'explorer'@'%%' IDENTIFIED BY '%s';\\nGRANT ALL ON explorer.* TO 'explorer'@'%%';\\n" "$DATABASE_PASSWORD" "$DATABASE_PASSWORD" > /run/mysqld/init.sql`,
  'chown mysql:mysql /run/mysqld/init.sql',
  'chmod 600 /run/mysqld/init.sql',
  'exec mariadbd --user=mysql --bind-address=0.0.0.0 --init-file=/run/mysqld/init.sql',
].join(' && ');

// The API: busybox httpd on 8080 answering /status; on SIGTERM it takes 2 s to finish, like a daemon flushing.
const API_SCRIPT = 'mkdir -p /www && printf "api up, db at %s\\n" "$DATABASE_HOST" > /www/status; trap "sleep 2; exit 0" TERM; httpd -f -p 8080 -h /www & wait';

const MANIFEST = `id: ${ID}
name: Catalog explorer
description: A block explorer's shape with the host's images (web, API, MariaDB)
containers:
  db:
    image: ${APPS_IMAGE}
    command: [sh, -c, ${JSON.stringify(DB_SCRIPT)}]
    environment:
      DATABASE_PASSWORD: { secret: ${SECRET} }
    volumes:
      - name: db
        target: /var/lib/mysql
    health:
      cmd: [mariadb-admin, ping, --silent]
      interval: 1s
      timeout: 5s
      retries: 5
    stop:
      timeout: 60s
  api:
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, ${JSON.stringify(API_SCRIPT)}]
    environment:
      DATABASE_HOST: db
      DATABASE_PASSWORD: { secret: ${SECRET} }
    dependsOn:
      - container: db
        condition: healthy
    stop:
      timeout: 30s
  web:
    image: ${APPS_IMAGE}
    command: [nginx, -g, "daemon off;"]
    ports:
      - container: 80
        host: ${WEB_PORT}
        hostIp: 127.0.0.1
    configs:
      # Debian's nginx.conf includes sites-enabled/default, a link to this file.
      - template: ${TEMPLATE}
        path: ${DATA}/web/default.conf
        target: /etc/nginx/sites-available/default
    dependsOn:
      - container: api
    stop:
      signal: SIGQUIT
      timeout: 10s
`;

let h: HostController;

function pass(): Promise<PassReport> {
  return passOnHost(host, h, { manifestsDir: manifests, stateDir, unitDir });
}

const unitsOf = (names: readonly string[]): string[] => names.map((n) => `${ID}-${n}.service`);
type Jobs = Record<string, JobTimes>;
/** The `type` job of each container after `cursor`, by short name. */
const times = async (cursor: string, type: 'start' | 'stop'): Promise<Jobs> => {
  const byUnit = await jobTimes(host, cursor, type, unitsOf(NAMES));
  return Object.fromEntries(NAMES.map((n) => [n, byUnit[`${ID}-${n}.service`]!]));
};
/** systemd ran the jobs one after another in `order`: each began once the one before it had ended. */
function expectInOrder(t: Jobs, order: readonly string[], seen: string): void {
  expect(t[order[0]!]!.began, seen).toBeGreaterThan(0);
  for (let i = 1; i < order.length; i++) expect(t[order[i]!]!.began, `${order[i]} after ${order[i - 1]}: ${seen}`).toBeGreaterThanOrEqual(t[order[i - 1]!]!.ended);
}
const secret = (): string => readFileSync(join(stateDir, 'secrets', SECRET), 'utf8').trim();
/** `name`'s value in the environment of a process inside container `name` of the app, as that process sees it. */
const envIn = (container: string, name: string): Promise<string> => host.execOk(['podman', 'exec', `${ID}-${container}`, 'sh', '-c', `printf %s "$${name}"`]);
const get = (path: string): Promise<string> => host.execOk(['busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${WEB_PORT}${path}`]);
const containerStates = (s: AppStatus): string[] => (s.containers ?? []).map((c) => `${c.name} ${c.state}`);
/** Some container is on its way down: systemd's deactivating, or a stop (or restart) job on its unit. */
const stopping = (s: AppStatus): boolean => (s.containers ?? []).some((c) => c.activeState === 'deactivating' || c.job?.type === 'stop' || c.job?.type === 'restart');
const seenSince = (from: number): AppStatus[] => h.seen(ID).slice(from);

/**
 * `action` on the whole app through the controller, answered at once with its transitional state, then waited for
 * until the app is `settled` with every container so: the app's states on the way are running → the transitional one
 * → settled, and the app never reads `running` while a container is on its way down. Returns where the records and
 * the journal stood before.
 */
async function lifecycle(action: 'stop' | 'restart', settled: 'stopped' | 'running'): Promise<{ from: number; cursor: string }> {
  const from = h.seen(ID).length;
  const cursor = await journalCursor(host);
  const transitional = action === 'stop' ? 'stopping' : 'restarting';
  expect((await h.controller[action](ID)).status.state).toBe(transitional);
  const last = await h.waitFor(ID, settled, 300_000);
  expect(containerStates(last)).toEqual(NAMES.map((n) => `${n} ${settled}`));
  expect(h.states(ID, from)).toEqual(['running', transitional, settled]);
  for (const s of seenSince(from)) if (stopping(s)) expect(s.state, JSON.stringify(s.containers)).not.toBe('running');
  return { from, cursor };
}

beforeAll(async () => {
  await ensureAppsImage(host, log);
  mkdirSync(manifests, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(manifests, `${ID}.yaml`), MANIFEST);
  h = await controllerOnHost(host, [ID], { stateDir });
}, 1_200_000);

afterAll(async () => {
  if (h) {
    for (const f of readdirSync(manifests)) rmSync(join(manifests, f));
    await pass().catch((e: unknown) => log(`removal pass: ${(e as Error).message}`));
    await host.exec(['podman', 'secret', 'rm', `archy.${SECRET}`]);
    await h.close();
  }
  rmSync(join(host.rootDir, DATA), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 300_000);

describe('an app of three real daemons from a manifest: MariaDB (healthy) → API → nginx, one app', () => {
  it('one pass installs it: units, the nginx config from its template, the db password as a podman secret; started in order, running only once all are up', async () => {
    const cursor = await journalCursor(host);
    const from = h.seen(ID).length;
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual(expect.arrayContaining([
      `write units/${ID}.network`,
      ...NAMES.map((n) => `write units/${ID}-${n}.container`),
      'daemon-reload',
      `write podman secret archy.${SECRET}`,
      `start ${ID}.service`,
    ]));
    const running = await h.waitFor(ID, 'running', 300_000);
    expect(containerStates(running)).toEqual(['db running', 'api running', 'web running']);
    // Never running before every container was.
    for (const s of seenSince(from)) if (s.state === 'running') expect(containerStates(s)).toEqual(['db running', 'api running', 'web running']);
    expect((await host.execOk(['podman', 'inspect', '--format', '{{.State.Health.Status}}', `${ID}-db`])).trim()).toBe('healthy');
    // systemd's own record: api began once db was healthy (Notify=healthy ends db's start job), web once api was up.
    const t = await times(cursor, 'start');
    const seen = JSON.stringify(t);
    for (const n of NAMES) expect(t[n], seen).toMatchObject({ result: 'done' });
    expectInOrder(t, ['db', 'api', 'web'], seen);
  });

  it('nginx serves the config the reconciler rendered from the template: nginx -t passes, and the published port answers through it', async () => {
    const template = readFileSync(join(import.meta.dirname, '../../templates/config', TEMPLATE), 'utf8');
    const written = readFileSync(join(host.rootDir, DATA, 'web/default.conf'), 'utf8');
    // A template without helpers renders to itself.
    expect(written).toBe(template);
    expect(await host.execOk(['podman', 'exec', `${ID}-web`, 'cat', '/etc/nginx/sites-enabled/default'])).toBe(template);
    const test = await host.exec(['podman', 'exec', `${ID}-web`, 'nginx', '-t']);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stderr).toMatch(/configuration file \/etc\/nginx\/nginx\.conf test is successful/);
    // nginx -T prints the configuration it loads: the template's server block is in it.
    const loaded = await host.execOk(['podman', 'exec', `${ID}-web`, 'nginx', '-T']);
    expect(loaded).toContain('# configuration file /etc/nginx/sites-enabled/default:\n');
    expect(loaded).toContain('        proxy_pass http://api:8080/;\n');
    // Through the published port: the template's own location, and the API behind it by its short name.
    expect(await until('nginx to answer on its published port', () => get('/healthz'), (b) => b === 'ok\n', { retryErrors: true, timeoutMs: 60_000 })).toBe('ok\n');
    expect(await get('/api/status')).toBe('api up, db at db\n');
  });

  it('the db password is a generated secret: both containers get it as an environment value, it logs in, and it is in no unit file', async () => {
    const value = secret();
    expect(value).toMatch(/^[0-9a-f]{64}$/);
    expect(await envIn('db', 'DATABASE_PASSWORD')).toBe(value);
    expect(await envIn('api', 'DATABASE_PASSWORD')).toBe(value);
    // The API's value logs in to the db by its short name (from web, the container with a MariaDB client).
    const login = await host.execOk(['podman', 'exec', '-e', `MYSQL_PWD=${await envIn('api', 'DATABASE_PASSWORD')}`, `${ID}-web`, 'mariadb', '--skip-ssl', '-h', 'db', '-u', 'explorer', '-N', '-e', 'SELECT CURRENT_USER()']);
    expect(login).toBe('explorer@%\n');
    // Nowhere in the units we wrote, the services the generator made of them, or podman's view of the containers.
    for (const file of readdirSync(unitDir).filter((f) => f.startsWith(ID))) {
      const text = readFileSync(join(unitDir, file), 'utf8');
      expect(text, file).not.toContain(value);
      if (file.endsWith('.container') && file !== `${ID}-web.container`) expect(text, file).toContain(`Secret=archy.${SECRET},type=env,target=DATABASE_PASSWORD`);
    }
    for (const unit of [`${ID}.service`, ...unitsOf(NAMES)]) expect(await host.execOk(['systemctl', 'cat', unit]), unit).not.toContain(value);
    for (const n of NAMES) expect(await host.execOk(['podman', 'inspect', `${ID}-${n}`]), n).not.toContain(value);
  });

  it('stop as one app: stopping (never running) until every container is down, in reverse order, each by itself; then stopped', async () => {
    const { from, cursor } = await lifecycle('stop', 'stopped');
    for (const s of seenSince(from)) if (s.containers?.some((c) => c.state !== 'stopped')) expect(s.state).not.toBe('stopped');
    // The controller saw a container stopping on the way (the API takes 2 s), and the app read `stopping` then.
    expect(seenSince(from).some((s) => s.state === 'stopping' && s.containers?.some((c) => c.activeState === 'deactivating'))).toBe(true);
    const t = await times(cursor, 'stop');
    const seen = JSON.stringify(t);
    // Each stopped by itself within its stop timeout (not killed), web first, db last.
    for (const n of NAMES) expect(t[n], seen).toMatchObject({ result: 'done', success: true });
    expectInOrder(t, ['web', 'api', 'db'], seen);
    for (const n of NAMES) expect((await host.exec(['podman', 'container', 'exists', `${ID}-${n}`])).code, n).toBe(1);
    expect(await host.journal(`${ID}-db.service`, 400)).toMatch(/mariadbd: Shutdown complete/);
  });

  it('start, then restart as one app: restarting (never running) through every container\'s stop and start, then running and serving again', async () => {
    const started = await h.controller.start(ID);
    expect(started.status.state).toBe('starting');
    await h.waitFor(ID, 'running', 300_000);
    const { cursor } = await lifecycle('restart', 'running');
    const [stop, start] = [await times(cursor, 'stop'), await times(cursor, 'start')];
    const seen = JSON.stringify({ stop, start });
    expectInOrder(stop, ['web', 'api', 'db'], seen);
    expectInOrder(start, ['db', 'api', 'web'], seen);
    expect(await until('nginx to answer after the restart', () => get('/api/status'), (b) => b.startsWith('api up'), { retryErrors: true, timeoutMs: 60_000 })).toBe('api up, db at db\n');
  });
});
