import { describe, expect, it } from 'vitest';
import type { AppStatus, LifecycleResult } from '../../src/controller/types.js';
import { impliedStatus } from '../../src/api/routes-apps.js';

const JOB = '/org/freedesktop/systemd1/job/7';
const base: AppStatus = { id: 'a', name: 'a', unit: 'a.service', state: 'running', since: '', activeState: 'active', subState: 'running' };
const result = (action: LifecycleResult['action'], status: Partial<AppStatus>): LifecycleResult => ({ id: 'a', action, job: JOB, status: { ...base, ...status } });

describe('impliedStatus: the 202 state of a job the controller has not typed yet', () => {
  it('derives it from the action when our job is in flight with an unknown type', () => {
    expect(impliedStatus(result('stop', { job: { id: 7, type: 'unknown', path: JOB } })).state).toBe('stopping');
    expect(impliedStatus(result('restart', { job: { id: 7, type: 'unknown', path: JOB } })).state).toBe('restarting');
    expect(impliedStatus(result('start', { state: 'stopped', activeState: 'inactive', subState: 'dead', job: { id: 7, type: 'unknown', path: JOB } })).state).toBe('starting');
    expect(impliedStatus(result('stop', { job: { id: 7, type: 'unknown', path: JOB } })).job!.type).toBe('stop');
  });

  it('leaves the controller\'s word alone otherwise', () => {
    const typed = result('stop', { state: 'stopping', job: { id: 7, type: 'stop', path: JOB } });
    expect(impliedStatus(typed)).toBe(typed.status);
    const other = result('stop', { job: { id: 9, type: 'unknown', path: '/org/freedesktop/systemd1/job/9' } });
    expect(impliedStatus(other)).toBe(other.status);
    const none = result('start', {});
    expect(impliedStatus(none)).toBe(none.status);
  });
});
