// @ts-check
// One app's card: the app as a person knows it (icon, name, version, description, the Open link to its web UI), its
// state, the one primary button (the label table of ui-logic.js), and beside them what the state means now: the
// countdown to systemd's deadline, the failure, the reconciler's back-off, and podman's health as a badge with text.
import { defineComponent, h } from '/vendor/vue.esm-browser.prod.js';
import { HEALTH_LABELS, primaryButton, restartVisible, retryLine, shownStatus, STATE_LABELS } from '/ui/ui-logic.js';
import { countdownLine, crashLoopLine, desiredLine, openLink, reasonWords, waitingLine } from '/ui/ui-words.js';
import { iconUrl } from '/ui/icons.js';
import { act, causeOf, clockTime, model, now, ui } from '/ui/store.js';

/** @param {string} text */
const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** The first letter of a name, upper case (a whole code point: an emoji or a letter outside the BMP stays whole). @param {string} name */
const initial = (name) => (Array.from(name.trim())[0] ?? '?').toUpperCase();

function spinner() {
  return h('span', { class: 'spinner', 'aria-hidden': 'true' });
}

export const AppCard = defineComponent({
  props: ['id'],
  /** @param {{ id: string }} props */
  setup(props) {
    return () => {
      const entry = model.value.entries[props.id];
      if (!entry) return null;
      const s = shownStatus(entry, ui.systemd);
      const b = primaryButton(s.state);
      const labelId = `app-${s.id}-name`;
      const error = ui.errors[s.id];
      const retry = retryLine(s.retry, clockTime);
      // Only a card with a deadline reads the clock, so only it re-renders each second.
      const countdown = s.deadline ? countdownLine(s, now.value) : '';
      const icon = iconUrl(s);
      const waiting = s.state === 'unknown' ? '' : waitingLine(s.waitingFor);
      const desired = desiredLine(s.desired, s.state);
      const open = s.state === 'running' ? openLink(s.web, window.location) : undefined;
      // A failure in the failing program's words (podman's "Error: … image not known"), read once per failure.
      const failing = (b.showReason && s.reason) || s.state === 'crash-loop';
      const cause = failing ? causeOf(s.id, `${s.state}:${s.reason ?? ''}`) : undefined;
      return h('li', { class: ['app', `state-${s.state}`], 'data-app': s.id, 'aria-labelledby': labelId }, [
        h('div', { class: 'app-head' }, [
          // The name says what it is: the icon is decoration.
          // An app without an icon (or while it loads) shows its name's first letter in the icon's place.
          icon
            ? h('img', { class: 'app-icon', src: icon, alt: '', width: 40, height: 40, 'data-role': 'icon' })
            : h('span', { class: ['app-icon', 'app-initial'], 'aria-hidden': 'true', 'data-role': 'initial' }, initial(s.name)),
          h('div', { class: 'app-title' }, [
            h('a', { id: labelId, class: 'app-name', href: `#/apps/${s.id}` }, s.name),
            s.version ? h('span', { class: 'app-version', 'data-role': 'version' }, s.version) : null,
          ]),
          h('span', { class: 'app-state', 'data-role': 'state' }, STATE_LABELS[s.state] ?? s.state),
        ]),
        s.health ? h('p', { class: ['health', `health-${s.health}`], 'data-role': 'health' }, HEALTH_LABELS[s.health]) : null,
        s.description ? h('p', { class: 'app-description', 'data-role': 'description' }, s.description) : null,
        countdown ? h('p', { class: 'countdown', 'data-role': 'countdown' }, countdown) : null,
        s.state === 'crash-loop' && s.crashLoop ? h('p', { class: 'reason', 'data-role': 'crash-loop' }, crashLoopLine(s.crashLoop)) : null,
        b.showReason && s.reason ? h('p', { class: 'reason', 'data-role': 'reason', title: `systemd: ${s.reason}` }, `Failed: ${reasonWords(s.reason)}`) : null,
        cause ? h('p', { class: 'cause', 'data-role': 'cause', title: cause }, cause) : null,
        waiting ? h('p', { class: 'note', 'data-role': 'waiting' }, waiting) : null,
        desired ? h('p', { class: 'note', 'data-role': 'desired' }, desired) : null,
        s.note && s.state !== 'crash-loop' ? h('p', { class: 'note', 'data-role': 'note' }, sentence(s.note)) : null,
        retry ? h('p', { class: 'retry', 'data-role': 'retry' }, retry) : null,
        error ? h('p', { class: 'error', role: 'alert' }, error) : null,
        open
          ? h('a', { class: ['button-link', 'wide'], 'data-role': 'open', href: open.href, target: '_blank', rel: 'noreferrer', 'aria-label': `${open.label}: ${s.name}` }, open.label)
          : null,
        h(
          'button',
          {
            type: 'button',
            class: ['primary', 'wide'],
            'data-role': 'primary',
            disabled: b.disabled,
            'aria-busy': b.spinner ? 'true' : 'false',
            'aria-label': `${b.label.replace('…', '')} ${s.name}`,
            onClick: () => b.action && act(s.id, b.action, b.label),
          },
          [b.spinner ? spinner() : null, h('span', { class: 'label' }, b.label)],
        ),
        restartVisible(s.state)
          ? h(
              'button',
              { type: 'button', class: ['secondary', 'wide'], 'data-role': 'restart', 'aria-label': `Restart ${s.name}`, onClick: () => act(s.id, 'restart', 'Restart') },
              'Restart',
            )
          : null,
      ]);
    };
  },
});
