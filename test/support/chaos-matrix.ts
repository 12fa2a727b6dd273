/**
 * What the chaos matrix's suites share, rootful (`test/chaos/matrix.test.ts`) and rootless
 * (`test/chaos/matrix-rootless.test.ts`): the end-of-scenario checks and their figures, and the scenarios whose steps
 * are the same on either manager (a container removed under its unit; the daemon killed mid-stop).
 */
import { expect } from 'vitest';
import type { LiveController } from '../../src/controller/controller.js';
import type { AppState } from '../../src/controller/types.js';
import { readIntent } from '../../src/store/state/intents.js';
import type { ExecResult } from '../host/index.js';
import { fileDiff, ownedFiles, streamViolations } from './chaos-checks.js';
import { msSince, recordFigures } from './chaos-figures.js';
import { rawRequest } from './chaos-http.js';
import type { ServeChild } from './cli.js';
import { type Recorder, waitForState } from './controller.js';
import { sleep } from './wait.js';

/** One scenario's figures. */
interface Row {
  scenario: string;
  ms: number;
  violations: number;
  fileIssues: number;
  final: string;
}

/** The matrix's bookkeeping over one unit directory and state directory; `live()` gives the controller and its recorder once made. */
export function matrixChecks(unitDir: string, stateDir: string, live: () => { controller: LiveController; rec: Recorder }) {
  const rows: Row[] = [];
  /** Every content a completed pass has written, per file of ours: a file holding anything else is torn. */
  const known = new Map<string, Set<string>>();
  let installed = new Map<string, string>();
  const rememberPass = (): void => {
    for (const [name, content] of ownedFiles(unitDir)) known.set(name, (known.get(name) ?? new Set()).add(content));
  };
  /** Our files lost, added, or holding content no completed pass wrote. */
  const fileIssues = (): string[] => {
    const now = ownedFiles(unitDir);
    const out = fileDiff(installed, now).filter((d) => !d.startsWith('changed '));
    for (const [name, content] of now) if (!known.get(name)?.has(content)) out.push(`torn ${name}`);
    return out;
  };
  return {
    rememberPass,
    /** Takes the files of ours now as the installed set (after the first pass), and remembers them. Returns them. */
    installedNow(): Map<string, string> {
      installed = ownedFiles(unitDir);
      rememberPass();
      return installed;
    },
    installed: () => installed,
    /** The end-of-scenario checks (desired state, no stream violation, no file lost or torn, the intent kept); records the row. */
    async endOf(scenario: string, t0: number, id: string, from: number, want: AppState, intent: 'running' | 'stopped' | undefined): Promise<void> {
      const { controller, rec } = live();
      const violations = streamViolations(rec.seen(id), from);
      const files = fileIssues();
      const persisted = (await readIntent(stateDir, id))?.intent;
      const final = controller.get(id)!.state;
      rows.push({ scenario, ms: msSince(t0), violations: violations.length, fileIssues: files.length, final });
      expect({ final, violations, files, persisted }).toEqual({ final: want, violations: [], files: [], persisted: intent });
    },
    /** Records the matrix's figures under `name`, with `extra` ones. */
    figures(name: string, extra: Record<string, string | number> = {}): void {
      recordFigures(name, {
        scenarios: rows.length,
        'scenarios in their desired state': rows.filter((r) => r.violations === 0 && r.fileIssues === 0).length,
        'stream violations': rows.reduce((n, r) => n + r.violations, 0),
        'files lost or torn': rows.reduce((n, r) => n + r.fileIssues, 0),
        ...Object.fromEntries(rows.map((r) => [`${r.scenario} (ms → ${r.final})`, r.ms])),
        ...extra,
      });
    },
  };
}

/** Runs a command where the app's podman is (root's, or the rootless user's). */
type Exec = (argv: readonly string[]) => Promise<ExecResult>;

/**
 * `podman rm -f` of container `name` under its unit, then waits (up to a minute) until a new container of that name
 * runs; returns its id, or '' when none came.
 */
export async function removeContainerAndWait(exec: Exec, name: string): Promise<string> {
  const before = (await exec(['podman', 'inspect', '-f', '{{.Id}}', name])).stdout.trim();
  expect(before).not.toBe('');
  const removed = await exec(['podman', 'rm', '-f', '-t', '0', name]);
  expect(removed.code, removed.stderr).toBe(0);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const r = await exec(['podman', 'inspect', '-f', '{{.Id}} {{.State.Status}}', name]);
    if (r.code === 0 && !r.stdout.startsWith(before) && r.stdout.includes('running')) return r.stdout.split(' ')[0]!;
    await sleep(300);
  }
  return '';
}

/**
 * The daemon killed mid-stop: a stop of `id` through the first daemon's API, SIGKILL of it, and a second daemon that
 * must show `stopping` then `stopped` and keep the user's intent; then a start through the second, until `running`.
 * Returns the second daemon's exit code after its clean stop.
 */
export async function daemonKilledMidStop(opts: { serve: () => Promise<ServeChild>; token: string; id: string; stateDir: string; controller: LiveController }): Promise<number | null> {
  const { id } = opts;
  const auth = { authorization: `Bearer ${opts.token}` };
  const first = await opts.serve();
  const stop = await rawRequest(first.url, { method: 'POST', path: `/api/apps/${id}/stop`, headers: auth });
  expect(stop.status, first.log()).toBe(202);
  expect(JSON.parse(stop.body).status.state).toBe('stopping');
  await first.stop('SIGKILL');

  const second = await opts.serve();
  const seen: string[] = [];
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const res = await rawRequest(second.url, { path: `/api/apps/${id}`, headers: auth });
      const state = (JSON.parse(res.body) as { state: string }).state;
      if (seen[seen.length - 1] !== state) seen.push(state);
      if (state === 'stopped' || Date.now() > deadline) break;
      await sleep(250);
    }
    expect(seen).toEqual(['stopping', 'stopped']);
    expect((await readIntent(opts.stateDir, id))?.intent).toBe('stopped');
    // The new process carries on: start through it.
    const start = await rawRequest(second.url, { method: 'POST', path: `/api/apps/${id}/start`, headers: auth });
    expect(start.status).toBe(202);
    await waitForState(opts.controller, id, 'running', { timeoutMs: 60_000 });
  } finally {
    await second.stop();
  }
  return second.child.exitCode;
}
