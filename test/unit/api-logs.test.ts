import { describe, expect, it } from 'vitest';
import { mergeJournals } from '../../src/api/failure-cause.js';

describe('mergeJournals: the logs of an app of several containers', () => {
  it('merges the units\' lines by their time, keeps the order of lines of one time, and keeps the last n', () => {
    const app = ['2026-11-27T02:05:30.100000+00:00 node systemd[1]: Starting shop.service...'];
    const db = ['2026-11-27T02:05:31.000001+00:00 node shop-db[10]: ready', '2026-11-27T02:05:31.900000+00:00 node shop-db[10]: healthy'];
    const web = ['2026-11-27T02:05:31.000001+00:00 node shop-web[11]: started', '2026-11-27T02:05:31.500000+00:00 node shop-web[11]: listening'];
    expect(mergeJournals([app, db, web], 10)).toEqual([app[0], db[0], web[0], web[1], db[1]]);
    expect(mergeJournals([app, db, web], 2)).toEqual([web[1], db[1]]);
    expect(mergeJournals([[], []], 5)).toEqual([]);
  });

  it('reads journalctl\'s short-precise times too', () => {
    const db = ['Nov 27 02:05:31.900000 node shop-db[10]: healthy'];
    const web = ['Nov 27 02:05:31.500000 node shop-web[11]: listening', 'Nov 27 02:05:32.000000 node shop-web[11]: ok'];
    expect(mergeJournals([db, web], 10)).toEqual([web[0], db[0], web[1]]);
  });
});
