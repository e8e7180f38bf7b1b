// modchat web client: History pages: the first one, older ones on scroll, catching up after a reconnect.
import { PAGE, sameName } from './util.js';
import { S, currentList } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { renderUnread } from './sidebar.js';
import { insertPos, renderTimeline, renderTop } from './timeline.js';
import { toast } from './notices.js';
import { dropRoom } from './events.js';

// ---------------------------------------------------------------- history

export function msgItem(m, room) {
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

export async function loadInitial(room) {
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

export async function loadOlder(list) {
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
export async function catchUp(room) {
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
