import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { assertBuilt, hostArgs, hostCli, reconcileArgs, startServeChild, type CliRun } from '../support/cli.js';
import { gitIn } from '../support/git.js';
import { hostGenerator, runUnitDir } from '../support/host.js';
import { until } from '../support/wait.js';

// A fleet that follows one repository (docs/fleet.md), on the real host, with a local repository (a file URL, no
// network): two nodes, n1 on the canary ring and n2 on the stable ring, each with its own state and unit directory,
// through the real command line. Only commits signed by an allowed SSH key are applied (git's own verification);
// a ref moved back is refused; nodes/<name>.yaml gives each node its values and apps. App ids start with `fg-`.

const host = useHost();
const work = mkdtempSync(join(tmpdir(), 'archy-fleet-e2e-'));
const repo = join(work, 'repo');
const url = `file://${repo}`;
const keys = join(work, 'keys');
const allowedSigners = join(keys, 'allowed_signers');
// Two unit directories under Quadlet's /run search path (it reads subdirectories): one per node.
const nodes = {
  n1: { stateDir: join(work, 'n1'), unitDir: join(runUnitDir(host), 'fleet-n1'), ring: 'canary', app: 'fg-a' },
  n2: { stateDir: join(work, 'n2'), unitDir: join(runUnitDir(host), 'fleet-n2'), ring: 'stable', app: 'fg-b' },
};
type NodeName = keyof typeof nodes;
let systemd: SystemdPort;
const git = gitIn(repo);

/** Commits `files` (path in the repository → text) signed with `key` (`good`, `stranger`) or unsigned, on the branch checked out. */
function commit(files: Record<string, string>, message: string, key?: 'good' | 'stranger'): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(repo, name), text);
  git('add', '-A', '.');
  const sign = key ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(keys, key)}`, 'commit', '-S'] : ['commit'];
  git(...sign, '-q', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
}

/** `nodes/<name>.yaml`: the node's app and its greeting. */
const nodeFile = (app: string, greeting: string): string => `apps: [${app}]\nvalues:\n  greeting: ${greeting}\n`;

/** The manifest of `id`: its GREETING is the node's value, its RELEASE the catalog's. */
const manifest = (id: string, release: string): string => appManifest(id, { stopTimeout: '30s', environment: { GREETING: '{{node.greeting}}', RELEASE: release } });

/** The options that make node `name` a fleet's node: the repository, its ring, its name, signed commits only. */
const fleetArgs = (name: NodeName): string[] => ['--git', url, '--ring', nodes[name].ring, '--node-name', name, '--verify-commits', '--allowed-signers', allowedSigners];

/** `archy-quadlet apply --json` as node `name` runs it, plus `extra`. */
function apply(name: NodeName, extra: string[] = []): Promise<CliRun> {
  return hostCli(host, nodes[name], ['apply', '--json', ...fleetArgs(name), ...extra]);
}

function sourceOf(name: NodeName): { commit?: string; ring?: string; node?: string; rejected?: { commit: string; kind: string; error: string } } {
  return JSON.parse(readFileSync(join(nodes[name].stateDir, 'source.json'), 'utf8'));
}

function unitText(name: NodeName, app: string): string | undefined {
  const path = join(nodes[name].unitDir, `${app}.container`);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

async function unit(service: string): Promise<{ activeState: string; invocationId: string }> {
  const { value } = await systemd.getUnitProperties(service);
  return { activeState: value.activeState ?? '', invocationId: value.invocationId ?? '' };
}

/** Moves branch `ring/<ring>` to `commit` (a new branch, or a fast-forward: git refuses anything else). */
function pushRing(ring: string, commit: string): void {
  git('push', '-q', '.', `${commit}:refs/heads/ring/${ring}`);
}

beforeAll(async () => {
  assertBuilt();
  mkdirSync(keys);
  for (const key of ['good', 'stranger']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', key, '-f', join(keys, key)]);
  writeFileSync(allowedSigners, `ops@example.org namespaces="git" ${readFileSync(join(keys, 'good.pub'), 'utf8')}`);
  mkdirSync(join(repo, 'manifests'), { recursive: true });
  mkdirSync(join(repo, 'nodes'));
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  for (const n of Object.values(nodes)) mkdirSync(n.unitDir, { recursive: true });
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  for (const n of Object.values(nodes)) {
    await systemd.stopUnit(`${n.app}.service`).catch(() => undefined);
    rmSync(n.unitDir, { recursive: true, force: true });
  }
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a fleet following a git repository on the real host', () => {
  const files = (release: string, g1 = 'hello-n1', g2 = 'hello-n2'): Record<string, string> => ({
    'manifests/fg-a.yaml': manifest('fg-a', release),
    'manifests/fg-b.yaml': manifest('fg-b', release),
    'nodes/n1.yaml': nodeFile('fg-a', g1),
    'nodes/n2.yaml': nodeFile('fg-b', g2),
  });
  let first = '';
  let second = '';

  it('an unsigned commit is refused: nothing applied, the reason in source.json and the exit code', async () => {
    const unsigned = commit(files('1'), 'unsigned');
    pushRing('canary', unsigned);
    const r = await apply('n1');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`commit ${unsigned} is not applied: the commit is not signed`);
    expect(sourceOf('n1').rejected).toMatchObject({ commit: unsigned, kind: 'signature' });
    expect(readdirSync(nodes.n1.unitDir)).toEqual([]);
  });

  it('a commit signed by a key that is not an allowed signer is refused', async () => {
    const stranger = commit({ 'manifests/fg-a.yaml': manifest('fg-a', '1 ') }, 'signed by a stranger', 'stranger');
    pushRing('canary', stranger);
    const r = await apply('n1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`commit ${stranger} is not applied: the commit is signed by a key that is not an allowed signer \\(key SHA256:`));
    expect(sourceOf('n1').rejected).toMatchObject({ commit: stranger, kind: 'signature' });
    expect(readdirSync(nodes.n1.unitDir)).toEqual([]);
  });

  it('a commit signed by an allowed key is applied, each node with its own values and apps', async () => {
    first = commit(files('1'), 'release 1', 'good');
    pushRing('canary', first);
    pushRing('stable', first);
    for (const name of ['n1', 'n2'] as const) {
      const r = await apply(name);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ commit: first, failures: [], source: { commit: first, ring: nodes[name].ring, node: name, verifyCommits: true } });
      expect((await unit(`${nodes[name].app}.service`)).activeState).toBe('active');
    }
    expect(readdirSync(nodes.n1.unitDir)).toEqual(['fg-a.container']);
    expect(readdirSync(nodes.n2.unitDir)).toEqual(['fg-b.container']);
    expect(unitText('n1', 'fg-a')).toContain('Environment=GREETING=hello-n1');
    expect(unitText('n2', 'fg-b')).toContain('Environment=GREETING=hello-n2');
  });

  it("a node file changes that node's value and not the other's", async () => {
    const b = await unit('fg-b.service');
    const textB = unitText('n2', 'fg-b');
    const a = await unit('fg-a.service');
    const c = commit(files('1', 'bonjour-n1'), 'n1: a new greeting', 'good');
    pushRing('canary', c);
    pushRing('stable', c);
    const r1 = JSON.parse((await apply('n1')).stdout);
    expect(r1.done).toEqual(['write units/fg-a.container', 'daemon-reload', 'restart fg-a.service']);
    expect(unitText('n1', 'fg-a')).toContain('Environment=GREETING=bonjour-n1');
    expect((await unit('fg-a.service')).invocationId).not.toBe(a.invocationId);
    const r2 = JSON.parse((await apply('n2')).stdout);
    expect(r2).toMatchObject({ commit: c, planned: [], done: [] });
    expect(unitText('n2', 'fg-b')).toBe(textB);
    expect(await unit('fg-b.service')).toEqual(b);
  });

  it('a canary node takes a commit the stable node does not until it is promoted (a fast-forward of ring/stable)', async () => {
    const stableBefore = sourceOf('n2').commit;
    second = commit(files('2', 'bonjour-n1'), 'release 2', 'good');
    pushRing('canary', second);
    expect(JSON.parse((await apply('n1')).stdout)).toMatchObject({ commit: second, done: ['write units/fg-a.container', 'daemon-reload', 'restart fg-a.service'] });
    expect(unitText('n1', 'fg-a')).toContain('Environment=RELEASE=2');

    // What the stable node would get: nothing, it still follows ring/stable.
    const diff = await hostCli(host, nodes.n2, ['diff', '--node', '--git', url, '--ring', 'stable', '--node-name', 'n2', '--unit-dir', nodes.n2.unitDir, '--generator', hostGenerator(host)]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('nothing to do');
    expect(JSON.parse((await apply('n2')).stdout)).toMatchObject({ commit: stableBefore, planned: [] });
    expect(unitText('n2', 'fg-b')).toContain('Environment=RELEASE=1');

    // Promotion, as an operator types it: push the canary's commit to the stable ring (git refuses a non-fast-forward).
    git('push', '-q', '.', 'ring/canary:ring/stable');
    const promoted = JSON.parse((await apply('n2')).stdout);
    expect(promoted).toMatchObject({ commit: second, done: ['write units/fg-b.container', 'daemon-reload', 'restart fg-b.service'], source: { ring: 'stable' } });
    expect(unitText('n2', 'fg-b')).toContain('Environment=RELEASE=2');
    expect(unitText('n2', 'fg-b')).toContain('Environment=GREETING=hello-n2');
  });

  it('a force-push back to an older, validly signed commit is refused; status shows why; allowed once, it is applied', async () => {
    const text = unitText('n1', 'fg-a');
    const before = await unit('fg-a.service');
    git('update-ref', 'refs/heads/ring/canary', first);
    const r = await apply('n1');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ commit: second, planned: [], rejected: { commit: first, kind: 'rollback' } });
    expect(r.stderr).toContain(`commit ${first} is not applied: it does not descend from the applied commit ${second}`);
    expect(unitText('n1', 'fg-a')).toBe(text);
    expect(await unit('fg-a.service')).toEqual(before);

    const json = await hostCli(host, nodes.n1, ['status', '--json', '--unit-dir', nodes.n1.unitDir]);
    expect(JSON.parse(json.stdout).source).toMatchObject({ url, ref: 'ring/canary', ring: 'canary', node: 'n1', commit: second, rejected: { commit: first, kind: 'rollback' } });
    const status = await hostCli(host, nodes.n1, ['status', '--unit-dir', nodes.n1.unitDir]);
    expect(status.stdout).toContain(`source: ${url} ring/canary at ${second}`);
    expect(status.stdout).toContain('follows: ring canary, node n1, signed commits only');
    expect(status.stdout).toContain(`refused: ${first}`);
    expect(status.stdout).toContain(`apply --allow-rollback-to ${first}`);

    // The operator means it: allowed once on this node, by the commit's id.
    const allowed = await apply('n1', ['--allow-rollback-to', first.slice(0, 12)]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ commit: first, done: ['write units/fg-a.container', 'daemon-reload', 'restart fg-a.service'] });
    expect(unitText('n1', 'fg-a')).toContain('Environment=RELEASE=1');
    // From then on, ring/canary moving forward from there is followed as before, and its old tip is a rollback again.
    git('update-ref', 'refs/heads/ring/canary', second);
    expect(JSON.parse((await apply('n1')).stdout)).toMatchObject({ commit: second });
    git('update-ref', 'refs/heads/ring/canary', first);
    expect(JSON.parse((await apply('n1')).stdout)).toMatchObject({ commit: second, rejected: { commit: first, kind: 'rollback' } });
  });

  it('serve --watch: refuses an unsigned tip (GET /api/source says why), then applies the next signed one', async () => {
    const n = nodes.n1;
    const serve = await startServeChild([...hostArgs(host, n), 'serve', '--listen', '127.0.0.1:0', '--watch', '--interval', '1s', ...fleetArgs('n1'), ...reconcileArgs(host, n.unitDir)]);
    let code: number | null;
    try {
      const token = readFileSync(join(n.stateDir, 'api-token'), 'utf8').trim();
      const source = async (): Promise<{ commit?: string; ring?: string; node?: string; rejected?: { commit: string; kind: string } }> =>
        ((await (await fetch(`${serve.url}/api/source`, { headers: { authorization: `Bearer ${token}` } })).json()) as { source: never }).source;
      const text = unitText('n1', 'fg-a');
      const unsigned = commit(files('2', 'hallo-n1'), 'n1: hallo, unsigned');
      git('update-ref', 'refs/heads/ring/canary', unsigned);
      const refused = await until('the unsigned tip refused', source, (s) => s.rejected?.commit === unsigned, { timeoutMs: 120_000 });
      expect(refused).toMatchObject({ commit: second, ring: 'canary', node: 'n1', rejected: { kind: 'signature' } });
      expect(unitText('n1', 'fg-a')).toBe(text);
      const a = await unit('fg-a.service');

      const signed = commit(files('2', 'hallo-n1'), 'n1: hallo, signed', 'good');
      git('update-ref', 'refs/heads/ring/canary', signed);
      const applied = await until('the signed tip applied', source, (s) => s.commit === signed, { timeoutMs: 120_000 });
      expect(applied.rejected).toBeUndefined();
      expect(unitText('n1', 'fg-a')).toContain('Environment=GREETING=hallo-n1');
      await until('fg-a restarted', () => unit('fg-a.service'), (u) => u.activeState === 'active' && u.invocationId !== a.invocationId, { timeoutMs: 120_000 });
      expect(serve.log().match(new RegExp(`commit ${unsigned} is not applied`, 'g'))?.length).toBeGreaterThanOrEqual(1);
    } finally {
      code = await serve.stop('SIGTERM');
    }
    expect(code).toBe(0);
  }, 300_000);
});
