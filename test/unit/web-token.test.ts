import { describe, expect, it } from 'vitest';
import { createTokenStore } from '../../src/web/public/token.js';

describe('createTokenStore (UI)', () => {
  const storage = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
  };

  it('takes #token= from the fragment and strips it from the address', () => {
    const s = storage();
    const replaced: string[] = [];
    const store = createTokenStore(s, { hash: '#token=abcdefghijklmnop_-12', pathname: '/', search: '?x=1' }, { replaceState: (_a: unknown, _b: string, url?: string | URL | null) => void replaced.push(String(url)) });
    expect(store.get()).toBe('abcdefghijklmnop_-12');
    expect(replaced).toEqual(['/?x=1']);
    store.clear();
    expect(store.get()).toBe('');
  });

  it('leaves other fragments alone', () => {
    const replaced: string[] = [];
    const store = createTokenStore(storage(), { hash: '#/apps/lnd', pathname: '/', search: '' }, { replaceState: () => void replaced.push('x') });
    expect(store.get()).toBe('');
    expect(replaced).toEqual([]);
  });
});
