// modchat web client: The timeline on screen: the item list, grouping, day separators, scrolling.
import { $, h, sameName, toDate, dayKey, fmtDay } from './util.js';
import { S } from './state.js';
import { loadOlder } from './history.js';
import { buildMsgEl } from './message.js';
import { openRoomsDialog } from './roomsdialog.js';
import { newDivider } from './unread.js';
import { rejoin } from './roomsdialog.js';

// ---------------------------------------------------------------- timeline model

const dom = new Map();   // item key -> {sep, el} for the list on screen
export let shown = null;        // the list on screen

export function insertPos(list, item) {
  const it = list.items;
  let end = it.length;
  while (end > 0 && (it[end - 1].pending || it[end - 1].failed)) end--;
  if (item.pending || item.failed) return it.length;
  if (item.id == null) return end;
  let j = end - 1;
  while (j >= 0 && it[j].id == null) j--;
  if (j < 0 || it[j].id < item.id) return end;
  for (let i = j; i >= 0; i--) if (it[i].id != null && it[i].id < item.id) return i + 1;
  return 0;
}

export function atBottom() {
  const tl = $('timeline');
  return tl.scrollHeight - tl.scrollTop - tl.clientHeight < 48;
}
export function scrollToBottom() {
  const tl = $('timeline');
  tl.scrollTop = tl.scrollHeight;
  $('jump-bottom').hidden = true;
}
export function saveScroll() {
  if (!shown) return;
  shown.atBottom = atBottom();
  shown.scrollTop = $('timeline').scrollTop;
}

// Insert one live item; keeps the view pinned to the bottom when it was there.
export function addItem(list, item, live) {
  if (item.id != null) {
    if (list.ids.has(item.id)) return false;
    list.ids.add(item.id);
  }
  const wasBottom = list === shown && atBottom();
  const i = insertPos(list, item);
  list.items.splice(i, 0, item);
  if (list === shown) {
    const box = $('messages');
    const next = list.items[i + 1];
    const n = nodesFor(list.items[i - 1], item);
    const anchor = next ? firstNode(next) : null;
    if (n.sep) box.insertBefore(n.sep, anchor);
    box.insertBefore(n.el, anchor);
    dom.set(item.key, n);
    if (next) rebuildAt(list, i + 1);
    if (wasBottom || (item.kind === 'mine' && item.pending)) scrollToBottom();
    else if (live) $('jump-bottom').hidden = false;
  }
  return true;
}

export function removeItem(list, item) {
  const i = list.items.indexOf(item);
  if (i < 0) return;
  list.items.splice(i, 1);
  if (item.id != null) list.ids.delete(item.id);
  if (list !== shown) return;
  const d = dom.get(item.key);
  if (d) { if (d.sep) d.sep.remove(); d.el.remove(); dom.delete(item.key); }
  if (list.items[i]) rebuildAt(list, i);
}

// Redraw an item that changed (confirmed, deleted, failed).
export function refreshItem(item) {
  if (!shown) return;
  const i = shown.items.indexOf(item);
  if (i >= 0) { rebuildAt(shown, i); if (shown.items[i + 1]) rebuildAt(shown, i + 1); }
}

function firstNode(item) {
  const d = dom.get(item.key);
  return d ? (d.sep || d.el) : null;
}

function rebuildAt(list, i) {
  const item = list.items[i];
  const old = dom.get(item.key);
  if (!old) return;
  const n = nodesFor(list.items[i - 1], item);
  if (old.sep) old.sep.remove();
  if (n.sep) old.el.parentNode.insertBefore(n.sep, old.el);
  old.el.replaceWith(n.el);
  dom.set(item.key, n);
}

function nodesFor(prev, item) {
  const d = toDate(item.at);
  let sep = !prev || dayKey(toDate(prev.at)) !== dayKey(d)
    ? h('div', { class: 'day-sep', role: 'separator' }, h('span', null, fmtDay(d)))
    : null;
  // the "NEW" line above the first unread message
  if (shown && shown.newFrom != null && item.id === shown.newFrom) sep = h('div', { class: 'seps' }, sep, newDivider());
  const grouped = !sep && !!prev && canGroup(prev, item);
  return { sep, el: buildMsgEl(item, grouped) };
}

function canGroup(prev, item) {
  if (item.kind !== 'message' && item.kind !== 'mine') return false;
  if (prev.kind !== item.kind || prev.failed || !sameName(prev.from, item.from)) return false;
  return Math.abs(toDate(item.at) - toDate(prev.at)) < 7 * 60 * 1000;
}

export function renderTimeline(list, mode) {
  const tl = $('timeline');
  const box = $('messages');
  const oldHeight = tl.scrollHeight;
  const oldTop = tl.scrollTop;
  const wasBottom = atBottom();
  dom.clear();
  shown = list;
  box.replaceChildren();
  if (list) {
    const frag = document.createDocumentFragment();
    let prev = null;
    for (const item of list.items) {
      const n = nodesFor(prev, item);
      if (n.sep) frag.append(n.sep);
      frag.append(n.el);
      dom.set(item.key, n);
      prev = item;
    }
    box.append(frag);
  }
  renderTop();
  if (mode === 'prepend') tl.scrollTop = tl.scrollHeight - (oldHeight - oldTop);
  else if (mode === 'keep') { if (wasBottom) scrollToBottom(); else tl.scrollTop = oldTop; }
  else if (mode === 'restore' && list && !list.atBottom && list.scrollTop != null) tl.scrollTop = list.scrollTop;
  else if ((mode === 'unread' || mode === 'restore') && box.querySelector('[data-test="new-divider"]')) {
    // many unread: start at the first of them, not at the bottom
    scrollToBottom();
    const sepEl = box.querySelector('[data-test="new-divider"]');
    const above = sepEl.getBoundingClientRect().top - tl.getBoundingClientRect().top;
    if (above < 0) tl.scrollTop += above - 40;
  }
  else scrollToBottom();
  if (atBottom()) $('jump-bottom').hidden = true;
  // A short first page may not fill the screen: fetch more so scrolling works.
  if (list && list.loaded && list.hasMore && !list.loading && tl.scrollHeight <= tl.clientHeight + 40) loadOlder(list);
}

export function renderTop() {
  const top = $('timeline-top');
  top.replaceChildren();
  const list = shown;
  if (!S.view) {
    top.append(h('div', { class: 'welcome' },
      h('div', { class: 'welcome-mark', 'aria-hidden': 'true' }, '#'),
      h('h2', null, S.me ? 'Welcome, ' + S.me : 'Welcome'),
      h('p', null, 'You are not in a room yet. Browse the rooms on this server, or make a new one.'),
      h('button', { class: 'btn primary', type: 'button', onclick: openRoomsDialog }, 'Browse rooms')));
    return;
  }
  if (S.view.kind === 'removed') {
    const v = S.view;
    top.append(h('div', { class: 'welcome removed-view', 'data-test': 'removed-view' },
      h('div', { class: 'welcome-mark removed', 'aria-hidden': 'true' }, '×'),
      h('h2', { 'data-test': 'removed-title' }, v.title),
      h('p', { 'data-test': 'removed-text' }, v.text),
      v.canRejoin ? h('button', { class: 'btn primary', type: 'button', 'data-test': 'rejoin', onclick: () => rejoin(v.room) }, 'Rejoin #' + v.room) : null,
      h('button', { class: 'btn', type: 'button', onclick: openRoomsDialog }, 'Browse rooms')));
    return;
  }
  if (!list) return;
  if (list.loading) top.append(h('div', { class: 'loading-older' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading messages…'));
  else if (list.loaded && !list.hasMore && list.kind === 'dm') {
    top.append(h('div', { class: 'welcome' },
      h('div', { class: 'welcome-mark whisper', 'aria-hidden': 'true' }, '@'),
      h('h2', null, list.name),
      h('p', null, 'This is the start of your direct messages with ' + list.name + '. Only the two of you see them.')));
  } else if (list.loaded && !list.hasMore) {
    top.append(h('div', { class: 'welcome' },
      h('div', { class: 'welcome-mark', 'aria-hidden': 'true' }, '#'),
      h('h2', null, 'Welcome to #' + list.name),
      h('p', null, 'This is the start of the #' + list.name + ' room.')));
  }
}
