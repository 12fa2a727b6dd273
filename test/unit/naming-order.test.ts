import { describe, expect, it } from 'vitest';
import { compareNames, DNS_LABEL } from '../../src/naming.js';

// Apps are listed in compareNames order (status, the API, the UI): for app ids, DNS labels, it must be the order a
// person expects, the one localeCompare gives, whatever the machine's locale.

const IDS = ['lnd', 'bitcoin', 'bitcoin-ui', 'bitcoin2', 'btcpay', 'electrumx', 'electrs', 'mempool', 'mempool-db', 'tor', 'a', 'a-b', 'ab', 'a0', '0', '9lives', 'z', 'x-1', 'x-10', 'x-2'];

describe('compareNames', () => {
  it('orders DNS labels as localeCompare does, in every locale tried', () => {
    expect(IDS.every((id) => DNS_LABEL.test(id))).toBe(true);
    const ours = [...IDS].sort(compareNames);
    for (const locale of ['en', 'de', 'sv', 'tr', 'ja']) expect([...IDS].sort((a, b) => a.localeCompare(b, locale))).toEqual(ours);
    expect(ours.slice(0, 6)).toEqual(['0', '9lives', 'a', 'a-b', 'a0', 'ab']);
  });

  it('orders other names by code point: capitals first, the same everywhere', () => {
    expect(['b', 'B', 'a', 'A_x', 'a_x'].sort(compareNames)).toEqual(['A_x', 'B', 'a', 'a_x', 'b']);
    expect(compareNames('x', 'x')).toBe(0);
  });
});
