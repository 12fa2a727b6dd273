import { describe, expect, it } from 'vitest';
import { declaredChanges, effectiveStates, type DeclaredState, type TimedIntent } from '../../src/reconcile/desired.js';
import type { LoadedManifest, Manifest } from '../../src/manifest/types.js';

// Whose intent wins between a user's start/stop and a manifest's `state`: the later one, by the node's clock
// (docs/reconcile.md, "Desired state per app").

function lm(id: string, state?: Manifest['state']): LoadedManifest {
  return { file: `manifests/${id}.yaml`, manifest: { id, image: 'docker.io/library/busybox:1.37.0', ...(state ? { state } : {}) } } as LoadedManifest;
}
const at = (hh: string): string => `2026-12-01T${hh}:00.000Z`;

describe('declaredChanges', () => {
  it('a manifest seen for the first time is remembered without a time (older than any click); a changed one with now', () => {
    const known = new Map<string, DeclaredState>([['a', { state: 'running', since: at('10:00') }], ['b', { state: 'running' }]]);
    const changes = declaredChanges([lm('a'), lm('b', 'stopped'), lm('c', 'stopped')], known, at('12:00'));
    expect([...changes]).toEqual([
      ['b', { state: 'stopped', since: at('12:00') }],
      ['c', { state: 'stopped' }],
    ]);
    expect(declaredChanges([lm('a'), lm('b', 'stopped'), lm('c', 'stopped')], new Map([...known, ...changes]), at('13:00')).size).toBe(0);
  });
});

describe('effectiveStates: the later of the user intent and the manifest state wins', () => {
  const intents = (intent: TimedIntent['intent'], hhmm: string) => new Map([['a', { intent, at: at(hhmm) }]]);

  it('a user start after the manifest said stopped → running; a later `state: stopped` → stopped', () => {
    const declared = new Map<string, DeclaredState>([['a', { state: 'stopped', since: at('10:00') }]]);
    expect(effectiveStates([lm('a', 'stopped')], new Map(), intents('running', '11:00'), declared)).toEqual({ a: 'running' });
    const later = new Map<string, DeclaredState>([['a', { state: 'stopped', since: at('12:00') }]]);
    expect(effectiveStates([lm('a', 'stopped')], new Map(), intents('running', '11:00'), later)).toEqual({ a: 'stopped' });
  });

  it('a user stop after a manifest change to running → stopped; a state the node found at first sight never beats a click', () => {
    expect(effectiveStates([lm('a', 'running')], new Map(), intents('stopped', '13:00'), new Map([['a', { state: 'running', since: at('12:00') }]]))).toEqual({ a: 'stopped' });
    expect(effectiveStates([lm('a', 'running')], new Map(), intents('stopped', '09:00'), new Map([['a', { state: 'running' }]]))).toEqual({ a: 'stopped' });
  });

  it('absent (manifest or remove intent) is never overridden by a start/stop', () => {
    expect(effectiveStates([lm('a', 'absent')], new Map(), intents('running', '13:00'), new Map())).toEqual({ a: 'absent' });
    expect(effectiveStates([lm('a')], new Map([['a', 'absent']]), intents('running', '13:00'), new Map())).toEqual({ a: 'absent' });
  });
});
