// @ts-check
// The web UI: a list of apps with one primary button each, and a detail view.
// Vue 3 with render functions (no template compiler, so the CSP can forbid eval).
// Live state comes only from the event stream (store.js); a click shows its transitional
// label at once (ui-logic.js decides when the server may replace it).
import { computed, createApp, h, onMounted, shallowRef } from '/vendor/vue.esm-browser.prod.js';
import { linkBanner, linkUp } from '/ui/ui-logic.js';
import { AppCard } from '/ui/app-card.js';
import { AppDetail } from '/ui/app-detail.js';
import { ReconcilerPanel } from '/ui/reconciler-panel.js';
import { clockTime, model, signIn, startEvents, ui } from '/ui/store.js';

/** @import { LinkStatus } from '../../systemd/types.js' */
/** @import { Entry } from './ui-logic.js' */
/** @import { ShallowRef } from '/vendor/vue.esm-browser.prod.js' */

const TokenForm = {
  setup() {
    const value = shallowRef('');
    /** @type {ShallowRef<HTMLInputElement | undefined>} */
    const input = shallowRef();
    onMounted(() => input.value?.focus());
    /** @param {Event} ev */
    const submit = (ev) => {
      ev.preventDefault();
      const t = value.value.trim();
      if (t) signIn(t);
    };
    return () =>
      h('form', { class: 'token-form', onSubmit: submit, 'aria-labelledby': 'token-title' }, [
        h('h2', { id: 'token-title' }, 'Sign in'),
        h('p', null, 'This node’s API needs its token. Print it on the node with archy-quadlet token.'),
        ui.tokenError ? h('p', { class: 'error', role: 'alert' }, ui.tokenError) : null,
        h('label', { for: 'token-input' }, 'API token'),
        h('input', {
          id: 'token-input',
          ref: input,
          type: 'password',
          autocomplete: 'off',
          spellcheck: 'false',
          required: true,
          value: value.value,
          onInput: (/** @type {Event} */ e) => (value.value = /** @type {HTMLInputElement} */ (e.target).value),
        }),
        h('button', { type: 'submit', class: 'primary' }, 'Continue'),
      ]);
  },
};

const AppList = {
  setup() {
    /** @param {string} id */
    const nameOf = (id) => /** @type {Entry} */ (model.value.entries[id]).status.name;
    const ids = computed(() => Object.keys(model.value.entries).sort((a, b) => nameOf(a).localeCompare(nameOf(b))));
    return () =>
      h('section', { 'aria-labelledby': 'apps-title' }, [
        h(ReconcilerPanel),
        h('h2', { id: 'apps-title', class: 'visually-hidden' }, 'Apps'),
        model.value.epoch === undefined
          ? h('p', { class: 'muted' }, 'Connecting…')
          : ids.value.length === 0
            ? h('p', { class: 'muted' }, linkUp(ui.systemd) ? 'No apps on this node.' : 'The apps are listed once systemd answers.')
            : h('ul', { class: 'apps' }, ids.value.map((id) => h(AppCard, { id, key: id }))),
      ]);
  },
};

/** While systemd cannot be reached: why, when the next attempt is, and that the states shown are not known. */
const SystemdBanner = {
  setup() {
    return () => {
      const banner = linkBanner(ui.systemd, clockTime);
      if (!banner) return null;
      return h('div', { class: ['banner', `link-${/** @type {LinkStatus} */ (ui.systemd).state}`], 'data-role': 'systemd' }, [
        // Only the title is a live region: the detail changes with every attempt and would be read out each time.
        h('strong', { class: 'banner-title', role: 'status' }, banner.title),
        h('span', { class: 'banner-detail' }, banner.detail),
      ]);
    };
  },
};

/**
 * The page's one region for state changes (store.js words them): always in the page, so that a screen reader
 * follows it from the start; each message is a new node, so that two equal ones in a row are both read.
 */
const Announcer = {
  setup() {
    return () =>
      h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'data-role': 'announcer' }, [
        ui.announcement.text ? h('p', { key: ui.announcement.n }, ui.announcement.text) : null,
      ]);
  },
};

const Root = {
  setup() {
    onMounted(() => {
      if (ui.token) startEvents();
    });
    return () =>
      h('div', { class: 'shell' }, [
        h('header', { class: 'top' }, [
          h('h1', null, h('a', { href: '#/' }, 'archy-quadlet')),
          ui.token
            ? h('span', { class: ['conn', `conn-${ui.connection}`], role: 'status', 'data-role': 'connection' }, ui.connection === 'live' ? 'Live' : ui.connection === 'connecting' ? 'Connecting…' : 'Offline, reconnecting…')
            : null,
        ]),
        h('main', null, [
          h(Announcer),
          ui.token ? h(SystemdBanner) : null,
          !ui.token ? h(TokenForm) : ui.route.view === 'detail' ? h(AppDetail, { id: ui.route.id, key: ui.route.id }) : h(AppList),
        ]),
      ]);
  },
};

createApp(Root).mount('#app');
