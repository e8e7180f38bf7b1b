// modchat web client: The sidebar, the views (a room, whispers, a panel) and history paging.
'use strict';

// ---------------------------------------------------------------- rooms and sidebar

function sortedRooms() { return [...S.rooms.keys()].sort(byName); }

async function refreshRoomInfo() {
  try {
    const r = await send('rooms');
    S.roomInfo.clear();
    for (const x of r.rooms || []) S.roomInfo.set(x.name, x);
    for (const [n, room] of S.rooms) { const x = S.roomInfo.get(n); if (x) room.capacity = x.capacity; }
    renderHead();
    return r.rooms || [];
  } catch (e) { return null; }
}

function renderSidebar() {
  const ul = $('room-list');
  ul.replaceChildren();
  for (const name of sortedRooms()) {
    const room = S.rooms.get(name);
    const active = S.view && S.view.kind === 'room' && S.view.room === name;
    const badge = h('span', { class: 'badge', 'data-test': 'unread' }, room.unread > 99 ? '99+' : String(room.unread));
    badge.hidden = !room.unread;
    const btn = h('button', {
      class: 'channel' + (active ? ' active' : '') + (room.unread ? ' has-unread' : ''),
      type: 'button', 'data-test': 'room', 'data-room': name,
      'aria-current': active ? 'page' : null,
      onclick: () => openRoom(name),
    }, h('span', { class: 'channel-icon', 'aria-hidden': 'true' }, '#'), h('span', { class: 'channel-name' }, name), badge);
    ul.append(h('li', null, btn));
  }
  if (!S.rooms.size) {
    ul.append(h('li', { class: 'channel-empty' }, h('button', { class: 'link-btn', type: 'button', onclick: openRoomsDialog }, 'Join or create a room')));
  }
  for (const [id, kind] of [['whispers-entry', 'whispers'], ['modlog-entry', 'modlog'], ['filter-entry', 'filter']]) {
    const on = !!S.view && S.view.kind === kind;
    $(id).classList.toggle('active', on);
    if (on) $(id).setAttribute('aria-current', 'page'); else $(id).removeAttribute('aria-current');
  }
  renderUnread();
}

function renderUnread() {
  for (const btn of $('room-list').querySelectorAll('[data-test="room"]')) {
    const room = S.rooms.get(btn.dataset.room);
    if (!room) continue;
    const b = btn.querySelector('[data-test="unread"]');
    b.textContent = room.unread > 99 ? '99+' : String(room.unread);
    b.hidden = !room.unread;
    btn.classList.toggle('has-unread', !!room.unread);
  }
  const w = $('whispers-unread');
  w.textContent = String(S.whispers.unread);
  w.hidden = !S.whispers.unread;
  $('whispers-entry').classList.toggle('has-unread', !!S.whispers.unread);
  let total = S.whispers.unread;
  for (const r of S.rooms.values()) total += r.unread;
  document.title = (total ? '(' + total + ') ' : '') + 'modchat';
}

function renderConn() {
  const st = $('conn-status');
  const s = S.connState;
  st.dataset.state = s;
  let text = s === 'connected' ? 'Connected' : s === 'reconnecting' ? 'Reconnecting…' : s === 'offline' ? 'Offline' : 'Connecting…';
  if (s === 'connected' && S.latency != null) text += ' · ' + S.latency + ' ms';
  st.textContent = text;
  st.title = s === 'connected' && S.latency != null ? 'Round trip to the server: ' + S.latency + ' ms' : '';
  const lc = $('login-conn');
  lc.dataset.state = s;
  const secs = Math.max(0, Math.ceil((S.retryAt - Date.now()) / 1000));
  lc.textContent = s === 'connected' ? 'Connected to ' + serverHost()
    : S.retryTimer ? 'Cannot reach ' + serverHost() + '. Retrying' + (secs ? ' in ' + secs + ' s…' : '…')
    : s === 'offline' ? 'Not connected.' : 'Connecting to ' + serverHost() + '…';
  const banner = $('conn-banner');
  const show = (s === 'reconnecting' || s === 'offline') && !$('chat-view').hidden;
  banner.hidden = !show;
  banner.dataset.state = s;
  if (show) {
    $('conn-banner-text').textContent = s === 'offline'
      ? (S.holdOff && S.holdOff.text ? S.holdOff.text : 'You are offline.')
      : S.retryTimer ? 'Connection lost. Reconnecting' + (secs ? ' in ' + secs + ' s' : '') + '… Your unsent text is kept.'
      : 'Connection lost. Reconnecting… Your unsent text is kept.';
    $('conn-retry').textContent = s === 'offline' ? 'Reconnect' : 'Retry now';
  }
  document.documentElement.style.setProperty('--banner-h', show ? banner.offsetHeight + 'px' : '0px');
}
setInterval(() => { if (S.retryTimer) renderConn(); }, 1000);

// ---------------------------------------------------------------- views

function openRoom(name) {
  saveScroll();
  closeMenu();
  if (!name || !S.rooms.has(name)) {
    S.view = null;
  } else {
    S.view = { kind: 'room', room: name };
    try { sessionStorage.setItem(ROOM_KEY, name); } catch (e) { /* ignore */ }
    const room = S.rooms.get(name);
    room.unread = 0;
    if (!room.loaded) loadInitial(room);
    if (!room.membersLoaded || room.membersStale) loadMembers(room);
  }
  // Opening a room means talking to the room: whisper mode ends.
  if (S.whisperTo) setWhisper(null);
  closeDrawers();
  renderSidebar();
  renderView();
  focusComposer();
}

function openWhispers() {
  saveScroll();
  closeMenu();
  S.view = { kind: 'whispers' };
  S.whispers.unread = 0;
  document.querySelectorAll('.notice.kind-whisper').forEach((n) => n.remove());
  if (!S.whisperTo) {
    const last = [...S.whispers.items].reverse().find((x) => x.kind === 'whisper-in' || x.kind === 'whisper-out');
    if (last) setWhisper(last.kind === 'whisper-in' ? last.from : last.to, true);
  }
  closeDrawers();
  renderSidebar();
  renderView();
  focusComposer();
}

function openPanelView(kind) {
  if (!isMod()) return;
  saveScroll();
  closeMenu();
  S.view = { kind };
  closeDrawers();
  renderSidebar();
  renderView();
  if (kind === 'modlog') loadModlog(true); else loadFilter();
}

function renderHead() {
  const v = S.view;
  const title = $('view-title');
  const sub = $('view-sub');
  title.replaceChildren();
  const room = currentRoom();
  if (room) {
    title.append(h('span', { class: 'title-hash', 'aria-hidden': 'true' }, '#'), room.name);
    const ms = [...room.members.values()];
    const online = ms.filter((m) => m.online).length;
    const info = S.roomInfo.get(room.name);
    sub.textContent = room.membersLoaded
      ? ms.length + (ms.length === 1 ? ' member' : ' members') + ' · ' + online + ' online' + (room.capacity ? ' · capacity ' + room.capacity : '')
      : info ? info.members + ' members · ' + info.online + ' online' : '';
  } else if (v && v.kind === 'whispers') {
    title.append(h('span', { class: 'title-hash', 'aria-hidden': 'true' }, '@'), 'Whispers');
    sub.textContent = 'Private messages to and from you';
  } else if (v && v.kind === 'modlog') {
    title.append(h('span', { class: 'title-hash', 'aria-hidden': 'true' }, '§'), 'Moderation log');
    sub.textContent = 'Who did what, newest first';
  } else if (v && v.kind === 'filter') {
    title.append(h('span', { class: 'title-hash', 'aria-hidden': 'true' }, '✱'), 'Word filter');
    sub.textContent = isAdmin() ? 'Texts with these words are not delivered' : 'Texts with these words are not delivered (admins change the list)';
  } else {
    title.textContent = 'modchat';
    sub.textContent = S.rooms.size ? 'Pick a room' : 'You are not in any room yet';
  }
}

function renderView() {
  const v = S.view;
  const room = currentRoom();
  const panelView = !!v && (v.kind === 'modlog' || v.kind === 'filter');
  renderHead();
  $('leave-room').hidden = !room;
  $('toggle-members').hidden = !room;
  document.body.classList.toggle('no-members', !room);
  $('timeline').hidden = panelView;
  $('panel').hidden = !panelView;
  $('composer').hidden = panelView || !v;
  if (panelView) {
    $('jump-bottom').hidden = true;
    renderPanel();
  } else {
    renderTimeline(currentList(), 'restore');
  }
  renderMembers();
  renderComposer();
  renderMute();
}

// ---------------------------------------------------------------- history

function msgItem(m, room) {
  return {
    key: 'm' + m.id, id: m.id, room,
    kind: sameName(m.from, S.me) ? 'mine' : 'message',
    from: m.from, text: m.text, at: m.at, deleted: !!m.deleted, action: !!m.action,
  };
}

// Merge a page of history into a room's list, by id, without duplicates.
function mergeHistory(room, messages) {
  let added = 0;
  for (const m of messages) {
    if (room.ids.has(m.id)) {
      const it = room.items.find((x) => x.id === m.id);
      if (it && m.deleted && !it.deleted) { it.deleted = true; it.text = null; }
      continue;
    }
    const item = msgItem(m, room.name);
    room.ids.add(m.id);
    room.items.splice(insertPos(room, item), 0, item);
    added++;
  }
  return added;
}

async function loadInitial(room) {
  if (room.loading) return;
  room.loading = true;
  renderTop();
  try {
    const r = await send('history', { room: room.name, limit: PAGE });
    mergeHistory(room, r.messages || []);
    room.loaded = true;
    room.hasMore = (r.messages || []).length >= PAGE;
  } catch (err) {
    if (err.code === 'not_in_room' || err.code === 'no_such_room') dropRoom(room.name);
    else if (err.code !== 'not_connected') toast(errText(err, { room: room.name }), { kind: 'error' });
  } finally {
    room.loading = false;
  }
  if (currentList() === room) renderTimeline(room, 'bottom');
}

async function loadOlder(list) {
  if (!list || list === S.whispers || list.loading || !list.hasMore || !list.loaded) return;
  const oldest = list.items.find((x) => x.id != null && x.kind !== 'whisper-in' && x.kind !== 'whisper-out');
  if (!oldest) { list.hasMore = false; renderTop(); return; }
  list.loading = true;
  renderTop();
  try {
    const r = await send('history', { room: list.name, before: oldest.id, limit: PAGE });
    const msgs = r.messages || [];
    list.hasMore = msgs.length >= PAGE;
    mergeHistory(list, msgs);
  } catch (err) {
    if (err.code !== 'not_connected') toast(errText(err, { room: list.name }), { kind: 'error' });
  } finally {
    list.loading = false;
  }
  if (currentList() === list) renderTimeline(list, 'prepend');
}

// After a reconnect: fetch recent history until it meets what we have.
async function catchUp(room) {
  const known = room.items.filter((x) => x.id != null && (x.kind === 'message' || x.kind === 'mine'));
  const last = known.length ? known[known.length - 1].id : 0;
  let before = null;
  let got = [];
  try {
    for (let i = 0; i < 10; i++) {
      const r = await send('history', Object.assign({ room: room.name, limit: 100 }, before ? { before } : {}));
      const msgs = r.messages || [];
      got = msgs.concat(got);
      if (msgs.length < 100 || !last || msgs[0].id <= last) break;
      before = msgs[0].id;
    }
  } catch (err) {
    if (err.code === 'not_in_room' || err.code === 'no_such_room') dropRoom(room.name);
    return;
  }
  const fresh = got.filter((m) => m.id > last && !room.ids.has(m.id));
  // A text whose ok was lost with the connection may have arrived after all.
  for (const f of room.items.filter((x) => x.failed && x.lostOk)) {
    if (fresh.some((m) => sameName(m.from, S.me) && m.text === f.text)) {
      room.items.splice(room.items.indexOf(f), 1);
    }
  }
  mergeHistory(room, got);
  const viewing = currentList() === room && !document.hidden;
  if (!viewing) room.unread += fresh.filter((m) => !sameName(m.from, S.me)).length;
  renderUnread();
  if (currentList() === room) renderTimeline(room, 'keep');
}
