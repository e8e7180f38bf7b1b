// modchat web client: Browsing, joining, creating and leaving rooms.
import { h, untilWords } from './util.js';
import { newList, S, currentRoom } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { refreshRoomInfo } from './sidebar.js';
import { openRoom } from './views.js';
import { toast } from './notices.js';
import { dropRoom } from './events.js';
import { setMembers } from './members.js';
import { openDialog, closeDialog, dialogError, showDialogError } from './dialog.js';

function cleanRoomName(s) { return String(s || '').trim().replace(/^#/, '').toLowerCase(); }

export function openRoomsDialog() {
  if (!S.loggedIn) return;
  const err = dialogError();
  const input = h('input', { type: 'text', 'data-test': 'room-name-input', placeholder: 'Room name, e.g. lobby', maxlength: '64', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Room name' });
  const list = h('div', { class: 'room-browser', 'data-test': 'dialog-rooms' }, h('div', { class: 'muted-line' }, 'Loading rooms…'));
  let rooms = null;
  const draw = () => {
    if (!rooms) return;
    const q = cleanRoomName(input.value);
    const shownRooms = rooms.filter((r) => !q || r.name.includes(q));
    list.replaceChildren();
    if (!shownRooms.length) {
      // (an error about the name, if any, is said once: above the list)
      if (!q) list.append(h('div', { class: 'muted-line' }, 'There are no rooms yet: make the first one.'));
      else if (err.hidden) list.append(h('div', { class: 'muted-line' }, 'No room called #' + q + ' yet: press Create to make it.'));
    }
    for (const r of shownRooms) {
      const joined = S.rooms.has(r.name);
      list.append(h('button', { class: 'dialog-room' + (joined ? ' joined' : ''), type: 'button', 'data-test': 'dialog-room', 'data-room': r.name, onclick: () => joinRoom(r.name, err) },
        h('span', { class: 'channel-icon', 'aria-hidden': 'true' }, '#'),
        h('span', { class: 'dialog-room-name' }, r.name),
        r.topic ? h('span', { class: 'dialog-room-topic' }, r.topic) : null,
        h('span', { class: 'dialog-room-counts' }, r.members + (r.members === 1 ? ' member' : ' members') + ' · ', h('span', { class: 'online-count' }, r.online + ' online')),
        h('span', { class: 'dialog-room-action' }, joined ? 'Open' : 'Join')));
    }
  };
  input.addEventListener('input', () => { showDialogError(err, ''); draw(); });
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const q = cleanRoomName(input.value);
    if (!q) return;
    if (rooms && !rooms.some((r) => r.name === q)) createRoom(q, err); else joinRoom(q, err);
  });
  openDialog('Rooms', [
    h('p', { class: 'dialog-text' }, 'Join a room, or type a new name and create it. Names use a-z, 0-9, _ and -.'),
    h('div', { class: 'room-name-row' }, input,
      h('button', { class: 'btn', type: 'button', 'data-test': 'join-room', onclick: () => { const q = cleanRoomName(input.value); if (q) joinRoom(q, err); else input.focus(); } }, 'Join'),
      h('button', { class: 'btn primary', type: 'button', 'data-test': 'create-room', onclick: () => { const q = cleanRoomName(input.value); if (q) createRoom(q, err); else { showDialogError(err, 'Type a name for the new room.'); input.focus(); } } }, 'Create')),
    err, list,
  ], 'rooms-dialog');
  refreshRoomInfo().then((r) => {
    if (!r) { list.replaceChildren(h('div', { class: 'muted-line' }, 'Could not load the rooms (not connected).')); return; }
    rooms = r;
    draw();
  });
}

function roomFromReply(room, x) {
  room.capacity = x.capacity;
  room.topic = x.topic || '';
  room.topicBy = x.topic_by || null;
  room.topicAt = x.topic_at || null;
  if (typeof x.unread === 'number') room.unread = x.unread;
  if (x.last_read !== undefined) room.lastRead = x.last_read;
}

// "Rejoin" on the view that says I was kicked from a room.
export function rejoin(name) { joinRoom(name, null); }

async function joinRoom(name, errEl) {
  if (S.rooms.has(name)) { closeDialog(); openRoom(name); return; }
  try {
    const r = await send('join', { room: name });
    const room = newList(r.room.name);
    roomFromReply(room, r.room);
    setMembers(room, r.members || []);
    S.rooms.set(room.name, room);
    if (errEl) closeDialog();
    openRoom(room.name);
    return true;
  } catch (err) {
    const text = err.code === 'no_such_room' ? 'There is no room called #' + name + '. Press Create to make it.'
      : err.code === 'banned_from_room' ? 'You are banned from #' + name + ' ' + untilWords(err.until) + (err.reason ? ': ' + err.reason : '') + '.'
      : errText(err, { room: name });
    if (errEl) {
      showDialogError(errEl, text);
      // the list's own "No room called …" line would say it a second time
      const dup = errEl.parentNode && errEl.parentNode.querySelector('.room-browser > .muted-line');
      if (dup) dup.remove();
    } else toast(text, { kind: 'error' });
    return false;
  }
}

async function createRoom(name, errEl) {
  try {
    const r = await send('create_room', { room: name });
    const room = newList(r.room.name);
    roomFromReply(room, r.room);
    room.members = new Map([[S.me, { name: S.me, role: S.role, room_role: 'owner', online: true }]]);
    room.membersLoaded = true;
    room.loaded = true;
    room.hasMore = false;
    S.rooms.set(room.name, room);
    closeDialog();
    openRoom(room.name);
    toast('Created #' + room.name + '. Invite people by telling them its name.', { kind: 'ok' });
  } catch (err) {
    showDialogError(errEl, errText(err, { room: name }));
  }
}

export async function leaveRoom() {
  const room = currentRoom();
  if (!room) return;
  try {
    await send('leave', { room: room.name });
    dropRoom(room.name);
    toast('You left #' + room.name + '.', { kind: 'info' });
  } catch (err) {
    if (err.code === 'not_in_room') dropRoom(room.name);
    else toast(errText(err, { room: room.name }), { kind: 'error' });
  }
}
