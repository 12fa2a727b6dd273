// @ts-check
// The detail view of one app: its facts, its card, its containers (each with its state, health and log; a template
// app's instances each with its own Start/Stop), its
// history, its unit files and its live log.
import { defineComponent, h, nextTick, onMounted, shallowRef } from '/vendor/vue.esm-browser.prod.js';
import { containerRows, HEALTH_LABELS, instanceButton, onionLink, retryLine, shownStatus, STATE_LABELS } from '/ui/ui-logic.js';
import { AppCard } from '/ui/app-card.js';
import { LiveLog } from '/ui/live-log.js';
import { RemoveApp } from '/ui/remove-app.js';
import { actInstance, api, clockTime, formatTime, model, ui } from '/ui/store.js';

/** @import { AppDetail as Detail } from '../../api/types.js' */
/** @import { ShallowRef } from '/vendor/vue.esm-browser.prod.js' */

/**
 * The detail view's onion address and its link, when the app has one.
 * @param {ReturnType<typeof onionLink>} onion
 */
function onionFacts(onion) {
  if (!onion) return null;
  return [
    h('dt', null, 'Onion address'),
    h('dd', { 'data-role': 'onion' }, [h('code', null, onion.address), ' ', h('a', { href: onion.href, rel: 'noreferrer', target: '_blank' }, 'Open over Tor')]),
  ];
}

/**
 * The action cell of an instance's row (a template app, issue 17): Start or Stop for that instance alone.
 * @param {string} appId
 * @param {ReturnType<typeof containerRows>[number]} c
 */
function instanceCell(appId, c) {
  const b = instanceButton(appId, c);
  if (!b) return h('span', { class: 'muted' }, '—');
  const action = b.action === 'start' || b.action === 'stop' ? b.action : null;
  return h(
    'button',
    { type: 'button', class: 'secondary', 'data-role': 'instance-action', 'data-action': action ?? '', disabled: b.disabled || !action, 'aria-label': `${b.label} instance ${c.name}`, onClick: () => action && actInstance(appId, c.name, action, `${b.label} ${c.name}`) },
    b.label,
  );
}

/**
 * When the app entered a state, for a person; "Not known" when the status has no `since`: systemd keeps no time for
 * a unit it loaded afresh (an app stopped outside archy-quadlet, or never started since boot), and none is made up.
 * @param {string | undefined} since
 */
function sinceCell(since) {
  return since ? formatTime(since) : h('span', { class: 'muted', 'data-role': 'since-unknown' }, 'Not known');
}

/** @param {'running' | 'stopped' | 'absent'} desired */
const desiredLabel = (desired) => (desired === 'absent' ? 'Not installed' : STATE_LABELS[desired]);

export const AppDetail = defineComponent({
  props: ['id'],
  /** @param {{ id: string }} props */
  setup(props) {
    /** @type {ShallowRef<Detail | undefined>} */
    const detail = shallowRef();
    /** The container whose log is shown ('' = the whole app's). */
    const logOf = shallowRef('');
    const failure = shallowRef('');
    /** @type {ShallowRef<HTMLElement | undefined>} */
    const heading = shallowRef();
    let lastSeq = -1;
    const load = async () => {
      try {
        detail.value = await api(`/api/apps/${props.id}`);
        failure.value = '';
      } catch (err) {
        failure.value = /** @type {Error} */ (err).message;
      }
    };
    onMounted(async () => {
      await load();
      await nextTick();
      heading.value?.focus();
    });
    return () => {
      const entry = model.value.entries[props.id];
      // The history grows with the stream: re-read the detail when this app's state changed after it was read.
      if (entry && entry.seq !== lastSeq && detail.value && entry.seq > detail.value.seq) {
        lastSeq = entry.seq;
        queueMicrotask(load);
      }
      const d = detail.value;
      const s = entry ? shownStatus(entry, ui.systemd) : d;
      // A template app's containers are its instances, each started and stopped on its own (issue 17).
      const instances = s !== undefined && containerRows(s).some((c) => instanceButton(s.id, c) !== null);
      return h('section', { class: 'detail', 'aria-labelledby': 'detail-title' }, [
        h('a', { href: '#/', class: 'back' }, '← All apps'),
        h('h2', { id: 'detail-title', tabindex: '-1', ref: heading }, s ? s.name : props.id),
        failure.value ? h('p', { class: 'error', role: 'alert' }, failure.value) : null,
        s
          ? h('dl', { class: 'facts' }, [
              h('dt', null, 'State'),
              h('dd', { 'data-role': 'state' }, STATE_LABELS[s.state] ?? s.state),
              s.desired ? [h('dt', null, 'Wanted'), h('dd', { 'data-role': 'desired' }, desiredLabel(s.desired))] : null,
              h('dt', null, 'Since'),
              h('dd', { 'data-role': 'since' }, sinceCell(s.since)),
              s.deadline ? [h('dt', null, 'Deadline'), h('dd', null, formatTime(s.deadline))] : null,
              s.reason ? [h('dt', null, 'Reason'), h('dd', null, s.reason)] : null,
              s.health ? [h('dt', null, 'Health'), h('dd', { 'data-role': 'health' }, HEALTH_LABELS[s.health])] : null,
              // Why it failed in the failing program's words (its journal's last error line), read with the detail.
              d?.cause && s.state !== 'running' ? [h('dt', null, 'Cause'), h('dd', { class: 'reason', 'data-role': 'cause' }, d.cause)] : null,
              s.retry ? [h('dt', null, 'Retry'), h('dd', { 'data-role': 'retry' }, retryLine(s.retry, clockTime))] : null,
              h('dt', null, 'Unit'),
              h('dd', null, h('code', null, s.unit)),
              onionFacts(onionLink(s)),
            ])
          : null,
        entry ? h('ul', { class: 'apps single' }, [h(AppCard, { id: props.id })]) : null,
        s ? h(RemoveApp, { id: s.id, name: s.name, state: s.state }) : null,
        s && containerRows(s).length > 0
          ? [
              h('h3', null, instances ? 'Instances' : 'Containers'),
              // A phone's width scrolls the table inside its region, never the page.
              h('div', { class: 'table-scroll', role: 'region', 'aria-label': 'Containers', tabindex: '0' }, h('table', { class: 'history containers' }, [
                h('thead', null, h('tr', null, [h('th', { scope: 'col' }, instances ? 'Instance' : 'Container'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Health'), h('th', { scope: 'col' }, 'systemd'), h('th', { scope: 'col' }, 'Log'), instances ? h('th', { scope: 'col' }, 'Action') : null])),
                h(
                  'tbody',
                  null,
                  containerRows(s).map((c) =>
                    h('tr', { key: c.unit, 'data-container': c.name }, [
                      h('th', { scope: 'row' }, [c.name, ' ', h('code', { class: 'muted' }, c.unit)]),
                      h('td', { 'data-role': 'container-state', 'data-state': c.state }, c.label),
                      h('td', { 'data-role': 'container-health' }, c.health ? h('span', { class: ['health', `health-${c.health}`] }, c.healthLabel) : h('span', { class: 'muted' }, '—')),
                      h('td', null, c.detail),
                      h('td', null, h('button', { type: 'button', class: 'secondary', 'data-role': 'show-log', 'aria-label': `Show log of ${c.name}`, onClick: () => (logOf.value = c.name) }, 'Show log')),
                      instances ? h('td', null, instanceCell(s.id, c)) : null,
                    ]),
                  ),
                ),
              ])),
            ]
          : null,
        h('h3', null, 'History'),
        d && d.history.length > 0
          ? h('table', { class: 'history' }, [
              h('thead', null, h('tr', null, [h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Since'), h('th', { scope: 'col' }, 'Reason')])),
              h(
                'tbody',
                null,
                [...d.history].reverse().map((x) => h('tr', { key: `${x.seq}-${x.since}` }, [h('td', null, STATE_LABELS[x.state] ?? x.state), h('td', null, sinceCell(x.since)), h('td', null, x.reason ?? '')])),
              ),
            ])
          : h('p', { class: 'muted' }, 'No history yet.'),
        h('h3', null, 'Unit'),
        d?.unitText ? h('pre', { class: 'unit', tabindex: '0', 'aria-label': 'Rendered unit file' }, d.unitText) : h('p', { class: 'muted' }, 'Not installed.'),
        h('h3', { id: 'log-title' }, logOf.value ? `Log of ${logOf.value}` : 'Log'),
        s && containerRows(s).length > 0
          ? h('div', { class: 'log-pick' }, [
              h('label', { for: 'log-of' }, 'Show the log of'),
              h(
                'select',
                { id: 'log-of', 'data-role': 'log-of', value: logOf.value, onChange: (/** @type {Event} */ e) => (logOf.value = /** @type {HTMLSelectElement} */ (e.target).value) },
                [h('option', { value: '' }, 'every container'), ...containerRows(s).map((c) => h('option', { value: c.name }, c.name))],
              ),
            ])
          : null,
        // A new container is a new stream: the component starts again (its key).
        h(LiveLog, { key: logOf.value, id: props.id, ...(logOf.value ? { container: logOf.value } : {}), label: logOf.value ? `Log of ${logOf.value}, live` : 'Log, live' }),
      ]);
    };
  },
});
