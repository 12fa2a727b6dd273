// @ts-check
// The apps' icons: `GET /api/apps/<id>/icon` needs the bearer token, which an <img> cannot send, so each icon is
// fetched once and shown from a blob: URL (the page's CSP allows img-src blob:).
import { reactive } from '/vendor/vue.esm-browser.prod.js';
import { request } from '/ui/store.js';

/** @import { AppStatus } from '../../controller/types.js' */

/** @type {Record<string, string>} blob: URL by `<id> <icon path>`; '' while loading or when it failed. */
const urls = reactive({});

/**
 * The URL to show an app's icon from, or '' when it has none (yet). The first call for an icon starts its fetch; the
 * component re-renders once it is there.
 * @param {Pick<AppStatus, 'id' | 'icon'>} status
 * @returns {string}
 */
export function iconUrl(status) {
  if (!status.icon) return '';
  const key = `${status.id} ${status.icon}`;
  if (!(key in urls)) {
    urls[key] = '';
    request(`/api/apps/${status.id}/icon`)
      .then(async (res) => {
        if (res.ok) urls[key] = URL.createObjectURL(await res.blob());
      })
      .catch(() => {
        // No icon then: the card reads the same without it.
      });
  }
  return urls[key] ?? '';
}
