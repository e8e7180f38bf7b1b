// modchat web client: The server's events.
import { $, RANK, sameName, avatar, icon, roleWord, fmtWhen, reasonWords } from './util.js';
import { newList, S, currentRoom, roleOf, findMember } from './state.js';
import { forgetSession, setRole } from './session.js';
import { sortedRooms, renderSidebar, renderUnread } from './sidebar.js';
import { openRoom, renderHead } from './views.js';
import { msgItem } from './history.js';
import { shown, addItem, refreshItem, renderTimeline } from './timeline.js';
import { setWhisper, replyTo } from './composer.js';
import { setMute, renderMute } from './mute.js';
import { toast } from './notices.js';
import { loadMembers, renderMembers } from './members.js';

function systemLine(roomName, text, icon) {
  const room = S.rooms.get(roomName);
  if (!room || !room.loaded) return;
  addItem(room, { key: 's' + (++S.seq), id: null, kind: 'system', from: '', text, icon, at: new Date().toISOString() }, true);
}

export function dropRoom(name) {
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

export function forMember(name, fn) {
  let touched = false;
  for (const room of S.rooms.values()) {
    const m = findMember(room, name);
    if (m) { fn(m, room); touched = true; }
  }
  if (touched) { renderMembers(); renderHead(); }
}

// ---------------------------------------------------------------- events

export const EVENTS = {
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
