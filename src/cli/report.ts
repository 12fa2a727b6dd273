/**
 * A pass's result as the command line shows it: the one wording of what a
 * pass held back, failed at or rejected, for the one-shot commands (`apply`,
 * `install`, `remove`, `diff --node`: the report and the exit code it implies)
 * and for the loops (`watch`, `serve --watch`: log lines per pass).
 */
import { EXIT, ReportedError } from '../errors.js';
import type { Counters } from '../reconcile/execute.js';
import type { PassReport } from '../reconcile/pass.js';
import { describeDrift } from '../reconcile/drift.js';
import type { GitPassReport } from '../reconcile/source.js';
import { readSourceState } from '../store/state/source-state.js';
import type { NodeContext } from './node-context.js';

/** A pass's report, from a directory or a git source. */
export type AnyPassReport = PassReport | GitPassReport;

/** A log with levels: the daemon's (`serve`); `watch` prints every level alike. */
export interface LevelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

interface Line {
  level: keyof LevelLog;
  text: string;
}

const rejectedOf = (report: AnyPassReport): GitPassReport['rejected'] => ('rejected' in report ? report.rejected : undefined);
const commitOf = (report: AnyPassReport): string | undefined => ('commit' in report ? report.commit : undefined);

/** What the pass left alone or failed at, one line each: held apps (warn), failed steps and drift (error). */
function outcome(report: AnyPassReport): Line[] {
  return [
    ...report.held.map((h): Line => ({ level: 'warn', text: `held ${h.app}: ${h.reason}` })),
    ...report.failures.map((f): Line => ({ level: 'error', text: `failed ${f.step}: ${f.error}` })),
    ...(report.drift ?? []).map((d): Line => ({ level: 'error', text: `drift: ${describeDrift(d)}` })),
  ];
}

/**
 * The counters as one line. A start or restart counts the job systemd accepted; an app that then failed its health
 * gate is among the failures, which end the line (`6 started, …, 6 failed`: not six apps up).
 */
function countersLine(c: Counters, failed = 0): string {
  return `${c.writes} written, ${c.removes} removed, ${c.reloads} reload(s), ${c.starts} started, ${c.stops} stopped, ${c.restarts} restarted, ${c.rollbacks} rolled back${failed > 0 ? `, ${failed} failed` : ''}`;
}

/** The report as text: the plan (a dry run) or the counters, with the outcome and the applied commit. */
export function formatPassReport(report: AnyPassReport): string {
  const lines = report.dryRun ? report.planned.map((s) => `would ${s}`) : [];
  if (report.dryRun && lines.length === 0) lines.push('nothing to do');
  lines.push(...outcome(report).map((l) => l.text));
  const rejected = rejectedOf(report);
  if (rejected) lines.push(`rejected commit ${rejected.commit}:\n${rejected.error}`);
  const commit = commitOf(report);
  if (commit) lines.push(`applied commit ${commit}`);
  if (!report.dryRun) lines.push(countersLine(report.counters, report.failures.length));
  return `${lines.join('\n')}\n`;
}

/**
 * Prints a one-shot pass's report on `out` (with `--json` the report, and the git source's state under `source`),
 * then throws for the exit code it implies: ReportedError(3) when a step failed or a volume or network differs from
 * its unit (podman keeps it as created), ReportedError(1) when an app was
 * held back or a commit rejected. Returns when the node converged.
 */
export async function reportPass(report: AnyPassReport, ctx: Pick<NodeContext, 'json' | 'git' | 'stateDir'>, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (ctx.json) {
    const source = ctx.git ? await readSourceState(ctx.stateDir) : undefined;
    out.write(`${JSON.stringify({ ...report, ...(source ? { source } : {}) }, null, 2)}\n`);
  } else {
    out.write(formatPassReport(report));
  }
  if (report.failures.length > 0) throw new ReportedError(EXIT.failure, `${report.failures.length} step(s) failed: ${report.failures.map((f) => f.error).join('; ')}`);
  const drift = report.drift ?? [];
  if (drift.length > 0) throw new ReportedError(EXIT.failure, `${drift.length} volume(s)/network(s) differ from their units: ${drift.map((d) => `${d.kind} ${d.name}`).join(', ')}`);
  const rejected = rejectedOf(report);
  if (report.held.length > 0 || rejected) throw new ReportedError(EXIT.invalid, `${report.held.length} app(s) held back${rejected ? `; commit ${rejected.commit} rejected` : ''}`);
}

/**
 * How a loop sums a pass up: `counts` (`watch`, for a terminal: `pass done at C: 2 step(s): 1 written, …` or
 * `no change`) or `steps` (the daemon's log: `pass done: write units/lnd.container; restart lnd.service`, only when
 * something was done).
 */
export type PassSummary = 'counts' | 'steps';

/**
 * Logs one pass of a loop: its outcome, then its summary. A rejected commit is not repeated: the git source logs it
 * when it rejects it, and every later pass's report carries it until the ref moves.
 */
export function logPass(report: AnyPassReport, log: LevelLog, summary: PassSummary): void {
  for (const l of outcome(report)) log[l.level](l.text);
  if (summary === 'steps') {
    if (report.done.length > 0) log.info(`pass done: ${report.done.join('; ')}`);
    return;
  }
  const commit = commitOf(report);
  const did = report.done.length > 0 ? `${report.done.length} step(s): ${countersLine(report.counters, report.failures.length)}` : 'no change';
  log.info(`pass done${commit ? ` at ${commit}` : ''}: ${did}`);
}

/**
 * Logs a loop's passes as {@link logPass} does, but each hold only when it starts or its reason changes: an app in
 * back-off is held on every pass (every 5 s in `serve --watch`) until its retry, and the same line again says
 * nothing new. A new attempt's failure, or a hold that ended and came back, is a new line. Returns the per-pass log.
 */
export function passLogger(log: LevelLog, summary: PassSummary): (report: AnyPassReport) => void {
  let logged = new Map<string, string>();
  let drifted = new Set<string>();
  return (report) => {
    const held = report.held.filter((h) => logged.get(h.app) !== h.reason);
    logged = new Map(report.held.map((h) => [h.app, h.reason]));
    // The same drift is found by every pass until the user acts: logged when it appears or changes.
    const drift = (report.drift ?? []).filter((d) => !drifted.has(describeDrift(d)));
    drifted = new Set((report.drift ?? []).map(describeDrift));
    logPass({ ...report, held, drift }, log, summary);
  };
}
