// Types of token.js.
export interface TokenStore {
  get(): string;
  set(token: string): void;
  clear(): void;
}
export function createTokenStore(
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>,
  location: Pick<Location, 'hash' | 'pathname' | 'search'>,
  history: Pick<History, 'replaceState'>,
): TokenStore;
