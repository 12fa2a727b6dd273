/**
 * `archy-quadlet status [--watch]`: every app's live state as a table (APP
 * STATE SINCE DEADLINE REASON, then why the failed apps failed, in their journals' words, and the apps' onion
 * addresses), or JSON with `--json` (`cause` on a failed app). `--watch` keeps printing state changes until Ctrl-C
 * (JSON lines with `--json`; as text, a line the same as the app's last is left out).
 */
import type { Command } from 'commander';
import type { AppStatus, StateEvent } from '../../controller/types.js';
import { describeFailure } from '../../reconcile/backoff.js';
import type { SourceState } from '../../store/state/source-state.js';
import type { NodeContext, NodeFlags } from '../node-context.js';
import { withOptions } from '../options.js';
import { signalled } from '../signalled.js';

export interface StatusOptions {
  watch?: boolean;
}

/** `2026-11-27T02:05:31.181Z` → `2026-11-27 02:05:31`; `-` for none (a `since` nothing knows, no deadline). */
function shortTime(iso: string | undefined): string {
  return iso ? iso.slice(0, 19).replace('T', ' ') : '-';
}

/** The REASON cell: systemd's reason, the reconciler's back-off, or the user's stop. */
function reasonOf(s: AppStatus): string {
  const parts = [s.reason, s.retry && describeFailure(s.id, s.retry)].filter(Boolean);
  if (parts.length === 0 && s.intent === 'stopped') return 'stopped by user';
  return parts.join('; ');
}

/**
 * The rows of an app's containers (or a template app's instances), indented under it: NAME STATE, and the job or
 * reason; an instance the user stopped on its own says so (`stopped by user`).
 */
function containerRows(s: AppStatus): string[][] {
  return (s.containers ?? []).map((c) => {
    const why = [c.job && `${c.job.type} job ${c.job.id}`, c.reason].filter(Boolean).join('; ');
    return [`  ${c.name}`, c.state, '', '', why || (c.intent === 'stopped' ? 'stopped by user' : '')];
  });
}

/** The status table, columns padded to their widest cell; an app of several containers has one indented row per container. */
export function formatTable(statuses: readonly AppStatus[]): string {
  const rows = [
    ['APP', 'STATE', 'SINCE', 'DEADLINE', 'REASON'],
    ...statuses.flatMap((s) => [[s.id, s.state, shortTime(s.since), shortTime(s.deadline), reasonOf(s)], ...containerRows(s)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/**
 * One `--watch` line: `2026-11-27 02:05:31  lnd  running → stopping  (deadline 2026-11-27 02:06:01)`; an app of
 * several containers ends with each container's state (`db running, api stopping, web stopped`). A `since` nothing
 * knows (the first lines, for an app systemd has no time for) is `-`, padded to a time's width.
 */
export function formatEvent(e: StateEvent): string {
  const s = e.status;
  const change = e.previous && e.previous !== s.state ? `${e.previous} → ${s.state}` : s.state;
  const containers = s.containers && s.containers.map((c) => `${c.name} ${c.state}`).join(', ');
  const detail = [s.activeState && `${s.activeState}/${s.subState ?? ''}`, s.job && `job ${s.job.id} ${s.job.type}`, s.reason, s.deadline && `deadline ${shortTime(s.deadline)}`, s.retry && describeFailure(s.id, s.retry), containers, s.onion && `onion ${s.onion}`]
    .filter(Boolean)
    .join(', ');
  return `${shortTime(s.since).padEnd(19)}  ${s.id}  ${change}${detail ? `  (${detail})` : ''}\n`;
}

/**
 * The footer of the failed apps' causes (`appFailureCause`): `failures:` and one `  APP  CAUSE` line each, e.g.
 * `  lnd  Error: localhost/lnd:v0.18: image not known`; empty when no app has one.
 */
export function formatCauses(causes: ReadonlyMap<string, string>): string {
  if (causes.size === 0) return '';
  const width = Math.max(...[...causes.keys()].map((id) => id.length));
  return `\nfailures:\n${[...causes].map(([id, cause]) => `  ${id.padEnd(width)}  ${cause}\n`).join('')}`;
}

/**
 * The cause of each app that shows a failure, by id, read from its units' journals (journalctl of this machine, the
 * user's with `--user`); an app whose journal says no error has none. Loads the journal code only when an app failed.
 */
async function causesOf(ctx: NodeContext, list: readonly AppStatus[]): Promise<Map<string, string>> {
  const { appFailureCause, showsFailure } = await import('../../api/failure-cause.js');
  const failed = list.filter(showsFailure);
  if (failed.length === 0) return new Map();
  const { journalctl } = await import('../../api/journalctl.js');
  const journal = journalctl({ user: ctx.manager === 'user' });
  const causes = await Promise.all(failed.map(async (s) => [s.id, await appFailureCause(s, journal)] as const));
  return new Map(causes.filter((c): c is readonly [string, string] => c[1] !== undefined));
}

/** The footer of the apps reached over Tor: `onion services:` and one `  APP  ADDRESS` line each; empty when none has one. */
export function formatOnions(statuses: readonly AppStatus[]): string {
  const withOnion = statuses.filter((s): s is AppStatus & { onion: string } => s.onion !== undefined);
  if (withOnion.length === 0) return '';
  const width = Math.max(...withOnion.map((s) => s.id.length));
  return `\nonion services:\n${withOnion.map((s) => `  ${s.id.padEnd(width)}  ${s.onion}\n`).join('')}`;
}

/**
 * The footer naming the git source, the ring and node, and the commit the reconciler applied (and the newest one
 * it did not apply, and why), if manifests come from git.
 */
export function formatSource(s: SourceState): string {
  if (!s.url) return '';
  const follows = [s.ring ? `ring ${s.ring}` : undefined, s.node ? `node ${s.node}` : undefined, s.verifyCommits ? 'signed commits only' : undefined].filter(Boolean).join(', ');
  const lines = [`source: ${s.url} ${s.ref ?? ''} at ${s.commit ?? '(nothing applied yet)'}${s.appliedAt ? ` (applied ${shortTime(s.appliedAt)})` : ''}`];
  if (follows) lines.push(`follows: ${follows}`);
  if (s.rejected) lines.push(`${s.rejected.kind && s.rejected.kind !== 'invalid' ? 'refused' : 'rejected'}: ${s.rejected.commit} (${shortTime(s.rejected.at)}): ${s.rejected.error.split('\n')[0]}`);
  if (s.fetchError) lines.push(`last fetch failed: ${s.fetchError}`);
  return `\n${lines.join('\n')}\n`;
}

/** The command's body. With `watch`, runs until `stop` resolves (default: SIGINT/SIGTERM). */
export async function status(ctx: NodeContext, opts: StatusOptions, stdout: NodeJS.WritableStream = process.stdout, stop?: Promise<unknown>): Promise<void> {
  // Invalid manifests must not hide the node: the apps installed on it are shown instead.
  const fallbackLog = (m: string): void => void process.stderr.write(`warning: ${m}\n`);
  const { openLive } = await import('../live.js');
  const session = await openLive(ctx, opts.watch ? { log: (m) => void process.stderr.write(`${m}\n`), fallbackLog } : { fallbackLog, signals: false });
  try {
    const list = session.controller.list();
    if (!opts.watch) {
      const { readSourceState } = await import('../../store/state/source-state.js');
      const [source, causes] = await Promise.all([readSourceState(ctx.stateDir), causesOf(ctx, list)]);
      const apps = ctx.json ? list.map((s) => (causes.has(s.id) ? { ...s, cause: causes.get(s.id) } : s)) : list;
      stdout.write(ctx.json ? `${JSON.stringify({ manager: ctx.manager, apps, source }, null, 2)}\n` : formatTable(list) + formatCauses(causes) + formatOnions(list) + formatSource(source));
      return;
    }
    if (ctx.json) for (const s of list) stdout.write(`${JSON.stringify({ status: s })}\n`);
    else stdout.write(formatTable(list) + formatOnions(list));
    // A line the same as the app's last one says nothing new (a change the table does not show: a sub-state, health).
    const last = new Map<string, string>();
    session.controller.subscribe((e) => {
      if (ctx.json) return void stdout.write(`${JSON.stringify(e)}\n`);
      const line = formatEvent(e);
      if (last.get(e.status.id) === line) return;
      last.set(e.status.id, line);
      stdout.write(line);
    });
    await (stop ?? signalled());
  } finally {
    await session.close();
  }
}


/** Adds `status` to the program. */
export function register(program: Command): void {
  withOptions(
    program
      .command('status')
      .description("every app's live state: APP STATE SINCE DEADLINE REASON")
      .option('--watch', 'keep printing state changes until Ctrl-C (JSON lines with --json)'),
    ['unitDir'],
  ).action(async (_opts: unknown, cmd: Command) => {
    const flags = cmd.optsWithGlobals<NodeFlags & StatusOptions>();
    const { resolveNodeContext } = await import('../node-context.js');
    await status(resolveNodeContext(flags, { appsFromExplicitUnitDir: true }), flags);
  });
}
