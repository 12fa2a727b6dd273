/**
 * The chaos matrix on the real test host: the apps under test (manifests for
 * the real pipeline), the real `apply` as a child process, a recorder of every
 * status the controller emits, and the checks every scenario ends with (the
 * event stream, our files, the intents).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppState, AppStatus, Controller } from '../../src/controller/types.js';
import { isTransitional } from '../../src/controller/types.js';
import { isOwned } from '../../src/render/types.js';
import type { TestHost } from '../host/index.js';
import { BIN } from './chaos-crash.js';

/** The busybox image the test host imports. */
export const IMAGE = 'localhost/busybox:latest';

/** A manifest (YAML text) for an app under test. */
export function appManifest(id: string, opts: { command: string; stopTimeout?: string; health?: boolean; network?: string; image?: string; env?: string }): string {
  const lines = [`id: ${id}`, `image: ${opts.image ?? IMAGE}`, `command: [sh, -c, ${JSON.stringify(opts.command)}]`];
  if (opts.env) lines.push('environment:', `  V: "${opts.env}"`);
  if (opts.stopTimeout) lines.push('stop:', `  timeout: ${opts.stopTimeout}`);
  if (opts.network) lines.push(`networks: [${opts.network}]`);
  if (opts.health) lines.push('health:', '  cmd: [test, -f, /tmp/ready]', '  interval: 1s', '  timeout: 2s', '  startPeriod: 0s', '  retries: 2');
  return `${lines.join('\n')}\n`;
}

/** Traps SIGTERM and needs `seconds` to exit. */
export const slowStopCommand = (seconds: number): string => `trap "sleep ${seconds}; exit 0" TERM; while true; do sleep 1; done`;
/** Becomes healthy after `seconds` (the health check tests /tmp/ready). */
export const healthyAfterCommand = (seconds: number): string => `trap "exit 0" TERM; sleep ${seconds}; touch /tmp/ready; while true; do sleep 1; done`;
/** Stops at once. */
export const QUICK_COMMAND = 'trap "exit 0" TERM; while true; do sleep 1; done';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real command line against the host: `--bus`, `--state-dir`, `--manifests`, then `args`, then the unit dir and generator. */
export function hostCli(host: TestHost, dirs: { stateDir: string; manifests: string }, args: readonly string[], timeoutMs = 180_000): Promise<CliResult> {
  const generator = join(host.rootDir, 'usr/libexec/podman/quadlet');
  const reconciling = ['apply', 'watch', 'install', 'remove'].includes(args[0] ?? '');
  const full = [BIN, '--bus', host.busAddress, '--state-dir', dirs.stateDir, '--manifests', dirs.manifests, ...args, ...(reconciling ? ['--unit-dir', host.unitDir, '--generator', generator] : [])];
  return new Promise((resolve) => {
    execFile(process.execPath, full, { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0, stdout, stderr });
    });
  });
}

/** One status as the recorder saw it, with the time it arrived. */
export interface Seen extends AppStatus {
  at: number;
}

/** Every status a controller emits, per app, from its first snapshot on. */
export interface Recorder {
  seen(id: string): Seen[];
  /** Index to pass to the checks so they look only at what came after this point. */
  mark(id: string): number;
  stop(): void;
}

export function record(controller: Controller): Recorder {
  const seen = new Map<string, Seen[]>();
  const add = (s: AppStatus): void => {
    const list = seen.get(s.id) ?? [];
    list.push({ ...s, at: Date.now() });
    seen.set(s.id, list);
  };
  for (const s of controller.list()) add(s);
  const off = controller.subscribe((e) => add(e.status));
  return { seen: (id) => seen.get(id) ?? [], mark: (id) => (seen.get(id) ?? []).length, stop: off };
}

/** Grace for signal delivery past a deadline (systemd's own timer fires at the deadline; the signal follows). */
const DEADLINE_GRACE_MS = 3_000;

/**
 * What is wrong with an app's event stream from index `from` on:
 * - `running` shown while a stop job is in flight (a stop job, or systemd deactivating);
 * - `running` between a `stopping` and the next settled state (the stop "flickered" back);
 * - a transitional state that outlived its own deadline.
 */
export function streamViolations(events: readonly Seen[], from = 0, now = Date.now()): string[] {
  const out: string[] = [];
  const list = events.slice(Math.max(0, from - 1));
  let previous: AppState | undefined;
  for (const [i, e] of list.entries()) {
    if (e.state === 'running' && (e.job?.type === 'stop' || e.activeState === 'deactivating')) out.push(`#${i} running while a stop job is in flight (${e.activeState}/${e.subState}, job ${e.job?.type})`);
    if (e.state === 'running' && previous === 'stopping') out.push(`#${i} running right after stopping, before the stop settled`);
    previous = e.state;
    if (isTransitional(e.state) && e.deadline) {
      const next = list.slice(i + 1).find((n) => n.state !== e.state);
      const ended = next?.at ?? now;
      const deadline = Date.parse(e.deadline);
      if (ended > deadline + DEADLINE_GRACE_MS) out.push(`#${i} ${e.state} from ${new Date(e.at).toISOString()} until ${new Date(ended).toISOString()}, past its deadline ${e.deadline}`);
    }
  }
  return out;
}

/** The states of an app from `from` on, consecutive repeats folded. */
export function statesOf(events: readonly Seen[], from = 0): AppState[] {
  const out: AppState[] = [];
  for (const e of events.slice(Math.max(0, from - 1))) if (out[out.length - 1] !== e.state) out.push(e.state);
  return out;
}

/** Resolves with the status once `id` is in `state`; rejects after `timeoutMs` naming what it saw. */
export function waitForState(controller: Controller, id: string, state: AppState, timeoutMs: number): Promise<AppStatus> {
  return new Promise((resolve, reject) => {
    const now = controller.get(id);
    if (now?.state === state) return resolve(now);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${id}: still ${controller.get(id)?.state} (${controller.get(id)?.reason ?? ''}) after ${timeoutMs} ms, wanted ${state}`));
    }, timeoutMs);
    const off = controller.subscribe((e) => {
      if (e.status.id !== id || e.status.state !== state) return;
      clearTimeout(timer);
      off();
      resolve(e.status);
    });
  });
}

/** The files of ours in a unit directory (name → content); unit files only, temp files excluded. */
export function ownedFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = entry.name;
    if (name.startsWith('.') || !entry.isFile()) continue;
    const content = readFileSync(join(dir, name), 'utf8');
    if (isOwned(content)) out.set(name, content);
  }
  return out;
}

/** The differences between two sets of our files: lost, changed (torn or rewritten), added. */
export function fileDiff(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [name, content] of before) {
    if (!after.has(name)) out.push(`lost ${name}`);
    else if (after.get(name) !== content) out.push(`changed ${name}`);
  }
  for (const name of after.keys()) if (!before.has(name)) out.push(`added ${name}`);
  return out;
}

/** A `serve` child process on the host's bus, tracking the units in the host's Quadlet directory. */
export interface ServeChild {
  child: ChildProcess;
  /** Its base URL, from its own log line. */
  url: string;
  /** Everything it printed so far. */
  log(): string;
  /** SIGTERM (a clean shutdown) or SIGKILL; resolves when it is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `serve --listen 127.0.0.1:0` with `stateDir`; resolves once it listens. Rejects with its log when it does not come up. */
export async function startServe(host: TestHost, stateDir: string): Promise<ServeChild> {
  const child = spawn(process.execPath, [BIN, '--bus', host.busAddress, '--state-dir', stateDir, 'serve', '--unit-dir', host.unitDir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const listening = /serving the API and the UI on (http:\/\/\S+) \(/;
  const deadline = Date.now() + 60_000;
  while (!listening.test(log)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not come up:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const gone = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
  return {
    child,
    url: listening.exec(log)![1]!,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      await gone;
    },
  };
}
