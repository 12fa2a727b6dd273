import { describe, expect, it } from 'vitest';
import { escapeLabel, jobIdOfPath, unescapeLabel, unitNameOfPath, unitPath } from '../../src/systemd/unit-path.js';

describe('unit object paths (sd-bus label escaping)', () => {
  const table: Array<[string, string]> = [
    ['lnd.service', 'lnd_2eservice'],
    ['archy-ui.service', 'archy_2dui_2eservice'],
    ['bitcoin-core-network.service', 'bitcoin_2dcore_2dnetwork_2eservice'],
    ['0abc.service', '_30abc_2eservice'],
    ['a0.service', 'a0_2eservice'],
    ['getty@tty1.service', 'getty_40tty1_2eservice'],
    ['', '_'],
  ];
  it.each(table)('%s ↔ %s', (name, label) => {
    expect(escapeLabel(name)).toBe(label);
    expect(unescapeLabel(label)).toBe(name);
    expect(unitNameOfPath(unitPath(name))).toBe(name);
  });
  it('rejects what is not a unit path or not a valid escape', () => {
    expect(unitNameOfPath('/org/freedesktop/systemd1/job/12')).toBeUndefined();
    expect(unitNameOfPath('/org/freedesktop/systemd1/unit/a/b')).toBeUndefined();
    expect(unescapeLabel('a_zz')).toBeUndefined();
    expect(unescapeLabel('a.b')).toBeUndefined();
  });
  it('job paths carry the job id', () => {
    expect(jobIdOfPath('/org/freedesktop/systemd1/job/4711')).toBe(4711);
    expect(jobIdOfPath('/org/freedesktop/systemd1/unit/x')).toBeUndefined();
    expect(jobIdOfPath('/org/freedesktop/systemd1/job/0')).toBeUndefined();
  });
});
