import { describe, expect, it } from 'vitest';
import { parseJournalEvent, parsePodmanEvent, parsePsHealth } from '../../src/podman/health-events.js';

// podman 5.4.2's own words for a container's health, as seen on the test host (test/e2e/api-journal-health.test.ts
// follows them live): the journal entries of its journald event logger, `podman events --format json`, `podman ps`.

describe('podman health events', () => {
  it('reads a health_status, start and died entry of the journal', () => {
    const labels = JSON.stringify({ PODMAN_SYSTEMD_UNIT: 'hx.service' });
    expect(parseJournalEvent(JSON.stringify({ PODMAN_EVENT: 'health_status', PODMAN_HEALTH_STATUS: 'healthy', PODMAN_LABELS: labels, PODMAN_NAME: 'systemd-hx' }))).toEqual({ unit: 'hx.service', event: 'health_status', health: 'healthy' });
    expect(parseJournalEvent(JSON.stringify({ PODMAN_EVENT: 'start', PODMAN_LABELS: labels }))).toEqual({ unit: 'hx.service', event: 'start' });
    expect(parseJournalEvent(JSON.stringify({ PODMAN_EVENT: 'died', PODMAN_LABELS: labels }))).toEqual({ unit: 'hx.service', event: 'died' });
    // Not ours (no Quadlet unit), another event, an unknown health word, not JSON.
    expect(parseJournalEvent(JSON.stringify({ PODMAN_EVENT: 'start', PODMAN_LABELS: '{}' }))).toBeUndefined();
    expect(parseJournalEvent(JSON.stringify({ PODMAN_EVENT: 'exec', PODMAN_LABELS: labels }))).toBeUndefined();
    expect(parseJournalEvent(JSON.stringify({ PODMAN_EVENT: 'health_status', PODMAN_HEALTH_STATUS: 'sick', PODMAN_LABELS: labels }))).toBeUndefined();
    expect(parseJournalEvent('-- No entries --')).toBeUndefined();
  });

  it('reads podman events --format json', () => {
    const line = '{"ID":"0711fef7","Image":"localhost/busybox:latest","Name":"systemd-hx","Status":"health_status","time":1796146463,"Type":"container","health_status":"unhealthy","Attributes":{"PODMAN_SYSTEMD_UNIT":"hx.service"}}';
    expect(parsePodmanEvent(line)).toEqual({ unit: 'hx.service', event: 'health_status', health: 'unhealthy' });
    expect(parsePodmanEvent('{"Status":"died","Attributes":{"PODMAN_SYSTEMD_UNIT":"hx.service"}}')).toEqual({ unit: 'hx.service', event: 'died' });
  });

  it('reads the health of running containers from podman ps --format json', () => {
    const ps = JSON.stringify([
      { Labels: { PODMAN_SYSTEMD_UNIT: 'hx.service' }, Status: 'Up 2 seconds (unhealthy)' },
      { Labels: { PODMAN_SYSTEMD_UNIT: 'jx.service' }, Status: 'Up 5 minutes' },
      { Labels: null, Status: 'Up 1 second (healthy)' },
      { Labels: { PODMAN_SYSTEMD_UNIT: 'kx.service' }, Status: 'Up 1 second (starting)' },
    ]);
    expect([...parsePsHealth(ps)]).toEqual([['hx.service', 'unhealthy'], ['kx.service', 'starting']]);
    expect([...parsePsHealth('[]')]).toEqual([]);
  });
});
