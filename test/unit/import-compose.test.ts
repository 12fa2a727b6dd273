import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import type { ImportFinding } from '../../src/import/findings.js';
import { importCompose, type ComposeInput } from '../../src/import/project.js';
import { findComposeProjects, readComposeProject } from '../../src/store/node/compose-project.js';

/** Imports a compose text as `compose.yaml` of a project in /srv/compose/demo. */
function run(text: string, more: Partial<ComposeInput> = {}): { manifest: ReturnType<typeof importCompose>['manifest']; lines: string[]; findings: ImportFinding[] } {
  const r = importCompose({ file: 'compose.yaml', text, projectDir: '/srv/compose/demo', defaultName: 'demo', variableFiles: [], environment: {}, envFiles: new Map(), ...more });
  // Short names are qualified everywhere here: that note is tested once, in import-values.
  const lines = r.findings.filter((f) => !f.message.startsWith('short name')).map((f) => `${f.level}: ${formatProblem(f)}`);
  return { manifest: r.manifest, findings: r.findings, lines };
}
const one = (service: string): string => `services:\n  app:\n    image: example/app:1.0\n${service.replace(/^/gm, '    ')}\n`;

describe('import compose: one service is a one-container app', () => {
  it('the project name, or the directory, or --app is the id; the service\'s fields are at the top level', () => {
    expect(run(one('user: "1000"')).manifest).toEqual({ id: 'demo', image: 'docker.io/example/app:1.0', user: '1000' });
    expect(run(`name: My_App\n${one('init: true')}`).manifest).toMatchObject({ id: 'my-app', init: true });
    expect(run(one('init: true'), { appId: 'other' }).manifest?.id).toBe('other');
  });

  it('ports: every short form and the long syntax', () => {
    const { manifest } = run(one(['ports:', '  - 3000', '  - "3001-3002"', '  - "9090-9091:8080-8081"', '  - "127.0.0.1::5002"', '  - "[::1]:6001:6001"', '  - "6060:6060/udp"', '  - {target: 443, published: "8443", host_ip: 127.0.0.1}', '  - {target: 53, published: 1053, protocol: udp}'].join('\n')));
    expect(manifest?.ports).toEqual([
      { container: 3000 },
      { container: 3001 },
      { container: 3002 },
      { container: 8080, host: 9090 },
      { container: 8081, host: 9091 },
      { container: 5002, hostIp: '127.0.0.1' },
      { container: 6001, hostIp: '::1' },
      { container: 6060, protocol: 'udp' },
      { container: 443, host: 8443, hostIp: '127.0.0.1' },
      { container: 53, host: 1053, protocol: 'udp' },
    ]);
  });

  it('volumes: named, bind (absolute, relative, ~), :ro, :z, long syntax, tmpfs, driver_opts bind', () => {
    const { manifest, lines } = run(
      one(['volumes:', '  - data:/data', '  - certs:/certs:ro', '  - ./conf:/etc/app:ro,z', '  - ~/keys:/keys', '  - /var/run/app', '  - {type: bind, source: /srv/x, target: /x, read_only: true, bind: {selinux: Z}}', '  - {type: tmpfs, target: /tmp, tmpfs: {size: 64m, mode: 1777}}', '  - dev:/dev-data'].join('\n')) +
        'volumes:\n  data:\n  certs:\n  dev:\n    driver_opts: {type: none, o: bind, device: /srv/dev}\n',
      { environment: { HOME: '/home/me' } },
    );
    expect(manifest).toMatchObject({
      volumes: [{ name: 'data', target: '/data' }, { name: 'certs', target: '/certs', readOnly: true }, { name: 'var-run-app', target: '/var/run/app' }],
      binds: [{ source: '/srv/compose/demo/conf', target: '/etc/app', readOnly: true, relabel: 'z' }, { source: '/home/me/keys', target: '/keys' }, { source: '/srv/x', target: '/x', readOnly: true, relabel: 'Z' }, { source: '/srv/dev', target: '/dev-data' }],
      tmpfs: [{ target: '/tmp', size: '64Mi', mode: '1777' }],
    });
    expect(lines.filter((l) => l.startsWith('dropped'))).toEqual([]);
  });

  it('environment: map and list, env_file, bare names from the variables, numbers and booleans as text', () => {
    const envFiles = new Map([['/srv/compose/demo/app.env', { file: 'app.env', text: 'FROM_FILE=1\nOVERRIDDEN=file\n' }]]);
    const map = run(one('env_file: app.env\nenvironment:\n  OVERRIDDEN: env\n  NUM: 5\n  BOOL: true\n  BARE:\n  MISSING:'), { envFiles, environment: { BARE: 'from-shell' } });
    expect(map.manifest?.environment).toEqual({ FROM_FILE: '1', OVERRIDDEN: 'env', NUM: '5', BOOL: 'true', BARE: 'from-shell' });
    expect(map.lines).toContain('note: compose.yaml:10:7 /services/app/environment/MISSING: MISSING has no value and is not set: left out, as compose leaves it unset');
    expect(run(one('environment: ["A=1", "B=x=y", "C"]'), { environment: { C: 'c' } }).manifest?.environment).toEqual({ A: '1', B: 'x=y', C: 'c' });
  });

  it('a required env file that is missing is an error; an optional one is not', () => {
    expect(run(one('env_file: nope.env')).lines).toEqual(['error: compose.yaml:4:15 /services/app/env_file: env file /srv/compose/demo/nope.env does not exist (create it, or mark it required: false)']);
    expect(run(one('env_file: [{path: nope.env, required: false}]')).manifest).toBeDefined();
  });

  it('variables: --env files in order, the environment over them; an unset one names FILE:LINE:COL and the variable', () => {
    const variableFiles = [{ file: 'a.env', text: 'TAG=1.0\nPORT=80\n' }, { file: 'b.env', text: 'PORT=81\nHOST=${TAG}-host\n' }];
    const r = run('services:\n  app:\n    image: example/app:${TAG}\n    hostname: h${PORT}\n    labels: {host: "${HOST}", shell: "${SHELL_ONLY}"}\n', { variableFiles, environment: { SHELL_ONLY: 'yes', TAG: '2.0' } });
    expect(r.manifest).toMatchObject({ image: 'docker.io/example/app:2.0', hostname: 'h81', labels: { host: '2.0-host', shell: 'yes' } });
    expect(run(one('environment:\n  A: ok\n  B: ${NOT_SET}')).lines).toEqual(['error: compose.yaml:6:10 /services/app/environment/B: variable NOT_SET is not set (set it in an --env file or the environment, or give a default: ${NOT_SET:-value})']);
    expect(run(one('env_file: x.env'), { envFiles: new Map([['/srv/compose/demo/x.env', { file: 'x.env', text: 'A=1\nB=${GONE}\n' }]]) }).lines).toEqual(['error: x.env:2:3: variable GONE is not set (set it in an --env file or the environment, or give a default: ${GONE:-value})']);
  });

  it('command and entrypoint: a string is split into shell words, a list is kept', () => {
    expect(run(one(`command: sh -c 'echo "a b"' --x="1 2"\nentrypoint: [/init, --]`)).manifest).toMatchObject({ command: ['sh', '-c', 'echo "a b"', '--x=1 2'], entrypoint: ['/init', '--'] });
    expect(run(one('command: [run, 8080, true]')).manifest?.command).toEqual(['run', '8080', 'true']);
    expect(run(one('entrypoint: []')).lines).toEqual(["dropped: compose.yaml:4:5 /services/app/entrypoint: an empty entrypoint is not carried over: a manifest cannot clear the image's entrypoint; it keeps the image's"]);
  });

  it('healthcheck: CMD, CMD-SHELL, a string, durations; NONE disables the image\'s check', () => {
    const h = (test: string): unknown => run(one(`healthcheck:\n  test: ${test}\n  interval: 1m30s\n  timeout: 5s\n  start_period: 2m\n  retries: 3`)).manifest?.health;
    expect(h('["CMD", "pg_isready", "-U", "app"]')).toEqual({ cmd: ['pg_isready', '-U', 'app'], interval: '90s', timeout: '5s', startPeriod: '2m', retries: 3 });
    expect(h('["CMD-SHELL", "curl -f localhost || exit 1"]')).toMatchObject({ cmd: ['/bin/sh', '-c', 'curl -f localhost || exit 1'] });
    expect(h('curl -f localhost')).toMatchObject({ cmd: ['/bin/sh', '-c', 'curl -f localhost'] });
    expect(run(one('healthcheck:\n  disable: true')).manifest?.quadlet).toEqual({ Container: { HealthCmd: 'none' } });
  });

  it('restart, stop_grace_period, stop_signal, user, working_dir, hostname, init, privileged, read_only', () => {
    expect(run(one('restart: unless-stopped\nstop_grace_period: 1m30s\nstop_signal: INT\nuser: "1000:1000"\nworking_dir: /srv\nhostname: box\ninit: true\nprivileged: true\nread_only: true')).manifest).toMatchObject({
      restart: 'always', stop: { timeout: '90s', signal: 'SIGINT' }, user: '1000:1000', workingDir: '/srv', hostname: 'box', init: true, privileged: true, security: { readOnly: true },
    });
  });

  it('capabilities, devices, shm_size, ulimits, sysctls, labels, extra_hosts, security_opt', () => {
    const { manifest } = run(
      one(['cap_add: [CAP_NET_ADMIN, sys_time]', 'cap_drop: [ALL]', 'devices: [/dev/fuse, "/dev/ttyUSB0:/dev/ttyACM0:rw"]', 'shm_size: 1gb', 'ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 64}', 'sysctls: [net.core.somaxconn=1024]', 'labels: [a.b=c]', 'extra_hosts: ["db:10.0.0.2", "v6=::1", {}]'.replace(', {}', ''), 'security_opt: ["no-new-privileges:true", "label=type:spc_t", "seccomp=/etc/seccomp.json", "mask=/proc/kcore"]'].join('\n')),
    );
    expect(manifest).toMatchObject({
      security: { capAdd: ['NET_ADMIN', 'SYS_TIME'], capDrop: ['ALL'], noNewPrivileges: true },
      devices: ['/dev/fuse', { host: '/dev/ttyUSB0', container: '/dev/ttyACM0', permissions: 'rw' }],
      shmSize: '1Gi',
      ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 64 },
      sysctls: { 'net.core.somaxconn': '1024' },
      labels: { 'a.b': 'c' },
      hosts: [{ host: 'db', ip: '10.0.0.2' }, { host: 'v6', ip: '::1' }],
      quadlet: { Container: { SecurityLabelType: 'spc_t', SeccompProfile: '/etc/seccomp.json', Mask: '/proc/kcore' } },
    });
  });

  it('network_mode: host is hostNetwork, and its ports are left out', () => {
    const r = run(one('network_mode: host\nports: ["80:80"]'));
    expect(r.manifest).toEqual({ id: 'demo', image: 'docker.io/example/app:1.0', hostNetwork: true });
  });
});

describe('import compose: several services are an app of several containers', () => {
  const project = `services:
  db:
    image: postgres:16.8
    healthcheck: {test: [CMD, pg_isready]}
  migrate:
    image: example/api:1.0
    command: [migrate]
    restart: always
    depends_on: {db: {condition: service_healthy}}
  api:
    image: example/api:1.0
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  web:
    image: example/web:1.0
    depends_on: [api]
    networks: {default: {aliases: [frontend]}}
`;
  it('depends_on (list and map, every condition) → dependsOn; a completed target is a one-shot', () => {
    const { manifest, lines } = run(project);
    expect(manifest?.containers).toMatchObject({
      db: { image: 'docker.io/library/postgres:16.8', health: { cmd: ['pg_isready'] } },
      migrate: { oneshot: true, dependsOn: [{ container: 'db', condition: 'healthy' }] },
      api: { dependsOn: [{ container: 'db', condition: 'healthy' }, { container: 'migrate', condition: 'completed' }] },
      web: { dependsOn: [{ container: 'api' }] },
    });
    expect(manifest?.containers?.migrate?.restart).toBeUndefined();
    expect(lines).toContain('dropped: compose.yaml:8:5 /services/migrate/restart: restart always is not carried over: systemd does not restart a one-shot service after it succeeded');
    expect(lines.filter((l) => l.includes('aliases'))).toEqual(["dropped: compose.yaml:18:26 /services/web/networks/default/aliases: aliases frontend is not carried over: a container is reached by its name (web) on the app's network; the manifest has no other aliases (rename the container, or point the others at its name)"]);
  });

  it('service_healthy on a service without a healthcheck waits for started, reported', () => {
    const { manifest, lines } = run('services:\n  a: {image: x/a:1}\n  b:\n    image: x/b:1\n    depends_on: {a: {condition: service_healthy}}\n');
    expect(manifest?.containers?.b?.dependsOn).toEqual([{ container: 'a' }]);
    expect(lines[lines.length - 1]).toMatch(/^dropped: compose\.yaml:5:22 \/services\/b\/depends_on\/a\/condition: service_healthy is not carried over: a has no healthcheck/);
  });

  it('anchors and merge keys: a pointer into merged content is located where its text is', () => {
    const text = 'x-base: &base\n  restart: sometimes\n  image: x/a:1\nservices:\n  a:\n    <<: *base\n    init: true\n';
    const { lines } = run(text);
    expect(lines).toEqual(['dropped: compose.yaml:2:3 /services/a/restart: restart "sometimes" is not carried over: a restart policy is no, always, on-failure or unless-stopped']);
  });
});

describe('import compose: hostile fixtures', () => {
  const fixture = async (name: string): Promise<string[]> => {
    const [p] = await findComposeProjects(`test/fixtures/compose/${name}`);
    return importCompose(await readComposeProject(p!, [], {})).findings.filter((f) => f.level !== 'note').map((f) => `${f.level}: ${formatProblem(f)}`);
  };
  it('an unset variable and a required one: errors at FILE:LINE:COL naming the variable', async () => {
    expect(await fixture('hostile-unset-var')).toEqual([
      'error: test/fixtures/compose/hostile-unset-var/compose.yaml:6:16 /services/app/environment/API_KEY: variable API_KEY is not set (set it in an --env file or the environment, or give a default: ${API_KEY:-value})',
      'error: test/fixtures/compose/hostile-unset-var/compose.yaml:7:13 /services/app/environment/MODE: variable MODE is required: set MODE to live or test (set it in an --env file or the environment)',
    ]);
  });
  it('an alias bomb, a duplicate key and a list at the top are refused', async () => {
    expect(await fixture('hostile-alias-bomb')).toEqual(['error: test/fixtures/compose/hostile-alias-bomb/compose.yaml:1:1 /: YAML: Excessive alias count indicates a resource exhaustion attack']);
    expect(await fixture('hostile-duplicate-key')).toEqual(['error: test/fixtures/compose/hostile-duplicate-key/compose.yaml:7:7 /: duplicate key: Map keys must be unique']);
    expect(await fixture('hostile-not-compose')).toEqual(['error: test/fixtures/compose/hostile-not-compose/compose.yaml:2:1 /: a compose file is a mapping with services']);
  });
  it('unknown dependencies, a service without an image, colliding names', async () => {
    expect((await fixture('hostile-undeclared')).map((l) => l.replace(/^.*compose\.yaml:/, ''))).toEqual([
      '6:18 /services/web/depends_on/0: depends on "api", which is no service of this project',
      '8:5 /services/worker: the service has neither image nor build (add image: NAME:TAG)',
      '10:5 /services/Web_: services web and Web_ both become the container web (rename one service)',
    ]);
  });
  it('injection and escapes are dropped, each with its reason; what is left validates', async () => {
    const lines = await fixture('hostile-injection');
    expect(lines.every((l) => l.startsWith('dropped: '))).toBe(true);
    expect(lines.map((l) => l.replace(/^dropped: \S+compose\.yaml:(\d+):\d+ (.+?): .*$/, '$1 $2'))).toEqual([
      '6 /services/evil/environment/MULTI',
      '7 /services/evil/environment/BAD-NAME',
      '9 /services/evil/command',
      '11 /services/evil/volumes/0',
      '12 /services/evil/volumes/1',
      '13 /services/evil/volumes/2',
      '15 /services/evil/ports/0',
      '16 /services/evil/ports/1',
      '17 /services/evil/network_mode',
      '18 /services/evil/deploy',
      '23 /services/evil/security_opt/0',
      '25 /services/evil/labels/bad label',
      '26 /services/evil/hostname',
      '27 /services/evil/stop_signal',
      '28 /services/evil/restart',
      '29 /services/evil/cap_add/0',
      '30 /services/evil/unknown_key',
      '34 /volumes/data/external',
    ]);
  });
});
