// modchat web client: Unread counts and read markers.
//
// The counts come from the server at login (`rooms` and `conversations`
// give `unread` and `last_read`), grow with each message from someone else
// that I have not seen, and drop to zero when I have seen the newest
// message: its list is open, the tab is visible and the timeline is
// scrolled to the bottom. Then `mark_read` stores the marker on the server,
// so the state survives reloads and follows me to my other devices, whose
// sessions get a `read` event.
import { $, h, sameName } from './util.js';
import { S, currentList, listOf } from './state.js';
import { send } from './net.js';
import { renderUnread } from './sidebar.js';
import { atBottom } from './timeline.js';
import { mentionsMe } from './mentions.js';

const fromOthers = (x) => x.id != null && (x.kind === 'message') && !sameName(x.from, S.me) && !x.deleted;

// Mentions among the unread messages I have loaded.
export function countMentions(list) {
  if (!list.unread) { list.mentions = 0; return; }
  const others = list.items.filter(fromOthers);
  const unread = others.slice(Math.max(0, others.length - list.unread));
  list.mentions = unread.filter((x) => mentionsMe(x.text)).length;
}

// Where the "NEW" line goes: above the first unread message.
export function placeNewDivider(list) {
  list.newFrom = null;
  if (!list.unread) return;
  const others = list.items.filter(fromOthers);
  if (!others.length) return;
  const first = list.lastRead != null
    ? others.find((x) => x.id > list.lastRead)
    : others[Math.max(0, others.length - list.unread)];
  if (first) list.newFrom = first.id;
}

export function newDivider() {
  return h('div', { class: 'new-sep', role: 'separator', 'data-test': 'new-divider', 'aria-label': 'New messages' }, h('span', null, 'NEW'));
}

function newestId(list) {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const x = list.items[i];
    if (x.id != null && !x.pending) return x.id;
  }
  return null;
}

// Seen: the list is open, the page is visible and at the bottom.
function seeing(list) {
  return !!list && list === currentList() && list.loaded && !document.hidden && !$('timeline').hidden && atBottom();
}

// At most one `mark_read` a second while messages keep coming (each is a
// write on the server): a pending mark is not put off by the next arrival.
// Leaving a list and sending mark at once (markSeen).
let timer = null;
export function markSeenSoon() {
  if (timer) return;
  timer = setTimeout(() => { timer = null; markSeen(); }, 1000);
}

export function markSeen() {
  const list = currentList();
  if (!seeing(list)) return;
  const id = newestId(list);
  if (list.unread || list.mentions) { list.unread = 0; list.mentions = 0; renderUnread(); }
  if (id == null || (list.lastRead != null && id <= list.lastRead) || !S.loggedIn) return;
  list.lastRead = id;
  const f = list.kind === 'dm' ? { with: list.name } : { room: list.name };
  send('mark_read', Object.assign(f, { message_id: id })).catch(() => { /* the next one carries it */ });
}

// A message arrived in a list: count it unless I see it.
export function countArrival(list, item) {
  if (!fromOthers(item)) return false;
  if (seeing(list)) { markSeenSoon(); return false; }
  list.unread++;
  const mention = list.kind === 'room' && mentionsMe(item.text);
  if (mention) list.mentions++;
  if (list.newFrom == null && list === currentList()) list.newFrom = item.id;
  renderUnread();
  return true;
}

// `read` from another session of mine: it saw up to `id`.
export function applyRead(e) {
  const list = e.with ? listOf({ kind: 'dm', name: e.with }) : listOf({ kind: 'room', name: e.room });
  if (!list || typeof e.id !== 'number') return;
  if (list.lastRead != null && e.id <= list.lastRead) return;
  list.lastRead = e.id;
  const others = list.items.filter(fromOthers);
  const newest = others.length ? others[others.length - 1].id : null;
  if (!list.loaded || newest == null || newest <= e.id) { list.unread = 0; list.mentions = 0; }
  else {
    const after = others.filter((x) => x.id > e.id);
    list.unread = Math.min(list.unread, after.length);
    countMentions(list);
  }
  renderUnread();
}
