// @ts-check
// Where the UI keeps the API token: sessionStorage (gone with the tab; never a
// cookie, so no cross-site request can carry it). A link may bring it as
// `#token=…` in the fragment (never sent to the server); it is taken and
// stripped from the address bar at once.

const KEY = 'archy-quadlet.token';

/**
 * @typedef {object} TokenStore
 * @property {() => string} get
 * @property {(token: string) => void} set
 * @property {() => void} clear
 */

/**
 * @param {Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>} storage sessionStorage
 * @param {Pick<Location, 'hash' | 'pathname' | 'search'>} location window.location
 * @param {Pick<History, 'replaceState'>} history window.history
 * @returns {TokenStore}
 */
export function createTokenStore(storage, location, history) {
  const m = /^#token=([A-Za-z0-9_-]{16,256})$/.exec(location.hash);
  if (m) {
    storage.setItem(KEY, /** @type {string} */ (m[1]));
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }
  return {
    get: () => storage.getItem(KEY) ?? '',
    set: (token) => storage.setItem(KEY, token),
    clear: () => storage.removeItem(KEY),
  };
}
