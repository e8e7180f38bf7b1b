// modchat web client: The word filter panel.
import { h } from './util.js';
import { S, isAdmin } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { renderPanel } from './views.js';
import { toast } from './notices.js';
import { showDialogError } from './dialog.js';

// No event tells of filter changes: the list is read when the view opens,
// after each change made here, and every 10 s while the view is open and
// the tab visible (redrawn only when it changed).
let pollTimer = null;
function poll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(() => {
    if (S.view && S.view.kind === 'filter' && S.loggedIn) {
      if (!document.hidden) loadFilter(true); else poll();
    }
  }, 10000);
}

export async function loadFilter(quiet) {
  poll();
  try {
    const r = await send('filter_list');
    const words = r.words || [];
    if (quiet && JSON.stringify(words) === JSON.stringify(S.filterWords)) return;
    S.filterWords = words;
  } catch (err) {
    if (err.code !== 'not_connected' && !quiet) toast(errText(err), { kind: 'error' });
  }
  renderPanel();
}

export function renderFilter(p) {
  const words = S.filterWords;
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const inner = h('div', { class: 'panel-inner' });
  if (isAdmin()) {
    const input = h('input', { type: 'text', placeholder: 'Word or phrase to block', maxlength: '64', 'data-test': 'filter-input', 'aria-label': 'Word to block' });
    const before = p.querySelector('[data-test="filter-input"]');
    if (before) input.value = before.value;
    const add = async () => {
      const w = input.value.trim();
      if (!w) return;
      try { await send('filter_add', { word: w }); input.value = ''; await loadFilter(); }
      catch (e) { showDialogError(err, errText(e)); }
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') add(); });
    inner.append(h('div', { class: 'panel-tools' }, input, h('button', { class: 'btn primary', type: 'button', 'data-test': 'filter-add', onclick: add }, 'Add')), err);
  } else {
    inner.append(h('p', { class: 'muted-line' }, 'Only admins can change this list.'));
  }
  inner.append(h('p', { class: 'dialog-text' }, 'Whole words are matched, ignoring case and width (so “darn” blocks “DARN!” but not “darning”). Three blocks in ten minutes mute the sender for ten minutes.'));
  if (words == null) inner.append(h('p', { class: 'muted-line' }, 'Loading…'));
  else if (!words.length) inner.append(h('p', { class: 'muted-line' }, 'The filter is empty.'));
  else {
    inner.append(h('ul', { class: 'word-list' }, words.map((w) => h('li', { class: 'word', 'data-test': 'filter-word', 'data-word': w },
      h('span', null, w),
      isAdmin() ? h('button', { class: 'chip-x', type: 'button', 'data-test': 'filter-remove', 'aria-label': 'Remove ' + w, title: 'Remove', onclick: async () => {
        try { await send('filter_remove', { word: w }); await loadFilter(); } catch (e) { showDialogError(err, errText(e)); }
      } }, '×') : null))));
  }
  p.replaceChildren(inner);
}
