// modchat web client: Mutes, toasts, the server's events and the member list.
'use strict';

// ---------------------------------------------------------------- mute state

function setMute(room, until, reason, quiet, guess) {
  const m = { until: until || null, reason: reason || null, guess: !!guess };
  if (room) S.mutes.rooms.set(room, m); else S.mutes.global = m;
  renderMute();
  if (!quiet) {
    toast('You are muted' + (room ? ' in #' + room : '') + ' ' + untilWords(until) + reasonWords(reason) + '.', { kind: 'warn', title: 'Muted' });
  }
}

// A text that went through proves there is no mute in the way.
function clearRoomMute(room) {
  if (!S.mutes.global && !S.mutes.rooms.has(room)) return;
  S.mutes.global = null;
  S.mutes.rooms.delete(room);
  renderMute();
}

function activeMute() {
  const now = Date.now();
  const live = (m) => m && (!m.until || toDate(m.until).getTime() > now);
  if (S.mutes.global && !live(S.mutes.global)) S.mutes.global = null;
  for (const [k, m] of S.mutes.rooms) if (!live(m)) S.mutes.rooms.delete(k);
  if (S.mutes.global) return Object.assign({ room: null }, S.mutes.global);
  const room = currentRoom();
  if (room && S.mutes.rooms.has(room.name) && !S.whisperTo) return Object.assign({ room: room.name }, S.mutes.rooms.get(room.name));
  return null;
}

function renderMute() {
  const m = S.loggedIn || S.me ? activeMute() : null;
  const b = $('mute-banner');
  b.hidden = !m;
  b.replaceChildren();
  if (m) {
    b.append(h('span', { class: 'mute-icon', 'aria-hidden': 'true' }, icon('muted')),
      h('span', null, 'You are muted' + (m.room ? ' in #' + m.room : '') + ' ' + untilWords(m.until) + reasonWords(m.reason) + '. You can still read.'));
  }
  clearTimeout(S.muteTimer);
  const ends = [S.mutes.global, ...S.mutes.rooms.values()].filter((x) => x && x.until).map((x) => toDate(x.until).getTime());
  if (ends.length) {
    const wait = Math.min(...ends) - Date.now() + 250;
    S.muteTimer = setTimeout(renderMute, Math.max(250, Math.min(wait, 2 ** 31 - 1)));
  }
}

// ---------------------------------------------------------------- notices

function toast(text, opts) {
  const o = opts || {};
  const box = $('notices');
  const el = h('div', { class: 'notice kind-' + (o.kind || 'info'), 'data-test': 'notice', role: o.kind === 'error' ? 'alert' : 'status' });
  const close = () => { el.classList.add('leaving'); setTimeout(() => el.remove(), 180); };
  const body = h('div', { class: 'notice-body' },
    o.title ? h('div', { class: 'notice-title' }, o.title) : null,
    h('div', { class: 'notice-text' }, text));
  const actions = h('div', { class: 'notice-actions' });
  for (const a of o.actions || []) {
    actions.append(h('button', { class: 'btn tiny', type: 'button', 'data-test': a.test || null, onclick: () => { a.run(); close(); } }, a.label));
  }
  if (o.icon) el.append(h('span', { class: 'notice-icon', 'aria-hidden': 'true' }, typeof o.icon === 'string' ? o.icon : o.icon()));
  el.append(body, actions,
    h('button', { class: 'chip-x notice-close', type: 'button', 'aria-label': 'Close', 'data-test': 'notice-close', onclick: close }, '×'));
  box.append(el);
  while (box.children.length > 6) box.firstElementChild.remove();
  if (!o.sticky) setTimeout(close, o.timeout || 7000);
  return el;
}

function systemLine(roomName, text, icon) {
  const room = S.rooms.get(roomName);
  if (!room || !room.loaded) return;
  addItem(room, { key: 's' + (++S.seq), id: null, kind: 'system', from: '', text, icon, at: new Date().toISOString() }, true);
}

function dropRoom(name) {
  if (!S.rooms.delete(name)) return;
  S.mutes.rooms.delete(name);
  if (S.view && S.view.kind === 'room' && S.view.room === name) openRoom(sortedRooms()[0] || null);
  else renderSidebar();
}

let membersTimer = null;
function membersSoon(roomName) {
  const room = S.rooms.get(roomName);
  if (!room) return;
  if (currentRoom() !== room) { room.membersStale = true; return; }
  clearTimeout(membersTimer);
  membersTimer = setTimeout(() => loadMembers(room), 400);
}

function forMember(name, fn) {
  let touched = false;
  for (const room of S.rooms.values()) {
    const m = findMember(room, name);
    if (m) { fn(m, room); touched = true; }
  }
  if (touched) { renderMembers(); renderHead(); }
}

// ---------------------------------------------------------------- events

const EVENTS = {
  message(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    if (!room.loaded) { if (!sameName(e.from, S.me)) { room.unread++; renderUnread(); } return; }
    const viewing = shown === room;
    addItem(room, msgItem(e, room.name), true);
    if (!sameName(e.from, S.me) && (!viewing || document.hidden)) { room.unread++; renderUnread(); }
  },
  whisper(e) {
    const out = sameName(e.from, S.me);
    const item = { key: 'w' + e.id, id: e.id, kind: out ? 'whisper-out' : 'whisper-in', from: e.from, to: e.to, text: e.text, at: e.at, action: !!e.action };
    addItem(S.whispers, item, true);
    const room = currentRoom();
    if (room && room.loaded) addItem(room, item, true);
    if (out) return;
    const inWhispers = S.view && S.view.kind === 'whispers';
    if (!inWhispers || document.hidden) { S.whispers.unread++; renderUnread(); }
    if (!inWhispers) {
      toast(e.text, {
        kind: 'whisper', title: e.from + ' whispered to you', icon: '@', timeout: 12000,
        actions: [{ label: 'Reply', test: 'reply', run: () => replyTo(e.from) }],
      });
    }
  },
  joined(e) {
    if (sameName(e.user, S.me)) {
      // Joined from another window of mine.
      if (!S.rooms.has(e.room)) { S.rooms.set(e.room, newList(e.room)); renderSidebar(); }
      return;
    }
    const room = S.rooms.get(e.room);
    if (!room) return;
    if (!findMember(room, e.user)) room.members.set(e.user, { name: e.user, role: roleOf(e.user) || 'user', online: true });
    systemLine(e.room, e.user + ' joined the room.', '→');
    if (room === currentRoom()) { renderMembers(); renderHead(); }
    membersSoon(e.room);
  },
  left(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    if (sameName(e.user, S.me)) {
      if (e.reason !== 'kicked') toast('You left #' + e.room + ' in another window.', { kind: 'info' });
      dropRoom(e.room);
      return;
    }
    const m = findMember(room, e.user);
    if (m) {
      // A kick from the server keeps the membership: the count does not drop.
      if (e.reason === 'kicked' && typeof e.members === 'number' && e.members === room.members.size) m.online = false;
      else room.members.delete(m.name);
    }
    systemLine(e.room, e.reason === 'kicked'
      ? e.user + ' was kicked' + (e.by ? ' by ' + e.by : '') + '.'
      : e.user + ' left the room.', e.reason === 'kicked' ? '×' : '←');
    if (room === currentRoom()) { renderMembers(); renderHead(); }
    membersSoon(e.room);
  },
  online(e) { presence(e, true); },
  offline(e) { presence(e, false); },
  kicked(e) {
    const who = e.by ? ' by ' + e.by : '';
    if (e.room) {
      toast('You were removed from #' + e.room + who + reasonWords(e.reason) + '. You may join it again.', { kind: 'warn', title: 'Kicked from #' + e.room, sticky: true });
      dropRoom(e.room);
      return;
    }
    const text = 'You were kicked from the server' + who + reasonWords(e.reason) + '.';
    S.holdOff = { text: text + ' Press Reconnect to come back.' };
    toast(text, { kind: 'error', title: 'Kicked', sticky: true });
  },
  muted(e) { setMute(e.room || null, e.until, e.reason, false); },
  unmuted(e) {
    if (e.room) S.mutes.rooms.delete(e.room); else S.mutes.global = null;
    if (S.mutes.global && S.mutes.global.guess) S.mutes.global = null;
    renderMute();
    toast((e.by ? e.by + ' unmuted you' : 'Your mute has ended') + (e.room ? ' in #' + e.room : '') + '. You can talk again.', { kind: 'ok', title: 'Unmuted' });
  },
  banned(e) {
    const text = 'You were banned' + (e.by ? ' by ' + e.by : '') + ' ' + (e.until ? 'until ' + fmtWhen(e.until) : 'until further notice') + reasonWords(e.reason) + '.';
    S.holdOff = { banned: true, text };
    forgetSession();
    toast(text, { kind: 'error', title: 'Banned', sticky: true });
  },
  role_changed(e) {
    forMember(e.user, (m) => { m.role = e.role; });
    if (sameName(e.user, S.me)) {
      const up = RANK[e.role] > RANK[S.role];
      setRole(e.role);
      toast((e.by ? e.by : 'An admin') + ' made you ' + roleWord(e.role) + '.', { kind: up ? 'ok' : 'warn', title: 'Role changed' });
    } else if (shown) {
      renderTimeline(shown, 'keep');
    }
  },
  message_deleted(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    const item = room.items.find((x) => x.id === e.id);
    if (!item) return;
    item.deleted = true;
    item.text = null;
    if (shown === room) refreshItem(item);
  },
  announcement(e) {
    toast(e.text, { kind: 'announce', title: 'Announcement from ' + e.from, icon: () => icon('megaphone'), sticky: true });
  },
  renamed(e) {
    forMember(e.old, (m, room) => {
      room.members.delete(m.name);
      m.name = e.new;
      room.members.set(e.new, m);
      systemLine(room.name, e.old + ' is now known as ' + e.new + '.', '✎');
    });
    if (sameName(e.old, S.me)) {
      S.me = e.new;
      $('me-name').textContent = S.me;
      $('me-avatar').replaceWith(Object.assign(avatar(S.me), { id: 'me-avatar' }));
    }
    if (S.whisperTo && sameName(S.whisperTo.name, e.old)) setWhisper(e.new, S.whisperTo.auto);
  },
  shutdown(e) {
    const why = e.reason && !/^server shutting down$/i.test(e.reason) ? ' (' + e.reason + ')' : '';
    toast('The server is stopping' + why + '. This page reconnects by itself when it is back.', { kind: 'warn', title: 'Server stopping', timeout: 15000 });
  },
};

function presence(e, online) {
  const room = S.rooms.get(e.room);
  if (!room) return;
  const m = findMember(room, e.user);
  if (m) m.online = online;
  else if (online) { room.members.set(e.user, { name: e.user, role: 'user', online: true }); membersSoon(e.room); }
  if (room === currentRoom()) { renderMembers(); renderHead(); }
}

// ---------------------------------------------------------------- members

async function loadMembers(room) {
  try {
    const r = await send('members', { room: room.name });
    room.members = new Map((r.members || []).map((m) => [m.name, { name: m.name, role: m.role, online: !!m.online }]));
    room.membersLoaded = true;
    room.membersStale = false;
    if (room === currentRoom()) { renderMembers(); renderHead(); }
  } catch (err) {
    if (err.code === 'no_such_room') dropRoom(room.name);
  }
}

function renderMembers() {
  const list = $('member-list');
  list.replaceChildren();
  const room = currentRoom();
  if (!room) { $('members-title').textContent = 'Members'; return; }
  const ms = [...room.members.values()].sort((a, b) => (b.online - a.online) || (RANK[b.role] - RANK[a.role]) || byName(a.name, b.name));
  const on = ms.filter((m) => m.online);
  const off = ms.filter((m) => !m.online);
  $('members-title').textContent = 'Members — ' + ms.length;
  const section = (label, arr) => {
    if (!arr.length) return;
    list.append(h('div', { class: 'member-section' }, label + ' — ' + arr.length));
    for (const m of arr) {
      const me = sameName(m.name, S.me);
      list.append(h('button', {
        class: 'member' + (m.online ? '' : ' offline'), type: 'button',
        'data-test': 'member', 'data-name': m.name, 'data-online': String(!!m.online), 'data-role': m.role,
        title: m.name + (m.online ? ' (online)' : ' (offline)'),
        onclick: (e) => openUserMenu(m.name, e.currentTarget),
      },
      h('span', { class: 'avatar-wrap' }, avatar(m.name), h('span', { class: 'presence ' + (m.online ? 'on' : 'off'), 'aria-hidden': 'true' })),
      h('span', { class: 'member-name' }, m.name, me ? h('span', { class: 'you' }, ' (you)') : null),
      roleBadge(m.role)));
    }
  };
  section('Online', on);
  section('Offline', off);
  if (!ms.length) list.append(h('div', { class: 'member-section' }, room.membersLoaded ? 'Nobody here' : 'Loading…'));
}
