import { describe, expect, it } from 'vitest';
import { appLogUnits, journalctlArgs } from '../../src/cli/commands/logs.js';
import type { AppRef } from '../../src/controller/types.js';

// Which journal `archy-quadlet logs` prints (the same units as GET /api/apps/:id/logs).

const shop: AppRef = { id: 'shop', name: 'Shop', unit: 'shop.service', containers: [{ name: 'db', unit: 'shop-db.service' }, { name: 'web', unit: 'shop-web.service' }] };

describe('appLogUnits', () => {
  it('every unit of the app, or one container', async () => {
    expect(await appLogUnits(shop, undefined)).toEqual(['shop.service', 'shop-db.service', 'shop-web.service']);
    expect(await appLogUnits(shop, 'db')).toEqual(['shop-db.service']);
  });
  it('a container the app does not have names the ones it has', async () => {
    await expect(appLogUnits(shop, 'api')).rejects.toThrow('container of shop "api" not found (its containers: db, web)');
  });
});

describe('journalctlArgs', () => {
  it('system units with -u, a user manager\'s with --user-unit; -n and --follow as given', async () => {
    expect(await journalctlArgs(['shop-db.service'], 'system', { lines: '20' })).toEqual(['--no-pager', '-n', '20', '-u', 'shop-db.service']);
    expect(await journalctlArgs(['a.service', 'b.service'], 'user', { follow: true })).toEqual(['--no-pager', '-n', '100', '--follow', '--user-unit', 'a.service', '--user-unit', 'b.service']);
    expect(await journalctlArgs(['a.service'], 'system', { lines: 'all' })).toEqual(['--no-pager', '-n', 'all', '-u', 'a.service']);
  });
  it('refuses lines that are not a number', async () => {
    await expect(journalctlArgs(['a.service'], 'system', { lines: '-5' })).rejects.toThrow('--lines "-5": a number of lines, or all');
  });
});
