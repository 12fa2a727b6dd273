/**
 * Real daemons from Debian 13's packages (the image `test/host/apps-image.ts` builds) under hand-written Quadlet
 * units on the host: what each needs as a container, shown before manifests are compiled for them. This suite checks
 * the image and the host, not the compiler; docs/testhost.md ("Real daemons") records what it establishes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPS_IMAGE, POSTGRES_BIN, ensureAppsImage, useHost } from '../host/index.js';
import { until } from '../support/wait.js';

const log = (line: string): void => void process.stderr.write(`[real-images] ${line}\n`);

// ---- the units and configs ------------------------------------------------------------------------------------

/** Inside the host: the configs the containers bind read-only. */
const CONFIG_DIR = '/etc/archy-real-images';
const NETWORK = 'archy-real';
const WEB_PORT = 18080;

const NGINX_CONF = `# In the foreground, logging to the journal through conmon.
daemon off;
user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log stderr notice;
events { worker_connections 64; }
http {
  access_log /dev/stdout;
  # nginx resolves an upstream's name when it loads its config: "nginx -t" fails unless real-db resolves.
  upstream db { server real-db:3306; }
  server {
    listen 80;
    location / { default_type text/plain; return 200 "served by nginx in real-web\\n"; }
  }
}
`;

const TORRC = `DataDirectory /var/lib/tor
SocksPort 0
Log notice stdout
HiddenServiceDir /var/lib/tor/hs-web
HiddenServicePort 80 real-web:80
`;

/** `[Service]` timeouts as the compiler renders them: systemd waits 30 s longer than podman's StopTimeout. */
const service = (stopTimeout: number): string[] => ['', '[Service]', 'TimeoutStartSec=300', `TimeoutStopSec=${stopTimeout + 30}`];

const UNITS: Record<string, string[]> = {
  'real.network': ['[Network]', `NetworkName=${NETWORK}`],
  'real-db.volume': ['[Volume]', 'VolumeName=archy-real-db'],
  'real-pg.volume': ['[Volume]', 'VolumeName=archy-real-pg'],
  'real-tor.volume': ['[Volume]', 'VolumeName=archy-real-tor'],
  // mariadbd runs as mysql (it drops root itself); its socket directory /run/mysqld is not in the image.
  'real-db.container': [
    '[Unit]', 'Description=real daemon: MariaDB', '',
    '[Container]', `Image=${APPS_IMAGE}`, 'ContainerName=real-db', 'Network=real.network', 'Volume=real-db.volume:/var/lib/mysql',
    "Exec=sh -c 'install -d -o mysql -g mysql /run/mysqld && { test -d /var/lib/mysql/mysql || mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db; } && exec mariadbd --user=mysql --bind-address=0.0.0.0'",
    'HealthCmd=mariadb-admin ping --silent', 'HealthInterval=2s', 'HealthStartPeriod=0s', 'Notify=healthy',
    // InnoDB flushes its buffer pool on SIGTERM: podman's default 10 s would SIGKILL a busy server into crash recovery.
    'StopTimeout=60',
    ...service(60),
  ],
  'real-web.container': [
    '[Unit]', 'Description=real daemon: nginx', 'Requires=real-db.service', 'After=real-db.service', '',
    '[Container]', `Image=${APPS_IMAGE}`, 'ContainerName=real-web', 'Network=real.network', `PublishPort=127.0.0.1:${WEB_PORT}:80`,
    `Volume=${CONFIG_DIR}/nginx.conf:/etc/nginx/nginx.conf:ro`, 'Exec=nginx',
    // SIGQUIT: graceful (open requests finish); SIGTERM would be nginx's fast shutdown.
    'StopSignal=SIGQUIT', 'StopTimeout=10',
    ...service(10),
  ],
  // postgres refuses to run as root: initdb and the server run as postgres (setpriv execs, so postgres is PID 1).
  // The image has no locales but glibc's built-in C.UTF-8; without --locale initdb picks C and SQL_ASCII.
  'real-pg.container': [
    '[Unit]', 'Description=real daemon: PostgreSQL', '',
    '[Container]', `Image=${APPS_IMAGE}`, 'ContainerName=real-pg', 'Network=real.network', 'Volume=real-pg.volume:/var/lib/postgresql/data',
    `Exec=sh -c 'install -d -o postgres -g postgres -m 2775 /run/postgresql && chown postgres:postgres /var/lib/postgresql/data && { test -s /var/lib/postgresql/data/PG_VERSION || setpriv --reuid=postgres --regid=postgres --init-groups ${POSTGRES_BIN}/initdb -D /var/lib/postgresql/data -U postgres --encoding=UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256; } && exec setpriv --reuid=postgres --regid=postgres --init-groups ${POSTGRES_BIN}/postgres -D /var/lib/postgresql/data -c "listen_addresses=*"'`,
    // As postgres: the socket's peer authentication would log a failed login for root on every check.
    `HealthCmd=setpriv --reuid=postgres --regid=postgres --init-groups ${POSTGRES_BIN}/pg_isready -q -h /run/postgresql`,
    'HealthInterval=2s', 'HealthStartPeriod=0s', 'Notify=healthy',
    // SIGTERM is postgres's "smart" shutdown, which waits for every client to disconnect; SIGINT is its fast one.
    'StopSignal=SIGINT', 'StopTimeout=60',
    ...service(60),
  ],
  // tor resolves HiddenServicePort's target name once, when it reads its config: real-web must resolve by then.
  // It refuses a DataDirectory another user owns ("… is not owned by this user") and fixes the mode itself: chown it.
  'real-tor.container': [
    '[Unit]', 'Description=real daemon: Tor onion service', 'Requires=real-web.service', 'After=real-web.service', '',
    '[Container]', `Image=${APPS_IMAGE}`, 'ContainerName=real-tor', 'Network=real.network', 'Volume=real-tor.volume:/var/lib/tor',
    `Volume=${CONFIG_DIR}/torrc:/etc/tor/torrc:ro`,
    "Exec=sh -c 'chown debian-tor:debian-tor /var/lib/tor && exec setpriv --reuid=debian-tor --regid=debian-tor --init-groups tor -f /etc/tor/torrc'",
    'StopTimeout=10',
    ...service(10),
  ],
};

// ---- helpers --------------------------------------------------------------------------------------------------

const PROPS = ['ActiveState', 'SubState', 'Result', 'InactiveExitTimestampMonotonic', 'ActiveEnterTimestampMonotonic'] as const;
type Props = Record<(typeof PROPS)[number], string>;

/** Decodes RFC 4648 base32 (lower case, no padding), as onion addresses are written. */
function base32Decode(text: string): Buffer {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${JSON.stringify(c)} in ${text}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

describe('real daemons from Debian 13 packages under hand-written Quadlet units', () => {
  const host = useHost();
  const sh = (script: string): Promise<string> => host.execOk(['sh', '-c', script]);
  const props = async (unit: string): Promise<Props> => {
    const out = await host.execOk(['systemctl', 'show', unit, ...PROPS.map((p) => `--property=${p}`)]);
    return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])) as Props;
  };
  /** Starts `unit` without waiting for its job; resolves once it is active, or throws with the host's journal tail once it failed. */
  const start = async (unit: string): Promise<Props> => {
    await host.execOk(['systemctl', 'start', '--no-block', unit]);
    const p = await until(`${unit} to leave activating`, () => props(unit), (v) => v.ActiveState === 'active' || v.ActiveState === 'failed', { timeoutMs: 300_000, intervalMs: 500 });
    if (p.ActiveState !== 'active') throw new Error(`${unit} failed (${p.Result}):\n${await host.execOk(['journalctl', '--no-pager', '-o', 'short-precise', '-n', '80'])}`);
    return p;
  };
  /** Waits until `unit`'s journal holds a line matching `re` (output reaches the journal through conmon, a moment later). */
  const journalShows = (unit: string, re: RegExp): Promise<string> =>
    until(`${unit}'s journal to show ${re}`, () => host.journal(unit, 400), (j) => re.test(j), { timeoutMs: 60_000, intervalMs: 500 });
  const secondsToActive = (p: Props): string => ((Number(p.ActiveEnterTimestampMonotonic) - Number(p.InactiveExitTimestampMonotonic)) / 1e6).toFixed(1);

  beforeAll(async () => {
    await ensureAppsImage(host, log);
    mkdirSync(join(host.rootDir, CONFIG_DIR), { recursive: true });
    writeFileSync(join(host.rootDir, CONFIG_DIR, 'nginx.conf'), NGINX_CONF);
    writeFileSync(join(host.rootDir, CONFIG_DIR, 'torrc'), TORRC);
    for (const [file, lines] of Object.entries(UNITS)) writeFileSync(join(host.unitDir, file), `${lines.join('\n')}\n`);
    await host.execOk(['systemctl', 'daemon-reload']);
  }, 1_200_000);

  afterAll(async () => {
    await host.exec(['systemctl', 'stop', 'real-tor.service', 'real-web.service', 'real-pg.service', 'real-db.service'], { timeoutMs: 240_000 });
    for (const file of Object.keys(UNITS)) rmSync(join(host.unitDir, file), { force: true });
    rmSync(join(host.rootDir, CONFIG_DIR), { recursive: true, force: true });
    await host.exec(['systemctl', 'daemon-reload']);
    await host.exec(['podman', 'volume', 'rm', '--force', 'archy-real-db', 'archy-real-pg', 'archy-real-tor']);
    await host.exec(['podman', 'network', 'rm', '--force', NETWORK]);
  }, 300_000);

  it('MariaDB initialises its volume and, with HealthCmd and Notify=healthy, is active only once healthy', async () => {
    const p = await start('real-db.service');
    log(`real-db.service: active (healthy) ${secondsToActive(p)} s after its start began, datadir initialised`);
    // Notify=healthy: the unit became active on the first passing check, so the container is healthy now.
    expect((await host.execOk(['podman', 'inspect', '--format', '{{.State.Health.Status}}', 'real-db'])).trim()).toBe('healthy');
    expect(await host.journal('real-db.service', 400)).toMatch(/Installing MariaDB\/MySQL system tables in '\/var\/lib\/mysql'/);
    await journalShows('real-db.service', /mariadbd: ready for connections/);
    expect(await host.execOk(['podman', 'exec', 'real-db', 'mariadb', '--batch', '--skip-column-names', '-e', 'SELECT 6*7'])).toBe('42\n');
  });

  it('nginx on the shared .network starts after the healthy db, passes nginx -t, answers on its published port and resolves the db by name', async () => {
    // From stopped: starting nginx alone pulls the db in (Requires=) and waits for it to be healthy (After=, Notify=healthy).
    await host.execOk(['systemctl', 'stop', 'real-db.service'], { timeoutMs: 120_000 });
    const web = await start('real-web.service');
    const db = await props('real-db.service');
    expect(db.ActiveState).toBe('active');
    expect(Number(web.InactiveExitTimestampMonotonic)).toBeGreaterThanOrEqual(Number(db.ActiveEnterTimestampMonotonic));
    // The second start found its datadir in the volume: initialised once.
    expect((await host.journal('real-db.service', 1000)).match(/Installing MariaDB\/MySQL system tables/g)).toHaveLength(1);

    const test = await host.exec(['podman', 'exec', 'real-web', 'nginx', '-t']);
    expect(test.code).toBe(0);
    expect(test.stderr).toMatch(/configuration file \/etc\/nginx\/nginx\.conf test is successful/);

    const body = await until('nginx to answer on 127.0.0.1:' + WEB_PORT, () => sh(`busybox wget -q -O - http://127.0.0.1:${WEB_PORT}/`), (b) => b.includes('served by'), { retryErrors: true, timeoutMs: 60_000 });
    expect(body).toBe('served by nginx in real-web\n');

    // aardvark-dns answers for the db's container name on the network both are on.
    const dbIp = (await host.execOk(['podman', 'inspect', '--format', `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, 'real-db'])).trim();
    expect(dbIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await host.execOk(['podman', 'exec', 'real-web', 'getent', 'hosts', 'real-db'])).split(/\s+/)[0]).toBe(dbIp);
    // The db answers there with MariaDB's handshake (here: an error packet, as root may only log in on the socket).
    const greeting = await host.execOk(['podman', 'exec', 'real-web', 'timeout', '10', 'bash', '-c', 'head -c 200 </dev/tcp/real-db/3306 | tr -c "[:print:]" "."']);
    expect(greeting).toMatch(/MariaDB/);
  });

  it('PostgreSQL, initialised by initdb as postgres into its volume, becomes ready (pg_isready) under its unit', async () => {
    const p = await start('real-pg.service');
    log(`real-pg.service: active (pg_isready) ${secondsToActive(p)} s after its start began, initdb included`);
    const j = await journalShows('real-pg.service', /database system is ready to accept connections/);
    expect(j).toMatch(/Success\. You can now start the database server/);
    const ready = await host.exec(['podman', 'exec', '--user', 'postgres', 'real-pg', `${POSTGRES_BIN}/pg_isready`, '-h', '/run/postgresql']);
    expect(ready).toMatchObject({ code: 0, stdout: '/run/postgresql:5432 - accepting connections\n' });
    expect(await host.execOk(['podman', 'exec', '--user', 'postgres', 'real-pg', 'psql', '-h', '/run/postgresql', '-Atc', "SELECT current_user || ' ' || pg_encoding_to_char(encoding) || ' ' || datcollate FROM pg_database WHERE datname = 'postgres'"])).toBe('postgres UTF8 C.UTF-8\n');
    expect(await host.execOk(['podman', 'exec', 'real-pg', 'stat', '-c', '%U %a', '/var/lib/postgresql/data'])).toBe('postgres 700\n');
    expect(await host.execOk(['podman', 'exec', 'real-pg', 'cat', '/var/lib/postgresql/data/PG_VERSION'])).toBe('17\n');
    expect(await host.execOk(['podman', 'inspect', '--format', '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}', 'real-pg'])).toContain('archy-real-pg:/var/lib/postgresql/data');
  });

  it('Tor from Debian writes its onion service\'s keys and hostname into its volume with no network', async () => {
    await start('real-tor.service');
    const dir = '/var/lib/tor/hs-web';
    await until('tor to write its hostname file', () => host.exec(['podman', 'exec', 'real-tor', 'test', '-s', `${dir}/hostname`]), (r) => r.code === 0);
    const hostname = await host.execOk(['podman', 'exec', 'real-tor', 'cat', `${dir}/hostname`]);
    expect(hostname).toMatch(/^[a-z2-7]{56}\.onion\n$/);
    // A v3 address is base32(public key | checksum | version 3), checksum = SHA3-256(".onion checksum" | key | version)[:2].
    const raw = base32Decode(hostname.slice(0, 56));
    const key = raw.subarray(0, 32);
    expect(raw[34]).toBe(3);
    const checksum = createHash('sha3-256').update(Buffer.concat([Buffer.from('.onion checksum'), key, Buffer.from([3])])).digest().subarray(0, 2);
    expect(raw.subarray(32, 34).equals(checksum)).toBe(true);
    // ... and the key is the one tor keeps beside it (a 32-byte tagged header, then the key).
    const publicKey = Buffer.from(await host.execOk(['podman', 'exec', 'real-tor', 'base64', '-w0', `${dir}/hs_ed25519_public_key`]), 'base64');
    expect(publicKey.subarray(0, 29).toString('latin1')).toBe('== ed25519v1-public: type0 ==');
    expect(publicKey.subarray(32).equals(key)).toBe(true);
    // tor insists that only its user can read the service's directory.
    const [owner, mode] = (await host.execOk(['podman', 'exec', 'real-tor', 'stat', '-c', '%U %a', dir])).trim().split(' ');
    expect(owner).toBe('debian-tor');
    expect(parseInt(mode ?? '', 8) & 0o077).toBe(0);
    // Offline: it never reaches a relay; the keys and hostname do not wait for one.
    const j = await journalShows('real-tor.service', /Problem bootstrapping\. Stuck at \d+% .*Network is unreachable/);
    expect(j).not.toMatch(/Bootstrapped 100%/);
    log(`real-tor.service wrote ${hostname.trim()} offline; journal: ${j.split('\n').filter((l) => /Bootstrapped|Problem bootstrapping/.test(l)).slice(0, 3).join(' | ')}`);
  });

  it.each([
    ['real-tor.service', /Catching signal TERM, exiting cleanly/],
    ['real-web.service', /signal 3 \(SIGQUIT\) received, shutting down/],
    ['real-pg.service', /database system is shut down/],
    ['real-db.service', /mariadbd: Shutdown complete/],
  ])('%s stops cleanly within its stop timeout: inactive, not failed, its container gone', async (unit, shutdownLine) => {
    expect((await props(unit)).ActiveState).toBe('active');
    await host.execOk(['systemctl', 'stop', '--no-block', unit]);
    const p = await until(`${unit} to stop`, () => props(unit), (v) => v.ActiveState === 'inactive' || v.ActiveState === 'failed', { timeoutMs: 120_000, intervalMs: 250 });
    expect(p).toMatchObject({ ActiveState: 'inactive', SubState: 'dead', Result: 'success' });
    const j = await journalShows(unit, shutdownLine);
    expect(j).not.toMatch(/resorting to SIGKILL/);
    expect((await host.exec(['podman', 'container', 'exists', unit.replace(/\.service$/, '')])).code).toBe(1);
  });
});
