// modchat web client: The server's events.
import { RANK, sameName, avatar, icon, fmtWhen, untilWords, reasonWords } from './util.js';
import { newList, S, currentRoom, currentList, findMember, rememberRoles } from './state.js';
import { forgetSession, setRole } from './session.js';
import { sortedRooms, renderSidebar } from './sidebar.js';
import { openRoom, openRemoved, renderHead, renderView } from './views.js';
import { msgItem } from './history.js';
import { shown, addItem, refreshItem, renderTimeline } from './timeline.js';
import { setMute, renderMute } from './mute.js';
import { toast } from './notices.js';
import { loadMembers, renderMembers } from './members.js';
import { onWhisper, renameDm } from './dm.js';
import { countArrival, applyRead } from './unread.js';
import { mentionsMe, notify } from './mentions.js';
import { refreshBans } from './roomsettings.js';

export function systemLine(roomName, text, icon, test) {
  const room = S.rooms.get(roomName);
  if (!room || !room.loaded) return;
  addItem(room, { key: 's' + (++S.seq), id: null, kind: 'system', from: '', text, icon, test, at: new Date().toISOString() }, true);
}

// The room is gone from my list; `stay`: do not open another room (the
// caller shows why instead).
export function dropRoom(name, stay) {
  if (!S.rooms.delete(name)) return;
  S.mutes.rooms.delete(name);
  if (!stay && S.view && S.view.kind === 'room' && S.view.room === name) openRoom(sortedRooms()[0] || null);
  else renderSidebar();
}

// Kicked or banned from a room, or the room was deleted: when I was looking
// at it, the main view says so (with Rejoin after a kick); else a toast.
function removedFrom(room, title, text, canRejoin) {
  const viewing = !S.view || (S.view.kind === 'room' && S.view.room === room) || (S.view.kind === 'removed' && S.view.room === room);
  dropRoom(room, viewing);
  if (viewing) openRemoved(room, title, text, canRejoin);
  else toast(text, { kind: 'warn', title });
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

const byWhom = (by) => (by ? ' by ' + by : '');

// ---------------------------------------------------------------- events

export const EVENTS = {
  message(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    const item = msgItem(e, room.name);
    if (room.loaded) addItem(room, item, true);
    const counted = countArrival(room, item);
    if (counted && mentionsMe(e.text)) {
      notify(e.from + ' mentioned you in #' + room.name, e.text, 'room:' + room.name, () => openRoom(room.name));
    }
  },
  whisper(e) { onWhisper(e); },
  joined(e) {
    if (sameName(e.user, S.me)) {
      // Joined from another window of mine.
      if (!S.rooms.has(e.room)) { S.rooms.set(e.room, newList(e.room)); renderSidebar(); }
      return;
    }
    const room = S.rooms.get(e.room);
    if (!room) return;
    const m = findMember(room, e.user);
    if (m) { m.online = true; m.room_role = e.room_role || m.room_role; }
    else room.members.set(e.user, { name: e.user, role: S.userRoles.get(e.user.toLowerCase()) || 'user', room_role: e.room_role || 'member', online: true });
    systemLine(e.room, e.user + ' joined the room.', '→');
    if (room === currentRoom()) { renderMembers(); renderHead(); }
    membersSoon(e.room);
  },
  left(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    if (sameName(e.user, S.me)) {
      // kicks and bans are told by `kicked` and `banned`
      if (e.reason === 'kicked' || e.reason === 'banned') return;
      toast('You left #' + e.room + ' in another window.', { kind: 'info' });
      dropRoom(e.room);
      return;
    }
    const m = findMember(room, e.user);
    if (m) {
      // A kick from the server keeps the membership: the count does not drop.
      if (e.reason === 'kicked' && typeof e.members === 'number' && e.members === room.members.size) m.online = false;
      else room.members.delete(m.name);
    }
    if (e.reason === 'banned') systemLine(e.room, e.user + ' was banned from the room' + byWhom(e.by) + '.', '⊘', 'ban-line');
    else if (e.reason === 'kicked') systemLine(e.room, e.user + ' was kicked' + byWhom(e.by) + '.', '×', 'kick-line');
    else systemLine(e.room, e.user + ' left the room.', '←');
    if (room === currentRoom()) { renderMembers(); renderHead(); }
    membersSoon(e.room);
    if (e.reason === 'banned') refreshBans(e.room);
  },
  online(e) { presence(e, true); },
  offline(e) { presence(e, false); },
  kicked(e) {
    if (e.room) {
      removedFrom(e.room, 'You were kicked from #' + e.room,
        'You were kicked from #' + e.room + byWhom(e.by) + (e.reason ? ': ' + e.reason : '') + '. You may join it again.', true);
      return;
    }
    const text = e.by == null && e.reason === 'password changed'
      ? 'Your password was changed, so this session was closed. Log in with the new password.'
      : 'You were kicked from the server' + byWhom(e.by) + (e.reason ? ': ' + e.reason : '') + '. Log in again to come back.';
    // the connection closes next; then the login view says why
    S.holdOff = { banned: true, text };
    forgetSession();
  },
  muted(e) { setMute(e.room || null, e.until, e.reason, e.by); },
  unmuted(e) {
    if (e.room) S.mutes.rooms.delete(e.room); else S.mutes.global = null;
    renderMute();
    toast((e.by ? e.by + ' unmuted you' : 'Your mute has ended') + (e.room ? ' in #' + e.room : '') + '. You can talk again.', { kind: 'ok', title: 'Unmuted' });
  },
  banned(e) {
    if (e.room) {
      removedFrom(e.room, 'You were banned from #' + e.room,
        'You were banned from #' + e.room + byWhom(e.by) + ' ' + untilWords(e.until) + (e.reason ? ': ' + e.reason : '') + '.', false);
      return;
    }
    const text = 'You were banned' + byWhom(e.by) + ' ' + (e.until ? 'until ' + fmtWhen(e.until) : 'until further notice') + reasonWords(e.reason) + '.';
    S.holdOff = { banned: true, text };
    forgetSession();
  },
  role_changed(e) {
    rememberRoles([{ name: e.user, role: e.role }]);
    forMember(e.user, (m) => { m.role = e.role; });
    if (sameName(e.user, S.me)) {
      const up = RANK[e.role] > RANK[S.role];
      setRole(e.role);
      const who = e.by ? ' (by ' + e.by + ')' : ' (by the console)';
      toast('Your role is now ' + (e.role === 'user' ? 'user' : e.role) + who + '.', { kind: up ? 'ok' : 'warn', title: 'Role changed' });
    }
    if (shown) renderTimeline(shown, 'keep');
  },
  room_role_changed(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    const m = findMember(room, e.user);
    if (m) m.room_role = e.room_role;
    const me = sameName(e.user, S.me);
    const who = me ? 'you' : e.user;
    systemLine(e.room, e.room_role === 'op'
      ? (e.by || 'Someone') + ' made ' + who + ' an op.'
      : (e.by || 'Someone') + ' made ' + who + ' a regular member.', '★', 'role-line');
    if (me) toast(e.room_role === 'op' ? 'You are now an op of #' + e.room + ': you may set its topic and remove people from it.' : 'You are no longer an op of #' + e.room + '.', { kind: 'info', title: '#' + e.room });
    if (room === currentRoom()) { renderMembers(); renderView(); }
  },
  topic_changed(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    room.topic = e.topic || '';
    room.topicBy = e.by || null;
    room.topicAt = new Date().toISOString();
    systemLine(e.room, e.topic ? (e.by || 'Someone') + ' set the topic: ' + e.topic : (e.by || 'Someone') + ' cleared the topic.', '✎', 'topic-line');
    if (room === currentRoom()) renderHead();
  },
  room_deleted(e) {
    if (!S.rooms.has(e.room)) return;
    removedFrom(e.room, '#' + e.room + ' was deleted', '#' + e.room + ' was deleted' + byWhom(e.by) + '. Its messages are gone from the room list.', false);
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
  read(e) { applyRead(e); },
  announcement(e) {
    toast(e.text, { kind: 'announce', title: 'Announcement from ' + e.from, icon: () => icon('megaphone'), timeout: 12000 });
  },
  renamed(e) {
    forMember(e.old, (m, room) => {
      room.members.delete(m.name);
      m.name = e.new;
      room.members.set(e.new, m);
      systemLine(room.name, e.old + ' is now known as ' + e.new + '.', '✎');
    });
    const role = S.userRoles.get(e.old.toLowerCase());
    if (role) S.userRoles.set(e.new.toLowerCase(), role);
    renameDm(e.old, e.new);
    if (sameName(e.old, S.me)) {
      S.me = e.new;
      document.getElementById('me-name').textContent = S.me;
      document.getElementById('me-avatar').replaceWith(Object.assign(avatar(S.me), { id: 'me-avatar' }));
    }
    renderSidebar();
    if (currentList()) renderHead();
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
  else if (online) { room.members.set(e.user, { name: e.user, role: 'user', room_role: 'member', online: true }); membersSoon(e.room); }
  if (room === currentRoom()) { renderMembers(); renderHead(); }
}
