// modchat web client: The modal dialog.
import { $, h } from './util.js';
import { closeMenu } from './menu.js';

// ---------------------------------------------------------------- dialogs

export function openDialog(title, nodes, cls) {
  const d = $('dialog');
  closeMenu();
  d.className = 'dialog' + (cls ? ' ' + cls : '');
  d.replaceChildren(h('div', { class: 'dialog-inner' },
    h('header', { class: 'dialog-head' }, h('h2', { id: 'dialog-title' }, title),
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close', 'data-test': 'dialog-close', onclick: closeDialog }, '×')),
    ...nodes.filter(Boolean)));
  if (!d.open) d.showModal();
  const f = d.querySelector('input, textarea, .dialog-inner button:not(.icon-btn)');
  if (f) f.focus();
}
export function closeDialog() {
  const d = $('dialog');
  if (d.open) d.close();
}
export function dialogError() {
  return h('p', { class: 'form-error', 'data-test': 'dialog-error', role: 'alert', hidden: true });
}
export function showDialogError(el, text) { el.textContent = text; el.hidden = !text; }
