import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost, userManager, type UserManager } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { type CliChild, type CliRun } from '../support/cli.js';
import { MANAGERS, systemNode, userNode, type NodeUnderTest } from '../support/node.js';
import { until } from '../support/wait.js';

// `apply`, `watch`, `install` and `remove` through the real command line (`bin/archy-quadlet`, built by
// `npm run build`) against the real test host, rootful (here, on the host's system bus) and rootless (inside the host
// as the user, with `--user`).

const host = useHost();

function manifest(id: string, value: string): string {
  return appManifest(id, { stopTimeout: '2s', environment: { V: value } });
}

/**
 * Resolves with the child's log from `from` characters in, once it matches `re`. The bound only ends a hung run: a
 * pass that starts a rootless container on a loaded machine took 30 s.
 */
function waitForLog(child: CliChild, re: RegExp, from: number): Promise<string> {
  return until(`${re} in watch's log`, () => child.log().slice(from), (tail) => re.test(tail), { timeoutMs: 150_000, intervalMs: 100 });
}

/** Each watch test waits for several passes, each bounded by {@link waitForLog}. */
const WATCH_TEST = { timeout: 600_000 };

describe.each(MANAGERS)('reconcile CLI on the real host (%s manager)', (manager) => {
  let user: UserManager | undefined;
  let node: NodeUnderTest;
  // A pass prunes units of ours its manifests do not name: it gets a directory no other suite writes to meanwhile.
  let unitDir: string;
  let work: string;
  let manifests: string;
  let stateDir: string;
  let systemd: SystemdPort;

  /** A reconciling command line on the node, with this suite's directories. */
  function cli(...args: string[]): Promise<CliRun> {
    return node.cli({ stateDir, manifests, unitDir }, args);
  }

  async function state(service: string): Promise<{ activeState: string; invocationId: string }> {
    const { value } = await systemd.getUnitProperties(service);
    return { activeState: value.activeState ?? '', invocationId: value.invocationId ?? '' };
  }

  beforeAll(async () => {
    user = manager === 'user' ? await userManager(host) : undefined;
    node = user ? userNode(host, user) : systemNode(host);
    unitDir = await node.runUnitDir();
    work = node.tempDir('archy-reconcile-cli-');
    manifests = join(work, 'manifests');
    stateDir = join(work, 'state');
    mkdirSync(manifests, { recursive: true });
    systemd = createSystemd({ address: node.busAddress });
    await systemd.ready();
  });

  afterAll(async () => {
    await systemd.stopUnit('rc-w.service').catch(() => undefined);
    rmSync(join(unitDir, 'rc-w.container'), { force: true });
    await systemd.reload().catch(() => undefined);
    await systemd.close();
    await user?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('apply --dry-run prints the plan and changes nothing', async () => {
    writeFileSync(join(manifests, 'rc-w.yaml'), manifest('rc-w', '1'));
    const r = await cli('apply', '--dry-run');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('would write units/rc-w.container\nwould daemon-reload\nwould start rc-w.service\n');
    expect(r.code).toBe(0);
    expect(existsSync(join(unitDir, 'rc-w.container'))).toBe(false);
  });

  it('apply --dry-run over a manifest with configs creates no secret in a fresh state dir', async () => {
    const own = node.tempDir('archy-reconcile-dry-');
    mkdirSync(join(own, 'manifests'), { recursive: true });
    const conf = '/var/lib/archipelago/rc-dry/bitcoin.conf';
    writeFileSync(join(own, 'manifests', 'rc-dry.yaml'), `${manifest('rc-dry', '1')}configs:\n  - template: bitcoin.conf.hbs\n    path: ${conf}\n    target: /etc/bitcoin/bitcoin.conf\n`);
    const r = await node.cli({ stateDir: join(own, 'state'), manifests: join(own, 'manifests'), unitDir }, ['apply', '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`would write config ${conf}\n`);
    expect(r.code).toBe(0);
    expect(existsSync(join(own, 'state', 'secrets'))).toBe(false);
    expect(existsSync(node.local(conf))).toBe(false);
    rmSync(own, { recursive: true, force: true });
  });

  it('apply --json runs the pass and reports it; a second apply has nothing to do', async () => {
    const r = await cli('--json', 'apply');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.done).toEqual(['write units/rc-w.container', 'daemon-reload', 'start rc-w.service']);
    expect((await state('rc-w.service')).activeState).toBe('active');
    const again = JSON.parse((await cli('--json', 'apply')).stdout);
    expect(again.planned).toEqual([]);
    expect(again.counters).toEqual({ writes: 0, removes: 0, reloads: 0, starts: 0, stops: 0, restarts: 0, rollbacks: 0 });
  });

  it('an invalid manifest: exit 1, every problem named, nothing touched', async () => {
    const before = await state('rc-w.service');
    writeFileSync(join(manifests, 'rc-x.yaml'), 'id: rc-x\nimage: 12\nbogus: true\n');
    const r = await cli('apply');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rc-x\.yaml:2:\d+ \/image: /);
    expect(r.stderr).toMatch(/rc-x\.yaml:3:\d+ .*bogus/);
    expect(await state('rc-w.service')).toEqual(before);
    rmSync(join(manifests, 'rc-x.yaml'));
  });

  it('a catalog with no manifest: exit 1 naming what it would remove, nothing touched; --allow-empty plans the removal', async () => {
    const before = await state('rc-w.service');
    const text = readFileSync(join(manifests, 'rc-w.yaml'), 'utf8');
    rmSync(join(manifests, 'rc-w.yaml'));
    try {
      for (const args of [['apply'], ['diff', '--node']]) {
        const r = await cli(...args);
        expect(r.code, args.join(' ')).toBe(1);
        // The directory as the node names it (rootless: a path inside the host).
        expect(r.stderr).toContain('/manifests: the catalog has no manifest, and this pass would remove every app installed (1: rc-w); nothing was changed');
        expect(r.stderr).toContain('--allow-empty');
      }
      expect(existsSync(join(unitDir, 'rc-w.container'))).toBe(true);
      expect(await state('rc-w.service')).toEqual(before);
      const planned = await cli('apply', '--dry-run', '--allow-empty');
      expect(planned.code).toBe(0);
      expect(planned.stdout).toContain('would stop rc-w.service');
      expect(planned.stdout).toContain('would remove units/rc-w.container');
      expect(existsSync(join(unitDir, 'rc-w.container'))).toBe(true);
    } finally {
      writeFileSync(join(manifests, 'rc-w.yaml'), text);
    }
  });

  it('watch: editor temp files do not trigger a pass; a saved change does, and only that app restarts', WATCH_TEST, async () => {
    const child = node.start({ stateDir, manifests, unitDir }, ['watch', '--interval', '1h']);
    let code: number | null | undefined;
    try {
      await waitForLog(child, /pass done: no change/, 0);
      const mark = child.log().length;
      const before = await state('rc-w.service');
      // What editors leave behind while a file is open: none of it is a manifest change.
      for (const junk of ['.rc-w.yaml.swp', 'rc-w.yaml~', '4913', '.#rc-w.yaml']) writeFileSync(join(manifests, junk), 'id: junk\n');
      await new Promise((r) => setTimeout(r, 2000));
      expect(child.log().slice(mark)).not.toContain('pass');
      for (const junk of ['.rc-w.yaml.swp', 'rc-w.yaml~', '4913', '.#rc-w.yaml']) rmSync(join(manifests, junk));

      writeFileSync(join(manifests, 'rc-w.yaml'), manifest('rc-w', '2'));
      const tail = await waitForLog(child, /pass done: .*1 restarted/, mark);
      expect(tail).toContain('restart rc-w.service');
      expect(readFileSync(join(unitDir, 'rc-w.container'), 'utf8')).toContain('Environment=V=2');
      const after = await state('rc-w.service');
      expect(after.activeState).toBe('active');
      expect(after.invocationId).not.toBe(before.invocationId);

      // An intent written by `remove --no-apply` is a trigger too.
      const mark2 = child.log().length;
      expect((await cli('remove', 'rc-w', '--no-apply')).code).toBe(0);
      await waitForLog(child, /pass done: .*1 stopped/, mark2);
      expect(existsSync(join(unitDir, 'rc-w.container'))).toBe(false);
    } finally {
      code = await child.stop('SIGTERM');
    }
    expect(code).toBe(0);
  });

  it('watch --git: a new commit is fetched on the next tick, validated and applied', WATCH_TEST, async () => {
    const repo = join(work, 'repo');
    const gitState = join(work, 'git-state');
    mkdirSync(join(repo, 'manifests'), { recursive: true });
    mkdirSync(gitState);
    // Created by the node's user: git refuses a repository another user owns.
    await node.handOver(work);
    const git = node.git(repo);
    await git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'manifests', 'rc-g.yaml'), manifest('rc-g', '1'));
    await git('add', '-A');
    await git('commit', '-q', '-m', 'add rc-g');
    const c1 = await git('rev-parse', 'HEAD');
    const child = node.start({ stateDir: gitState, unitDir }, ['watch', '--git', `file://${node.inside(repo)}`, '--interval', '1s']);
    let code: number | null | undefined;
    try {
      await waitForLog(child, new RegExp(`pass done at ${c1}: .*1 started`), 0);
      expect((await state('rc-g.service')).activeState).toBe('active');
      const mark = child.log().length;
      writeFileSync(join(repo, 'manifests', 'rc-g.yaml'), manifest('rc-g', '2'));
      await git('commit', '-q', '-am', 'rc-g: V=2');
      const c2 = await git('rev-parse', 'HEAD');
      await waitForLog(child, new RegExp(`pass done at ${c2}: .*1 restarted`), mark);
      expect(JSON.parse(readFileSync(join(gitState, 'source.json'), 'utf8')).commit).toBe(c2);
    } finally {
      code = await child.stop('SIGTERM');
      await systemd.stopUnit('rc-g.service').catch(() => undefined);
      rmSync(join(unitDir, 'rc-g.container'), { force: true });
      await systemd.reload();
    }
    expect(code).toBe(0);
  });

  it('install APP brings a removed app back and starts it; an unknown app is exit 1', async () => {
    const r = await cli('install', 'rc-w');
    expect(r.code).toBe(0);
    expect((await state('rc-w.service')).activeState).toBe('active');
    const unknown = await cli('install', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('app "nope" not found');
  });
});
