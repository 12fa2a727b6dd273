import { Variant } from '@jellybrick/dbus-next';
import { describe, expect, it } from 'vitest';
import { decodeJobSignal, decodeListEntry, decodeUnitProps } from '../../src/systemd/decode.js';
import { busAddressFor } from '../../src/systemd/address.js';

describe('decodeUnitProps', () => {
  it('reads the followed properties out of an a{sv} map and ignores the rest', () => {
    const props = decodeUnitProps({
      ActiveState: new Variant('s', 'deactivating'),
      SubState: new Variant('s', 'stop-sigterm'),
      Job: new Variant('(uo)', [42, '/org/freedesktop/systemd1/job/42']),
      StateChangeTimestamp: new Variant('t', 1_700_000_000_123_456n),
      TimeoutStopUSec: new Variant('t', 0xffffffffffffffffn),
      TimeoutStartUSec: new Variant('t', 90_000_000n),
      InvocationID: new Variant('ay', Buffer.from('00ff', 'hex')),
      Description: new Variant('s', 'ignored'),
    });
    expect(props).toEqual({
      activeState: 'deactivating',
      subState: 'stop-sigterm',
      job: { id: 42, path: '/org/freedesktop/systemd1/job/42' },
      stateChangeUsec: 1_700_000_000_123_456,
      timeoutStopUsec: Infinity,
      timeoutStartUsec: 90_000_000,
      invocationId: '00ff',
    });
  });
  it('maps the "no job" pair (0, "/") to null', () => {
    expect(decodeUnitProps({ Job: new Variant('(uo)', [0, '/']) })).toEqual({ job: null });
  });
});

describe('decodeListEntry', () => {
  it('reads a ListUnitsByNames row, with and without a job', () => {
    expect(decodeListEntry(['a.service', 'A', 'loaded', 'active', 'running', '', '/org/freedesktop/systemd1/unit/a_2eservice', 7, 'stop', '/org/freedesktop/systemd1/job/7'])).toEqual({
      name: 'a.service', loadState: 'loaded', activeState: 'active', subState: 'running', path: '/org/freedesktop/systemd1/unit/a_2eservice',
      job: { id: 7, path: '/org/freedesktop/systemd1/job/7', type: 'stop' },
    });
    expect(decodeListEntry(['b.service', '', 'not-found', 'inactive', 'dead', '', '/org/freedesktop/systemd1/unit/b_2eservice', 0, '', '/'])?.job).toBeNull();
  });
});

describe('decodeJobSignal', () => {
  it('reads JobNew and JobRemoved bodies', () => {
    expect(decodeJobSignal([9, '/org/freedesktop/systemd1/job/9', 'a.service'])).toEqual({ job: { id: 9, path: '/org/freedesktop/systemd1/job/9' }, unit: 'a.service' });
    expect(decodeJobSignal([9, '/org/freedesktop/systemd1/job/9', 'a.service', 'canceled'])?.result).toBe('canceled');
  });
});

describe('busAddressFor', () => {
  it('explicit address, the user manager on the session bus, or the system bus', () => {
    expect(busAddressFor({ bus: 'unix:path=/x', user: true, uid: 1000 })).toBe('unix:path=/x');
    expect(busAddressFor({ user: true, uid: 1000 })).toBe('unix:path=/run/user/1000/bus');
    expect(busAddressFor({ uid: 0 })).toBe('unix:path=/run/dbus/system_bus_socket');
  });
});
