// modchat web client: The timeline on screen (grouping, day separators, scroll) and the composer (sending, pending and failed messages).
'use strict';

// ---------------------------------------------------------------- timeline model

const dom = new Map();   // item key -> {sep, el} for the list on screen
let shown = null;        // the list on screen

function insertPos(list, item) {
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

function atBottom() {
  const tl = $('timeline');
  return tl.scrollHeight - tl.scrollTop - tl.clientHeight < 48;
}
function scrollToBottom() {
  const tl = $('timeline');
  tl.scrollTop = tl.scrollHeight;
  $('jump-bottom').hidden = true;
}
function saveScroll() {
  if (!shown) return;
  shown.atBottom = atBottom();
  shown.scrollTop = $('timeline').scrollTop;
}

// Insert one live item; keeps the view pinned to the bottom when it was there.
function addItem(list, item, live) {
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

function removeItem(list, item) {
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
function refreshItem(item) {
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
  const sep = !prev || dayKey(toDate(prev.at)) !== dayKey(d)
    ? h('div', { class: 'day-sep', role: 'separator' }, h('span', null, fmtDay(d)))
    : null;
  const grouped = !sep && !!prev && canGroup(prev, item);
  return { sep, el: buildMsgEl(item, grouped) };
}

function canGroup(prev, item) {
  if (item.kind !== 'message' && item.kind !== 'mine') return false;
  if (prev.kind !== item.kind || prev.failed || !sameName(prev.from, item.from)) return false;
  return Math.abs(toDate(item.at) - toDate(prev.at)) < 7 * 60 * 1000;
}

function renderTimeline(list, mode) {
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
  else scrollToBottom();
  if (atBottom()) $('jump-bottom').hidden = true;
  // A short first page may not fill the screen: fetch more so scrolling works.
  if (list && list.loaded && list.hasMore && !list.loading && tl.scrollHeight <= tl.clientHeight + 40) loadOlder(list);
}

function renderTop() {
  const top = $('timeline-top');
  top.replaceChildren();
  const list = shown;
  if (!S.view) {
    top.append(h('div', { class: 'welcome' },
      h('div', { class: 'welcome-mark', 'aria-hidden': 'true' }, '#'),
      h('h3', null, S.me ? 'Welcome, ' + S.me : 'Welcome'),
      h('p', null, 'You are not in a room yet. Browse the rooms on this server, or make a new one.'),
      h('button', { class: 'btn primary', type: 'button', onclick: openRoomsDialog }, 'Browse rooms')));
    return;
  }
  if (!list) return;
  if (list === S.whispers) {
    top.append(h('div', { class: 'welcome' },
      h('div', { class: 'welcome-mark whisper', 'aria-hidden': 'true' }, '@'),
      h('h3', null, 'Whispers'),
      h('p', null, 'Private messages between you and one other person. Click someone\'s name and choose Whisper to start. Whispers are not kept in room history: this list starts when you opened this page.')));
    return;
  }
  if (list.loading) top.append(h('div', { class: 'loading-older' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading messages…'));
  else if (list.loaded && !list.hasMore) {
    top.append(h('div', { class: 'welcome' },
      h('div', { class: 'welcome-mark', 'aria-hidden': 'true' }, '#'),
      h('h3', null, 'Welcome to #' + list.name),
      h('p', null, 'This is the start of the #' + list.name + ' room.')));
  }
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;
function fillText(el, text) {
  const s = String(text == null ? '' : text);
  let last = 0;
  for (const m of s.matchAll(URL_RE)) {
    const url = m[0].replace(/[.,;:!?)\]}'"]+$/, '');
    el.append(s.slice(last, m.index));
    el.append(h('a', { href: url, target: '_blank', rel: 'noopener noreferrer nofollow' }, url));
    last = m.index + url.length;
  }
  el.append(s.slice(last));
}

function userButton(name, content, cls) {
  return h('button', {
    class: 'user-btn' + (cls ? ' ' + cls : ''), type: 'button', title: name,
    onclick: (e) => { e.stopPropagation(); openUserMenu(name, e.currentTarget); },
  }, content);
}

function buildMsgEl(item, grouped) {
  const kind = item.kind;
  const cls = ['msg', 'kind-' + kind];
  if (grouped) cls.push('grouped');
  if (item.pending) cls.push('pending');
  if (item.failed) cls.push('failed');
  if (item.deleted) cls.push('deleted');
  const el = h('div', {
    class: cls.join(' '), 'data-test': 'message', 'data-kind': kind, 'data-from': item.from || '',
    'data-id': item.id != null ? item.id : null, 'aria-busy': item.pending ? 'true' : null,
  });
  const d = toDate(item.at);
  const text = h('div', { class: 'msg-text', 'data-test': 'message-text' });
  if (item.deleted) { text.textContent = 'message deleted'; text.classList.add('is-deleted'); }
  else if (item.action) {
    // an emote reads as a sentence about its author: "* alice waves"
    text.classList.add('is-action');
    text.append(h('span', { class: 'action-star', 'aria-hidden': 'true' }, '* '), h('b', {}, item.from || ''), ' ');
    const rest = h('span', {});
    fillText(rest, item.text);
    text.append(rest);
  } else fillText(text, item.text);
  const stamp = () => h('time', { class: 'msg-time', datetime: item.at, title: fmtFull(d) }, fmtStamp(d));

  if (kind === 'system') {
    el.append(h('div', { class: 'msg-gutter' }, h('span', { class: 'sys-icon', 'aria-hidden': 'true' }, item.icon || '→')),
      h('div', { class: 'msg-body' }, text, stamp()));
    return el;
  }
  const gutter = h('div', { class: 'msg-gutter' });
  const body = h('div', { class: 'msg-body' });
  const isWhisper = kind === 'whisper-in' || kind === 'whisper-out';
  if (grouped) {
    gutter.append(h('time', { class: 'hover-time', datetime: item.at, title: fmtFull(d) }, fmtTime(d)));
  } else {
    gutter.append(userButton(item.from, avatar(item.from), 'avatar-btn'));
    const head = h('div', { class: 'msg-head' });
    if (kind === 'whisper-out') {
      head.append(h('span', { class: 'author me' }, 'You'), h('span', { class: 'whisper-arrow' }, 'whispered to'),
        userButton(item.to, item.to, 'author'));
    } else {
      head.append(userButton(item.from, item.from, 'author'));
      const badge = roleBadge(roleOf(item.from));
      if (badge) head.append(badge);
      if (kind === 'whisper-in') head.append(h('span', { class: 'whisper-arrow' }, 'whispered to you'));
    }
    head.append(stamp());
    if (kind === 'whisper-in') {
      head.append(h('button', {
        class: 'btn tiny reply-btn', type: 'button', 'data-test': 'reply', title: 'Reply to ' + item.from,
        onclick: () => { replyTo(item.from); },
      }, '↩ Reply'));
    }
    body.append(head);
  }
  body.append(text);
  if (item.pending) body.append(h('div', { class: 'msg-status' }, 'Sending…'));
  if (item.failed) {
    body.append(h('div', { class: 'msg-status error' }, 'Not sent: ' + item.error + ' ',
      h('button', { class: 'link-btn', type: 'button', 'data-test': 'retry-send', onclick: () => retryFailed(item) }, 'Send again'),
      ' · ',
      h('button', { class: 'link-btn', type: 'button', 'data-test': 'dismiss-failed', onclick: () => dismissFailed(item) }, 'Dismiss')));
  }
  el.append(gutter, body);
  if (!isWhisper && item.id != null && !item.deleted && isMod() && !sameName(item.from, S.me)) {
    el.append(h('div', { class: 'msg-actions' },
      h('button', {
        class: 'icon-btn small danger', type: 'button', 'data-test': 'delete-message',
        title: 'Delete message (Shift+click: no question)', 'aria-label': 'Delete message by ' + item.from,
        onclick: (e) => confirmDelete(item, e.shiftKey),
      }, icon('trash'))));
  }
  return el;
}

// ---------------------------------------------------------------- composer

function focusComposer() {
  if (window.matchMedia('(pointer: coarse)').matches) return;
  const i = $('message-input');
  if (!$('composer').hidden && !$('dialog').open) setTimeout(() => i.focus(), 0);
}

function setWhisper(name, auto) {
  S.whisperTo = name ? { name, auto: !!auto } : null;
  renderComposer();
}

function replyTo(name) {
  closeDrawers();
  setWhisper(name);
  if (S.whispers.unread) { S.whispers.unread = 0; renderUnread(); }
  focusComposer();
}

function renderComposer() {
  const chip = $('whisper-chip');
  const input = $('message-input');
  const w = S.whisperTo;
  chip.hidden = !w;
  $('whisper-target').textContent = w ? w.name : '';
  $('composer').classList.toggle('whispering', !!w);
  const room = currentRoom();
  input.placeholder = w ? 'Whisper to ' + w.name
    : room ? 'Message #' + room.name
    : S.view && S.view.kind === 'whispers' ? 'Click Reply on a whisper, or a name, to choose who to whisper to'
    : 'Message';
  renderCount();
}

function renderCount() {
  const n = [...$('message-input').value].length;
  const c = $('char-count');
  c.textContent = n > MAX_TEXT - 200 ? (MAX_TEXT - n) + ' left' : '';
  c.classList.toggle('over', n > MAX_TEXT);
}

function autosize() {
  const i = $('message-input');
  i.style.height = 'auto';
  i.style.height = Math.min(i.scrollHeight + 2, Math.round(window.innerHeight * 0.4)) + 'px';
}

function composerError(text) {
  const e = $('composer-error');
  e.textContent = text || '';
  e.hidden = !text;
  clearTimeout(composerError.t);
  if (text) composerError.t = setTimeout(() => { e.hidden = true; }, 8000);
}

function submit() {
  const input = $('message-input');
  const text = input.value.replace(/\r/g, '');
  if (!text.trim()) return;
  const n = [...text].length;
  if (n > MAX_TEXT) { composerError('That is ' + n + ' characters; the limit is ' + MAX_TEXT + '.'); return; }
  if (!S.socketOpen || !S.loggedIn) {
    composerError('Not connected: your text is kept. Send it again once the connection is back.');
    return;
  }
  const room = currentRoom();
  if (!S.whisperTo && !room) {
    composerError('Choose who to whisper to: click Reply on a whisper, or click a name.');
    return;
  }
  composerError('');
  input.value = '';
  autosize();
  renderCount();
  S.lastSent = text;
  // "/me waves" is an emote, as on IRC and Discord
  const me = /^\/me\s+(\S[\s\S]*)$/.exec(text);
  const body = me ? me[1] : text;
  const opts = me ? { action: true } : {};
  if (S.whisperTo) sendWhisper(S.whisperTo.name, body, null, opts);
  else sendSay(room, body, null, opts);
}

function pendingItem(kind, text, extra) {
  return Object.assign({ key: 'p' + (++S.seq), id: null, kind, from: S.me, text, at: new Date().toISOString(), pending: true }, extra);
}

async function sendSay(room, text, reuse, opts) {
  const action = !!(reuse ? reuse.action : opts && opts.action);
  const item = reuse || pendingItem('mine', text, { room: room.name, action });
  if (reuse) { item.failed = false; item.pending = true; item.at = new Date().toISOString(); removeItem(room, item); }
  addItem(room, item, false);
  try {
    const r = await send('say', action ? { room: room.name, text, action } : { room: room.name, text });
    confirmItem([room], item, r);
    clearRoomMute(room.name);
  } catch (err) {
    failItem([room], item, err, { room: room.name });
  }
}

async function sendWhisper(to, text, reuse, opts) {
  const action = !!(reuse ? reuse.action : opts && opts.action);
  const lists = [S.whispers];
  const room = currentRoom();
  if (room && !(reuse && !room.items.includes(reuse))) lists.push(room);
  const item = reuse || pendingItem('whisper-out', text, { to, action });
  if (reuse) { item.failed = false; item.pending = true; item.at = new Date().toISOString(); lists.forEach((l) => removeItem(l, item)); }
  lists.forEach((l) => addItem(l, item, false));
  try {
    const r = await send('whisper', action ? { to, text, action } : { to, text });
    confirmItem(lists, item, r);
  } catch (err) {
    failItem(lists, item, err, { user: to });
  }
}

function confirmItem(lists, item, r) {
  for (const l of lists) removeItem(l, item);
  item.pending = false;
  item.id = r.id;
  item.at = r.at || item.at;
  for (const l of lists) addItem(l, item, false);
}

function failItem(lists, item, err, ctx) {
  const msg = errText(err, ctx);
  if (err.code === 'muted') {
    // The error does not say whether the mute is global or for this room.
    const known = ctx.room && S.mutes.rooms.has(ctx.room) && !S.mutes.global;
    setMute(known ? ctx.room : null, err.until, err.reason, true, !known);
  }
  const input = $('message-input');
  if (err.code !== 'not_connected' && !input.value.trim()) {
    // Put the text back where it was typed.
    for (const l of lists) removeItem(l, item);
    input.value = item.text;
    autosize();
    renderCount();
    composerError(msg);
    return;
  }
  for (const l of lists) removeItem(l, item);
  item.pending = false;
  item.failed = true;
  item.lostOk = err.code === 'not_connected';
  item.error = err.code === 'not_connected' ? 'the connection dropped before the server answered.' : msg;
  for (const l of lists) addItem(l, item, false);
  composerError(msg);
}

function listsOf(item) {
  const out = [];
  if (S.whispers.items.includes(item)) out.push(S.whispers);
  for (const r of S.rooms.values()) if (r.items.includes(item)) out.push(r);
  return out;
}

function retryFailed(item) {
  if (!S.socketOpen || !S.loggedIn) { composerError('Not connected yet: try again once the connection is back.'); return; }
  if (item.kind === 'whisper-out') sendWhisper(item.to, item.text, item);
  else { const room = S.rooms.get(item.room); if (room) sendSay(room, item.text, item); }
}

function dismissFailed(item) {
  for (const l of listsOf(item)) removeItem(l, item);
}
