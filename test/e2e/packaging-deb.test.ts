import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_IN_HOST, ROOTLESS_USER, useHost, userManager, type TestHost } from '../host/index.js';
import { repoRoot } from '../host/paths.js';
import { startTestHost, type StartedHost } from '../host/start.js';
import { appManifest, slowStopCommand } from '../support/apps.js';
import { until, type WaitOptions } from '../support/wait.js';

// The Debian package on a node: `npm run package` builds it (twice: the version of packaging/changelog and a rebuild
// with a bumped version), lintian finds no error in it, and inside a test host of its own (Debian 13 with Debian's
// nodejs, podman and systemd: the package's Depends) it goes through what an operator does: install (the daemon runs
// as a system service, healthy, on a test catalog), an app installed and stopped through the API, a daemon restart,
// an upgrade, a reinstall of the previous version, a daemon that fails, remove and purge. The apps never restart: each
// app's unit InvocationID and container StartedAt stay the same through every step after it was started.

const exec = promisify(execFile);
const SETTLE: WaitOptions = { timeoutMs: 120_000 };
const STEP_MS = 300_000;
const CATALOG = '/srv/test-catalog';
const DROP_IN = '/etc/systemd/system/archy-quadlet.service.d';
const STATE_DIR = '/var/lib/archy-quadlet';
const UNIT = 'archy-quadlet.service';
/** Installed by the daemon's first pass (state: running), and one installed through the API that takes 10 s to stop. */
const UP = 'pkg-up';
const SLOW = 'pkg-slow';

/** Runs in the node, as an operator's script would: one API call with the daemon's token, answer as JSON on stdout. */
const CLIENT = `
const [method, path, port] = process.argv.slice(1);
const token = require('node:fs').readFileSync(${JSON.stringify(`${STATE_DIR}/api-token`)}, 'utf8').trim();
fetch('http://127.0.0.1:' + port + path, { method, headers: { authorization: 'Bearer ' + token } })
  .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.json() })))
  .catch((e) => { process.stderr.write('api client: ' + method + ' ' + path + ': ' + String(e.cause ?? e) + '\\n'); process.exit(1); });
`;

/** The web UI's page and Vue's browser build, as a browser on the node gets them: status and content type. */
const UI_CHECK = `
Promise.all(['/', '/vendor/vue.esm-browser.prod.js'].map((p) => fetch('http://127.0.0.1:8080' + p).then((r) => [p, r.status, r.headers.get('content-type')])))
  .then((rows) => process.stdout.write(JSON.stringify(rows)));
`;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}
interface AppStatus {
  id: string;
  state: string;
}
/** What must not change while the daemon restarts, upgrades, fails or goes: an app's unit run and its container's start. */
interface AppRun {
  invocation: string;
  startedAt: string;
}

describe('Debian package: install, API, daemon restart, upgrade, reinstall of the previous version, failure, remove, purge', () => {
  /** Inside the checkout, so the host sees the packages under REPO_IN_HOST. */
  let out: string | undefined;
  const debs: { path: string; version: string }[] = [];
  let started: StartedHost | undefined;
  let host: TestHost;
  const runs = new Map<string, AppRun>();

  const sh = async (script: string): Promise<string> => host.execOk(['sh', '-c', script]);
  const inHost = (path: string): string => `${REPO_IN_HOST}/${relative(repoRoot(), path)}`;
  const api = async (method: string, path: string, port = 8080): Promise<Answer> =>
    JSON.parse(await host.execOk(['node', '-e', CLIENT, method, path, String(port)])) as Answer;
  const apps = async (): Promise<Record<string, string>> => {
    const { body } = await api('GET', '/api/apps');
    return Object.fromEntries((body.apps as AppStatus[]).map((a) => [a.id, a.state]));
  };
  const show = async (unit: string, property: string): Promise<string> => (await host.execOk(['systemctl', 'show', '-P', property, unit])).trim();
  const appRun = async (id: string): Promise<AppRun> => ({
    invocation: await show(`${id}.service`, 'InvocationID'),
    startedAt: (await host.execOk(['podman', 'inspect', '--format', '{{.State.StartedAt}}', id])).trim(),
  });
  const daemonRun = async (): Promise<{ active: string; invocation: string }> => ({ active: await show(UNIT, 'ActiveState'), invocation: await show(UNIT, 'InvocationID') });
  /** The rootless daemon (the user unit) under the test user's manager, read as root through `--machine UID@`, as postinst reaches it. */
  const userDaemonRun = async (): Promise<{ active: string; invocation: string }> => {
    const prop = async (p: string) => (await host.execOk(['systemctl', '--user', '--machine', `${ROOTLESS_USER.uid}@`, 'show', '-P', p, UNIT])).trim();
    return { active: await prop('ActiveState'), invocation: await prop('InvocationID') };
  };
  /** Every app started so far has the same unit run and container start as when it was recorded. */
  const expectAppsUntouched = async (): Promise<void> => {
    for (const [id, run] of runs) expect({ id, ...(await appRun(id)) }).toEqual({ id, ...run });
  };
  const packageCommand = async (args: string[]): Promise<{ ms: number; output: string }> => {
    const t = Date.now();
    const r = await host.exec(args, { timeoutMs: 300_000 });
    const ms = Date.now() - t;
    if (r.code !== 0) throw new Error(`\`${args.join(' ')}\` exited ${r.code}:\n${r.stdout}\n${r.stderr}\n${await host.journal(UNIT, 80)}`);
    return { ms, output: `${r.stdout}${r.stderr}` };
  };
  const packageVersion = async (): Promise<string> => (await sh("dpkg-query -W -f='${Status} ${Version}' archy-quadlet")).trim();

  beforeAll(async () => {
    // Two builds of the same sources, the second with a bumped version (a changelog entry of its own).
    mkdirSync(join(repoRoot(), '.cache/package'), { recursive: true });
    out = mkdtempSync(join(repoRoot(), '.cache/package/e2e-'));
    const base = (await exec('dpkg-parsechangelog', ['-l', 'packaging/changelog', '-S', 'Version'], { cwd: repoRoot() })).stdout.trim();
    for (const version of [base, `${base}+rebuild1`]) {
      const t = Date.now();
      const { stdout } = await exec('sh', ['scripts/package.sh', '--out', out, '--version', version], { cwd: repoRoot(), maxBuffer: 1 << 24 });
      const path = resolve(repoRoot(), stdout.trim().split('\n').at(-1)!);
      debs.push({ path, version });
      process.stderr.write(`[package] ${relative(repoRoot(), path)}: ${(statSync(path).size / 1e6).toFixed(2)} MB, built in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    }
    started = await startTestHost({ name: `${useHost().name}-deb`, log: (line) => void process.stderr.write(`${line}\n`) });
    host = started.host;
  }, 900_000);

  afterAll(async () => {
    await started?.stop();
    if (out) rmSync(out, { recursive: true, force: true });
  }, 120_000);

  it('lintian reports no error, and every warning left is one packaging/README.md lists with its reason', async () => {
    const r = await exec('lintian', ['--tag-display-limit', '0', debs[0]!.path], { cwd: repoRoot(), maxBuffer: 1 << 24 }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    const lines = r.stdout.split('\n').filter((l) => /^[EW]: /.test(l));
    expect(lines.filter((l) => l.startsWith('E: '))).toEqual([]);
    const readme = readFileSync(join(repoRoot(), 'packaging/README.md'), 'utf8');
    const warnings = [...new Set(lines.map((l) => l.split(' ')[2]!))];
    expect(warnings.filter((tag) => !readme.includes(`\`${tag}\``))).toEqual([]);
  }, STEP_MS);

  it('apt install ./….deb: the daemon runs as an enabled system service, healthy, and renders the test catalog', async () => {
    // The operator's override, in place before the install: the daemon's first start already reads the test catalog.
    await sh(`mkdir -p ${CATALOG} ${DROP_IN}`);
    await host.execOk(['sh', '-c', `cat > ${CATALOG}/${UP}.yaml`], { input: appManifest(UP) });
    await host.execOk(['sh', '-c', `cat > ${CATALOG}/${SLOW}.yaml`], { input: appManifest(SLOW, { state: 'absent', command: slowStopCommand(10), stopTimeout: '60s' }) });
    await host.execOk(['sh', '-c', `cat > ${DROP_IN}/catalog.conf`], { input: `[Service]\nEnvironment=ARCHY_QUADLET_MANIFESTS=${CATALOG}\n` });

    // The README's command (apt resolves the Depends from what is installed: no network here).
    const { ms, output } = await packageCommand(['apt-get', 'install', '-y', inHost(debs[0]!.path)]);
    process.stderr.write(`[package] apt-get install ${debs[0]!.version}: ${(ms / 1000).toFixed(1)} s (returns once the daemon is healthy)\n`);
    expect(output).toContain(`Setting up archy-quadlet (${debs[0]!.version})`);
    expect(await packageVersion()).toBe(`install ok installed ${debs[0]!.version}`);
    // postinst starts it and its ExecStartPost= health check has passed: active, not activating.
    expect(await daemonRun()).toMatchObject({ active: 'active' });
    expect((await host.exec(['systemctl', 'is-enabled', UNIT])).stdout.trim()).toBe('enabled');
    expect((await sh(`stat -c '%a %U' ${STATE_DIR} ${STATE_DIR}/api-token`)).trim().split('\n')).toEqual(['700 root', '600 root']);
    const { body: health } = await api('GET', '/api/health');
    expect(health).toMatchObject({ ok: true, systemd: { state: 'connected' } });

    await until(`${UP} running`, apps, (a) => a[UP] === 'running', SETTLE);
    expect(await apps()).toEqual({ [UP]: 'running', [SLOW]: 'not-installed' });
    runs.set(UP, await appRun(UP));
    // The unit the daemon wrote starts at boot by itself: nothing ties it to the daemon, in the file or in systemd's view.
    const unit = await sh(`cat /etc/containers/systemd/${UP}.container`);
    expect(unit).toContain('WantedBy=multi-user.target');
    expect(unit).not.toMatch(/archy-quadlet\.service/);
    const reverse = await host.execOk(['systemctl', 'show', '-p', 'RequiredBy', '-p', 'RequisiteOf', '-p', 'BoundBy', '-p', 'ConsistsOf', '-p', 'WantedBy', UNIT]);
    expect(reverse.trim().split('\n').sort()).toEqual(['BoundBy=', 'ConsistsOf=', 'RequiredBy=', 'RequisiteOf=', 'WantedBy=multi-user.target']);
  }, STEP_MS);

  it('ships the units (systemd-analyze verify), the command on PATH, the catalog as conffiles, a man page and bash completion', async () => {
    // --man=no: the host has no man-db to look up Documentation=man:archy-quadlet(1); lintian checks the page itself.
    for (const unit of ['/usr/lib/systemd/system/archy-quadlet.service', '/usr/lib/systemd/user/archy-quadlet.service']) {
      const r = await host.exec(['systemd-analyze', 'verify', '--man=no', unit]);
      expect({ unit, code: r.code, stderr: r.stderr.trim() }).toEqual({ unit, code: 0, stderr: '' });
    }
    const version = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).version as string;
    expect((await host.execOk(['archy-quadlet', '--version'])).trim()).toBe(version);
    const conffiles = (await sh('cat /var/lib/dpkg/info/archy-quadlet.conffiles')).trim().split('\n');
    const shipped = (await exec('ls', ['manifests'], { cwd: repoRoot() })).stdout.trim().split('\n').filter((f) => f.endsWith('.yaml'));
    const icons = (await exec('ls', ['manifests/icons'], { cwd: repoRoot() })).stdout.trim().split('\n').map((f) => `icons/${f}`);
    expect([...conffiles].sort()).toEqual([...shipped, ...icons].map((f) => `/etc/archy-quadlet/manifests/${f}`).sort());
    // An editor follows each manifest's `$schema=../schema/manifest.schema.json` to the shipped schema.
    expect(JSON.parse(await sh('cd /etc/archy-quadlet/manifests && cat "$(sed -n "s/.*\\$schema=//p" bitcoin.yaml)"')).$id).toBe('urn:archy-quadlet:schema:manifest');
    expect((await sh('gzip -dc /usr/share/man/man1/archy-quadlet.1.gz | head -1')).trim()).toMatch(/^\.TH ARCHY\\-QUADLET 1 /);
    await sh('bash -n /usr/share/bash-completion/completions/archy-quadlet');
    // The operator's second command: the token the web UI asks for, which the UI's files (and Vue's build) need none of.
    expect((await host.execOk(['archy-quadlet', 'token'])).trim()).toBe((await sh(`cat ${STATE_DIR}/api-token`)).trim());
    const ui = await host.execOk(['node', '-e', UI_CHECK]);
    expect(JSON.parse(ui)).toEqual([
      ['/', 200, 'text/html; charset=utf-8'],
      ['/vendor/vue.esm-browser.prod.js', 200, 'text/javascript; charset=utf-8'],
    ]);
    expect(await sh('grep -c "complete -F _archy_quadlet archy-quadlet" /usr/share/bash-completion/completions/archy-quadlet')).toBe('1\n');
  }, STEP_MS);

  it('an app installed through the API, then stopped: the stop returns at once (stopping), and the app ends stopped', async () => {
    const install = await api('POST', `/api/apps/${SLOW}/install`);
    expect(install.status).toBe(202);
    await until(`${SLOW} running`, apps, (a) => a[SLOW] === 'running', SETTLE);
    runs.set(SLOW, await appRun(SLOW));

    // The container takes 10 s to stop; the answer is the queued job's transitional state, not the end of the stop.
    const stop = await api('POST', `/api/apps/${SLOW}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.body).toMatchObject({ action: 'stop', status: { id: SLOW, state: 'stopping' } });
    await until(`${SLOW} stopped`, apps, (a) => a[SLOW] === 'stopped', SETTLE);
    const { body } = await api('GET', `/api/apps/${SLOW}`);
    const states = (body.history as { state: string }[]).map((h) => h.state);
    expect(states.slice(states.lastIndexOf('stopping'))).toEqual(['stopping', 'stopped']);
    runs.delete(SLOW); // stopped: it has no run to keep any more
    await expectAppsUntouched();
  }, STEP_MS);

  it('systemctl restart of the daemon: no app restarted, every state read back', async () => {
    const before = await daemonRun();
    await host.execOk(['systemctl', 'restart', UNIT]);
    const after = await daemonRun();
    expect(after.active).toBe('active');
    expect(after.invocation).not.toBe(before.invocation);
    await expectAppsUntouched();
    expect(await apps()).toEqual({ [UP]: 'running', [SLOW]: 'stopped' });
    expect(await show(`${SLOW}.service`, 'ActiveState')).toBe('inactive');
  }, STEP_MS);

  it('upgrade to a newer build: only the daemon restarts; apps, state and token are kept', async () => {
    const token = await sh(`cat ${STATE_DIR}/api-token`);
    // An operator's change to a shipped manifest (a conffile) that the new package did not change is kept without a question.
    await sh('echo "# the operator was here" >> /etc/archy-quadlet/manifests/tor.yaml');
    const before = await daemonRun();
    const { ms } = await packageCommand(['dpkg', '-i', inHost(debs[1]!.path)]);
    process.stderr.write(`[package] upgrade to ${debs[1]!.version}: ${(ms / 1000).toFixed(1)} s\n`);
    expect(await packageVersion()).toBe(`install ok installed ${debs[1]!.version}`);
    const after = await daemonRun();
    expect(after).toMatchObject({ active: 'active' });
    expect(after.invocation).not.toBe(before.invocation);
    await expectAppsUntouched();
    expect(await sh(`cat ${STATE_DIR}/api-token`)).toBe(token);
    expect(await apps()).toEqual({ [UP]: 'running', [SLOW]: 'stopped' });
    expect(await sh('tail -n 1 /etc/archy-quadlet/manifests/tor.yaml')).toBe('# the operator was here\n');
  }, STEP_MS);

  it("reinstall of the previous version (the operator's way back): the same, the other way", async () => {
    const before = await daemonRun();
    const { output } = await packageCommand(['dpkg', '-i', inHost(debs[0]!.path)]);
    expect(output).toContain(`downgrading`);
    expect(await packageVersion()).toBe(`install ok installed ${debs[0]!.version}`);
    const after = await daemonRun();
    expect(after).toMatchObject({ active: 'active' });
    expect(after.invocation).not.toBe(before.invocation);
    await expectAppsUntouched();
    expect(await apps()).toEqual({ [UP]: 'running', [SLOW]: 'stopped' });
  }, STEP_MS);

  it('a daemon that never answers its health check fails its start, is given up after StartLimitBurst=, and takes no app down', async () => {
    // The daemon replaced by a process that never listens: ExecStartPost='s health check cannot pass.
    await host.execOk(['sh', '-c', `cat > ${DROP_IN}/broken.conf`], {
      input: '[Service]\nExecStart=\nExecStart=/bin/sleep infinity\nTimeoutStartSec=3s\nRestartSec=100ms\n',
    });
    try {
      await host.execOk(['systemctl', 'daemon-reload']);
      const restart = await host.exec(['systemctl', 'restart', UNIT], { timeoutMs: 120_000 });
      expect(restart.code).not.toBe(0);
      // Every start in the window counts (this test's restarts, upgrade and downgrade too): Restart= goes on until the
      // 10th. systemd 257 keeps the failed start's Result (timeout) and says why it stopped trying in the journal.
      await until('the start limit hit', () => host.journal(UNIT, 300), (j) => j.includes('Start request repeated too quickly'), SETTLE);
      expect({ active: await show(UNIT, 'ActiveState'), result: await show(UNIT, 'Result') }).toEqual({ active: 'failed', result: 'timeout' });
      expect(Number(await show(UNIT, 'NRestarts'))).toBeGreaterThan(0);
      expect(await host.journal(UNIT, 300)).toContain('did not answer 200 before SIGTERM');
      await expectAppsUntouched();
    } finally {
      await sh(`rm -f ${DROP_IN}/broken.conf && systemctl daemon-reload && systemctl reset-failed ${UNIT} && systemctl start ${UNIT}`);
    }
    expect(await daemonRun()).toMatchObject({ active: 'active' });
    expect(await apps()).toEqual({ [UP]: 'running', [SLOW]: 'stopped' });
  }, STEP_MS);

  it("the user unit runs the daemon rootless under a user's manager, on 127.0.0.1:8081, and a reinstall restarts it", async () => {
    const user = await userManager(host);
    try {
      await user.execOk(['sh', '-c', 'mkdir -p ~/catalog ~/.config/systemd/user/archy-quadlet.service.d && printf "[Service]\\nEnvironment=ARCHY_QUADLET_MANIFESTS=%%h/catalog\\n" > ~/.config/systemd/user/archy-quadlet.service.d/catalog.conf']);
      await user.execOk(['systemctl', '--user', 'daemon-reload']);
      await user.execOk(['systemctl', '--user', 'start', UNIT]);
      expect((await user.execOk(['systemctl', '--user', 'show', '-P', 'ActiveState', UNIT])).trim()).toBe('active');
      expect(await user.journal(UNIT, 50)).toContain('http://127.0.0.1:8081/api/health answered 200');
      expect((await user.execOk(['stat', '-c', '%a', '.local/state/archy-quadlet'])).trim()).toBe('700');
      // A reinstall (dpkg runs postinst as for an upgrade) restarts the running rootless daemon on the new files.
      const before = await userDaemonRun();
      await packageCommand(['dpkg', '-i', inHost(debs[0]!.path)]);
      const after = await userDaemonRun();
      expect(after.active).toBe('active');
      expect(after.invocation).not.toBe(before.invocation);
      await until('the restarted rootless daemon healthy', () => user.journal(UNIT, 100), (j) => j.split('8081/api/health answered 200').length === 3, SETTLE);
    } finally {
      await user.close();
    }
    await expectAppsUntouched();
  }, STEP_MS);

  it("apt-get remove: the daemon stops and is masked, a user's rootless daemon stops; apps keep running; state and catalog stay", async () => {
    expect((await userDaemonRun()).active).toBe('active');
    await packageCommand(['apt-get', 'remove', '-y', 'archy-quadlet']);
    expect(await packageVersion()).toBe(`deinstall ok config-files ${debs[0]!.version}`);
    expect(await show(UNIT, 'LoadState')).toBe('masked');
    expect(await show(UNIT, 'ActiveState')).toBe('inactive');
    // The rootless daemon, whose files are gone, is stopped too.
    expect((await userDaemonRun()).active).toBe('inactive');
    await expectAppsUntouched();
    expect(await show(`${UP}.service`, 'ActiveState')).toBe('active');
    await sh(`test -f ${STATE_DIR}/api-token && test -f /etc/archy-quadlet/manifests/tor.yaml && test -f /etc/containers/systemd/${UP}.container`);
  }, STEP_MS);

  it('apt-get purge: the state directory and the catalog are gone; the apps and their units stay', async () => {
    await packageCommand(['apt-get', 'purge', '-y', 'archy-quadlet']);
    expect((await host.exec(['dpkg-query', '-W', 'archy-quadlet'])).code).not.toBe(0);
    expect((await host.exec(['test', '-e', STATE_DIR])).code).not.toBe(0);
    expect((await host.exec(['test', '-e', '/etc/archy-quadlet'])).code).not.toBe(0);
    expect(await show(UNIT, 'LoadState')).not.toBe('masked');
    await expectAppsUntouched();
    expect(await show(`${UP}.service`, 'ActiveState')).toBe('active');
    await sh(`test -f /etc/containers/systemd/${UP}.container && test -f /etc/containers/systemd/${SLOW}.container`);
  }, STEP_MS);
});
