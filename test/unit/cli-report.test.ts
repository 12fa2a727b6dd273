import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatPassReport, logPass, passLogger, reportPass } from '../../src/cli/report.js';
import { EXIT, exitCodeFor, ReportedError } from '../../src/errors.js';
import type { PassReport } from '../../src/reconcile/pass.js';
import type { GitPassReport } from '../../src/reconcile/source.js';

const ZERO = { writes: 0, removes: 0, reloads: 0, starts: 0, stops: 0, restarts: 0, rollbacks: 0 };
const TIMINGS = { load: 0, observe: 0, plan: 0, execute: 0 };

function report(over: Partial<GitPassReport>): GitPassReport {
  return { dryRun: false, planned: [], held: [], done: [], failures: [], counters: { ...ZERO }, warnings: [], timings: TIMINGS, ...over };
}

const HELD = { app: 'lnd', reason: 'lnd.service is deactivating' };

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** A level log that records `level message` lines. */
function recorder(): { lines: string[]; log: { info(m: string): void; warn(m: string): void; error(m: string): void } } {
  const lines: string[] = [];
  return { lines, log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) } };
}

describe("a pass's report on the command line", () => {
  it('a dry run prints the plan, or "nothing to do"', () => {
    expect(formatPassReport(report({ dryRun: true, planned: ['write units/lnd.container', 'daemon-reload'] }))).toBe('would write units/lnd.container\nwould daemon-reload\n');
    expect(formatPassReport(report({ dryRun: true }))).toBe('nothing to do\n');
  });

  it('prints each held app once, then the failures, the rejected and the applied commit, then the counters', () => {
    const text = formatPassReport(
      report({
        held: [HELD],
        failures: [{ step: 'start bitcoin.service', error: 'job failed' }],
        rejected: { commit: 'c2', error: 'manifests/x.yaml:1:1 /image: bad', at: '2026-12-01T00:00:00Z' },
        commit: 'c1',
        counters: { ...ZERO, writes: 1 },
      }),
    );
    expect(text).toBe(
      [
        'held lnd: lnd.service is deactivating',
        'failed start bitcoin.service: job failed',
        'rejected commit c2:\nmanifests/x.yaml:1:1 /image: bad',
        'applied commit c1',
        '1 written, 0 removed, 0 reload(s), 0 started, 0 stopped, 0 restarted, 0 rolled back, 1 failed',
        '',
      ].join('\n'),
    );
    expect(text.match(/held lnd/g)).toHaveLength(1);
  });

  it('says the exit code without printing anything more: 0 converged, 1 held or rejected, 3 a step failed', async () => {
    const ctx = { json: false, stateDir: '/nonexistent' };
    await expect(reportPass(report({}), ctx, capture().stream)).resolves.toBeUndefined();
    const held = await reportPass(report({ held: [HELD] }), ctx, capture().stream).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(ReportedError);
    expect(exitCodeFor(held)).toBe(EXIT.invalid);
    const failed = await reportPass(report({ held: [HELD], failures: [{ step: 's', error: 'e' }] }), ctx, capture().stream).catch((e: unknown) => e);
    expect(exitCodeFor(failed)).toBe(EXIT.failure);
  });

  it('--json prints the report as it is', async () => {
    const out = capture();
    const r: PassReport = report({ held: [HELD] });
    await reportPass(r, { json: true, stateDir: '/nonexistent' }, out.stream).catch(() => undefined);
    expect(JSON.parse(out.text())).toEqual(r);
  });

  it("a loop logs the outcome once and sums the pass up in its style: counts (watch) or steps (the daemon)", () => {
    const r = report({ held: [HELD], done: ['write units/a.container', 'restart a.service'], counters: { ...ZERO, writes: 1, restarts: 1 }, commit: 'c1' });
    const watch = recorder();
    logPass(r, watch.log, 'counts');
    expect(watch.lines).toEqual(['warn held lnd: lnd.service is deactivating', 'info pass done at c1: 2 step(s): 1 written, 0 removed, 0 reload(s), 0 started, 0 stopped, 1 restarted, 0 rolled back']);
    const daemon = recorder();
    logPass(r, daemon.log, 'steps');
    expect(daemon.lines).toEqual(['warn held lnd: lnd.service is deactivating', 'info pass done: write units/a.container; restart a.service']);
    const idle = recorder();
    logPass(report({}), idle.log, 'counts');
    logPass(report({}), idle.log, 'steps');
    expect(idle.lines).toEqual(['info pass done: no change']);
  });

  it('a loop logs a hold when it starts or its reason changes, not on every pass', () => {
    // Five apps in back-off, a pass every 5 s for a minute: five lines, not sixty.
    const apps = ['bitcoin', 'btcpay', 'electrumx', 'mempool', 'tor'];
    const waiting = (app: string, attempt: number) => ({ app, reason: `waiting to retry ${app} (attempt ${attempt}, next at 2026-12-01T19:05:00.000Z, last failure: ${app}.service failed (exit-code, exited 125))` });
    const daemon = recorder();
    const logReport = passLogger(daemon.log, 'steps');
    for (let pass = 0; pass < 12; pass++) logReport(report({ held: apps.map((a) => waiting(a, 3)) }));
    expect(daemon.lines.filter((l) => l.startsWith('warn held '))).toHaveLength(5);

    // A new attempt failed (its reason changed): logged again; an unchanged hold still is not.
    logReport(report({ held: [waiting('tor', 4), ...apps.filter((a) => a !== 'tor').map((a) => waiting(a, 3))] }));
    expect(daemon.lines.slice(5)).toEqual([`warn held tor: ${waiting('tor', 4).reason}`]);

    // A hold that ended and came back is new again; the rest of the pass (steps) is logged as before.
    logReport(report({ held: [], done: ['start tor.service'] }));
    logReport(report({ held: [waiting('tor', 4)] }));
    expect(daemon.lines.slice(6)).toEqual(['info pass done: start tor.service', `warn held tor: ${waiting('tor', 4).reason}`]);
  });
});


describe('drift of a volume or network from its unit', () => {
  const DRIFT = { kind: 'volume' as const, name: 'media-library', unit: 'media-library.volume', apps: ['media'], differences: ['type: nfs4 wanted, the volume has none'], hint: 'save its data, then …' };
  it('apply prints it and exits 3; a loop logs it once until it changes', async () => {
    const out = capture();
    const err = await reportPass(report({ drift: [DRIFT] }), { json: false, git: undefined, stateDir: '/nonexistent' }, out.stream).catch((e: unknown) => e);
    expect(out.text()).toContain('drift: volume media-library (app media) differs from media-library.volume: type: nfs4 wanted, the volume has none (save its data, then …)\n');
    expect(err).toBeInstanceOf(ReportedError);
    expect(exitCodeFor(err)).toBe(EXIT.failure);
    const { lines, log } = recorder();
    const each = passLogger(log, 'steps');
    each(report({ drift: [DRIFT] }));
    each(report({ drift: [DRIFT] }));
    each(report({ drift: [{ ...DRIFT, differences: ['device: x wanted, the volume has none'] }] }));
    expect(lines.filter((l) => l.includes('drift'))).toEqual([
      'error drift: volume media-library (app media) differs from media-library.volume: type: nfs4 wanted, the volume has none (save its data, then …)',
      'error drift: volume media-library (app media) differs from media-library.volume: device: x wanted, the volume has none (save its data, then …)',
    ]);
  });
});
