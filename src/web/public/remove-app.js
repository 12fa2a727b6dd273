// @ts-check
// Removing an installed app: a button that asks first, in a modal <dialog> (the browser keeps the focus in it and
// closes it on Escape), saying what goes and that the data stays (removeConfirmation in ui-words.js).
import { defineComponent, h, shallowRef } from '/vendor/vue.esm-browser.prod.js';
import { removeConfirmation } from '/ui/ui-words.js';
import { act } from '/ui/store.js';

/** @import { ShallowRef } from '/vendor/vue.esm-browser.prod.js' */

/** States of an installed app with no job in flight: those that can be removed. */
const REMOVABLE = new Set(['running', 'stopped', 'failed', 'crash-loop']);

export const RemoveApp = defineComponent({
  props: ['id', 'name', 'state'],
  /** @param {{ id: string, name: string, state: string }} props */
  setup(props) {
    /** @type {ShallowRef<HTMLDialogElement | undefined>} */
    const dialog = shallowRef();
    const confirm = () => {
      dialog.value?.close();
      act(props.id, 'remove', 'Remove');
    };
    return () => {
      if (!REMOVABLE.has(props.state)) return null;
      const text = removeConfirmation(props.name);
      return h('div', { class: 'remove' }, [
        h('button', { type: 'button', class: 'danger', 'data-role': 'remove', onClick: () => dialog.value?.showModal() }, `Remove ${props.name}…`),
        h('dialog', { ref: dialog, class: 'confirm', 'data-role': 'confirm-remove', 'aria-labelledby': `remove-${props.id}-title`, 'aria-describedby': `remove-${props.id}-body` }, [
          h('h3', { id: `remove-${props.id}-title` }, text.title),
          h('p', { id: `remove-${props.id}-body` }, text.body),
          h('div', { class: 'actions' }, [
            h('button', { type: 'button', class: 'secondary', 'data-role': 'cancel', onClick: () => dialog.value?.close() }, 'Cancel'),
            h('button', { type: 'button', class: ['danger', 'solid'], 'data-role': 'confirm', onClick: confirm }, text.confirm),
          ]),
        ]),
      ]);
    };
  },
});
