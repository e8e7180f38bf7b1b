// modchat web client: History pages of a room or a direct-message
// conversation: the first one, older ones on scroll, catching up after a
// reconnect.
import { PAGE, sameName } from './util.js';
import { S, currentList, target } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { renderUnread } from './sidebar.js';
import { insertPos, renderTimeline, renderTop } from './timeline.js';
import { toast } from './notices.js';
import { dropRoom } from './events.js';
import { placeNewDivider, countMentions, markSeenSoon } from './unread.js';

// ---------------------------------------------------------------- history

// A message or a whisper as a timeline item; `list` is the room's name, or
// '@' and the other person's name for a conversation.
export function msgItem(m, list) {
  return {
    key: 'm' + m.id, id: m.id, room: list,
    kind: sameName(m.from, S.me) ? 'mine' : 'message',
    from: m.from, to: m.to, text: m.text, at: m.at, deleted: !!m.deleted, action: !!m.action,
  };
}
function listKey(list) { return list.kind === 'dm' ? '@' + list.name : list.name; }

// Merge a page of history into a list, by id, without duplicates.
export function mergeHistory(list, messages) {
  let added = 0;
  for (const m of messages) {
    if (list.ids.has(m.id)) {
      const it = list.items.find((x) => x.id === m.id);
      if (it && m.deleted && !it.deleted) { it.deleted = true; it.text = null; }
      continue;
    }
    const item = msgItem(m, listKey(list));
    list.ids.add(m.id);
    list.items.splice(insertPos(list, item), 0, item);
    added++;
  }
  return added;
}

function gone(list, err) {
  if (list.kind === 'room' && (err.code === 'not_in_room' || err.code === 'no_such_room')) { dropRoom(list.name); return true; }
  return false;
}

export async function loadInitial(list) {
  if (list.loading) return;
  list.loading = true;
  renderTop();
  try {
    // enough to reach the first unread message, when there are many
    const limit = Math.min(100, Math.max(PAGE, list.unread + 10));
    const r = await send('history', Object.assign({ limit }, target(list)));
    mergeHistory(list, r.messages || []);
    list.loaded = true;
    list.hasMore = (r.messages || []).length >= limit;
    countMentions(list);
  } catch (err) {
    if (!gone(list, err) && err.code !== 'not_connected') toast(errText(err, { room: list.name }), { kind: 'error' });
  } finally {
    list.loading = false;
  }
  if (currentList() === list) {
    placeNewDivider(list);
    renderTimeline(list, 'unread');
    markSeenSoon();
  }
  renderUnread();
}

export async function loadOlder(list) {
  if (!list || list.loading || !list.hasMore || !list.loaded) return;
  const oldest = list.items.find((x) => x.id != null);
  if (!oldest) { list.hasMore = false; renderTop(); return; }
  list.loading = true;
  renderTop();
  try {
    const r = await send('history', Object.assign({ before: oldest.id, limit: PAGE }, target(list)));
    const msgs = r.messages || [];
    list.hasMore = msgs.length >= PAGE;
    mergeHistory(list, msgs);
  } catch (err) {
    if (!gone(list, err) && err.code !== 'not_connected') toast(errText(err, { room: list.name }), { kind: 'error' });
  } finally {
    list.loading = false;
  }
  if (currentList() === list) renderTimeline(list, 'prepend');
}

// After a reconnect: fetch recent history until it meets what we have.
export async function catchUp(list) {
  const known = list.items.filter((x) => x.id != null && (x.kind === 'message' || x.kind === 'mine'));
  const last = known.length ? known[known.length - 1].id : 0;
  let before = null;
  let got = [];
  try {
    for (let i = 0; i < 10; i++) {
      const r = await send('history', Object.assign({ limit: 100 }, target(list), before ? { before } : {}));
      const msgs = r.messages || [];
      got = msgs.concat(got);
      if (msgs.length < 100 || !last || msgs[0].id <= last) break;
      before = msgs[0].id;
    }
  } catch (err) {
    gone(list, err);
    return;
  }
  const fresh = got.filter((m) => m.id > last && !list.ids.has(m.id));
  // A text whose ok was lost with the connection may have arrived after all.
  for (const f of list.items.filter((x) => x.failed && x.lostOk)) {
    if (fresh.some((m) => sameName(m.from, S.me) && m.text === f.text)) {
      list.items.splice(list.items.indexOf(f), 1);
    }
  }
  mergeHistory(list, got);
  list.unread += fresh.filter((m) => !sameName(m.from, S.me)).length;
  countMentions(list);
  renderUnread();
  if (currentList() === list) { renderTimeline(list, 'keep'); markSeenSoon(); }
}
