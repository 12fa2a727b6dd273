/**
 * podman's health of the node's containers, live, for the controller's `health` field (issue 16): podman writes a
 * `health_status` event for every health check it runs (with the container's `PODMAN_SYSTEMD_UNIT` label, which
 * Quadlet sets), a `start` event when a container starts and a `died` event when it ends. With podman's journald
 * event logger (Debian's default) those events are journal entries (`PODMAN_EVENT=…`), and one
 * `journalctl --follow` on them is the cheapest reader (7.9 MB RSS / 1.9 MB PSS, against 46 MB RSS / 43 MB PSS for
 * `podman events`, measured with podman 5.4.2 on the test host); with another event logger `podman events` reads them. Each
 * (re)start of the reader first lists the running containers (`podman ps`): a check missed meanwhile is caught by
 * that list, and every check repeats at the container's health interval anyway.
 */
import { execFile, spawn } from 'node:child_process';
import type { Health } from '../controller/types.js';
import { HEALTH_STATES } from '../controller/types.js';

/** What one podman event says about a container's health: `health` undefined = it no longer runs. */
export interface HealthChange {
  unit: string;
  event: 'health_status' | 'start' | 'died';
  health?: Health;
}

const EVENTS = ['health_status', 'start', 'died'] as const;
const isHealth = (v: unknown): v is Health => (HEALTH_STATES as readonly unknown[]).includes(v);
const isEvent = (v: unknown): v is HealthChange['event'] => (EVENTS as readonly unknown[]).includes(v);

function change(event: unknown, unit: unknown, health: unknown): HealthChange | undefined {
  if (!isEvent(event) || typeof unit !== 'string' || unit === '') return undefined;
  if (event === 'health_status') return isHealth(health) ? { unit, event, health } : undefined;
  return { unit, event };
}

/** One entry of `journalctl -o json PODMAN_EVENT=…` (fields `PODMAN_EVENT`, `PODMAN_HEALTH_STATUS`, `PODMAN_LABELS` as JSON). */
export function parseJournalEvent(line: string): HealthChange | undefined {
  try {
    const e = JSON.parse(line) as Record<string, unknown>;
    const labels = typeof e.PODMAN_LABELS === 'string' ? (JSON.parse(e.PODMAN_LABELS) as Record<string, unknown>) : {};
    return change(e.PODMAN_EVENT, labels.PODMAN_SYSTEMD_UNIT, e.PODMAN_HEALTH_STATUS);
  } catch {
    return undefined;
  }
}

/** One line of `podman events --format json` (fields `Status`, `health_status`, `Attributes.PODMAN_SYSTEMD_UNIT`). */
export function parsePodmanEvent(line: string): HealthChange | undefined {
  try {
    const e = JSON.parse(line) as { Status?: unknown; health_status?: unknown; Attributes?: Record<string, unknown> };
    return change(e.Status, e.Attributes?.PODMAN_SYSTEMD_UNIT, e.health_status);
  } catch {
    return undefined;
  }
}

/**
 * The health of each running container of a unit, from `podman ps --format json`: its `Status` ends in
 * `(healthy)`, `(unhealthy)` or `(starting)` when it has a health check. Units without a check are left out.
 */
export function parsePsHealth(json: string): Map<string, Health> {
  const out = new Map<string, Health>();
  const rows = JSON.parse(json) as Array<{ Labels?: Record<string, string> | null; Status?: string }>;
  for (const r of rows ?? []) {
    const unit = r.Labels?.PODMAN_SYSTEMD_UNIT;
    const h = /\((healthy|unhealthy|starting)\)$/.exec(r.Status ?? '')?.[1];
    if (unit && isHealth(h)) out.set(unit, h);
  }
  return out;
}

export interface HealthWatchOptions {
  /** A command prefix podman and journalctl run under (tests: `nsenter` into the test host). */
  via?: readonly string[];
  /** The containers are the user's (rootless): its own journal. */
  user?: boolean;
  /** A container's health changed (undefined: it no longer runs). */
  onHealth(unit: string, health: Health | undefined): void;
  /**
   * Every running container's health, listed at each (re)start of the reader: a unit not in it does not run. The
   * units in `fresh` had an event since the reader started: theirs is newer than the list.
   */
  onList(health: ReadonlyMap<string, Health>, fresh: ReadonlySet<string>): void;
  log(message: string): void;
  /** Wait before a reader that ended is started again, ms (default 5 000). */
  restartMs?: number;
}

/** A running health watch; `stop()` ends its reader process (the whole process group). */
export interface HealthWatch {
  /** The reader's process id while it runs. */
  pid(): number | undefined;
  stop(): void;
}

/** Runs `argv` (under `via`) to its end; resolves with its stdout, rejects with its stderr. */
function run(via: readonly string[], argv: string[]): Promise<string> {
  const [cmd, ...args] = [...via, ...argv];
  return new Promise((resolve, reject) =>
    execFile(cmd!, args, { timeout: 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`${argv.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve(stdout))),
  );
}

/**
 * Follows podman's container health until `stop()`: starts the event reader, then lists the running containers
 * (a change the reader saw meanwhile wins over the list), and starts the reader again `restartMs` after it ended.
 */
export function watchHealth(opts: HealthWatchOptions): HealthWatch {
  const via = opts.via ?? [];
  let stopped = false;
  let child: ReturnType<typeof spawn> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const start = async (): Promise<void> => {
    if (stopped) return;
    let logger = 'journald';
    try {
      logger = (await run(via, ['podman', 'info', '--format', '{{.Host.EventLogger}}'])).trim();
    } catch (err) {
      opts.log(`podman info failed (${(err as Error).message}); reading health events from the journal`);
    }
    if (stopped) return;
    const journal = logger === 'journald';
    const argv = journal
      ? ['journalctl', opts.user ? '--user' : '--system', '--no-pager', '-o', 'json', '--follow', '-n', '0', ...EVENTS.map((e) => `PODMAN_EVENT=${e}`)]
      : ['podman', 'events', '--format', 'json', ...EVENTS.flatMap((e) => ['--filter', `event=${e}`])];
    const parse = journal ? parseJournalEvent : parsePodmanEvent;
    const [cmd, ...args] = [...via, ...argv];
    const c = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, SYSTEMD_COLORS: '0' } });
    child = c;
    const seen = new Set<string>();
    let rest = '';
    let stderr = '';
    c.stdout!.setEncoding('utf8');
    c.stdout!.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        const ch = parse(l);
        if (!ch || stopped) continue;
        seen.add(ch.unit);
        // A container that starts has a health check's first state, `starting`; one that ended has none.
        opts.onHealth(ch.unit, ch.event === 'health_status' ? ch.health : ch.event === 'start' ? 'starting' : undefined);
      }
    });
    c.stderr!.setEncoding('utf8');
    c.stderr!.on('data', (s: string) => void (stderr.length < 2048 && (stderr += s)));
    c.on('error', (err) => opts.log(`health events: ${argv[0]}: ${err.message}`));
    c.on('close', (code, signal) => {
      if (child === c) child = undefined;
      if (stopped) return;
      opts.log(`health events: ${argv.slice(0, 2).join(' ')} ended (${signal ?? `exit ${code}`}${stderr ? `: ${stderr.trim()}` : ''}); starting it again in ${(opts.restartMs ?? 5000) / 1000} s`);
      timer = setTimeout(() => void start(), opts.restartMs ?? 5000);
      timer.unref();
    });
    try {
      const listed = parsePsHealth(await run(via, ['podman', 'ps', '--format', 'json']));
      if (stopped) return;
      opts.onList(listed, seen);
    } catch (err) {
      opts.log(`listing the containers' health failed: ${(err as Error).message}`);
    }
  };
  void start();
  return {
    pid: () => child?.pid,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (child?.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
    },
  };
}
