// modchat web client: The sidebar: rooms, unread badges, the connection status.
import { $, h, byName, sameName, avatar } from './util.js';
import { S, dmOf } from './state.js';
import { serverHost, send } from './net.js';
import { openRoom, renderHead } from './views.js';
import { openRoomsDialog } from './roomsdialog.js';
import { loadInitial } from './history.js';
import { openDm, sortedDms } from './dm.js';
import { renderNotifyButton } from './mentions.js';

// ---------------------------------------------------------------- rooms and sidebar

export function sortedRooms() { return [...S.rooms.keys()].sort(byName); }

// `rooms`: counts and topics for the rooms dialog and the header; at login
// (`withUnread`) also each room's unread count and read marker.
export async function refreshRoomInfo(withUnread) {
  try {
    const r = await send('rooms');
    S.roomInfo.clear();
    for (const x of r.rooms || []) S.roomInfo.set(x.name, x);
    for (const [n, room] of S.rooms) {
      const x = S.roomInfo.get(n);
      if (!x) continue;
      room.capacity = x.capacity;
      room.topic = x.topic || '';
      room.topicBy = x.topic_by || null;
      room.topicAt = x.topic_at || null;
      if (withUnread && typeof x.unread === 'number') {
        room.lastRead = x.last_read == null ? null : x.last_read;
        if (!room.loaded) room.unread = x.unread;
      }
    }
    if (withUnread) preloadUnread();
    renderHead();
    renderSidebar();
    return r.rooms || [];
  } catch (e) { return null; }
}

// Rooms with unread messages: load their first page now, so mentions are
// counted (the server counts unread messages, not mentions).
function preloadUnread() {
  for (const room of S.rooms.values()) if (room.unread && !room.loaded) loadInitial(room);
}

function badges(list, red) {
  const out = [];
  if (list.mentions) out.push(h('span', { class: 'badge mention-badge', 'data-test': 'mentions', title: list.mentions + ' mention' + (list.mentions === 1 ? '' : 's') }, '@' + (list.mentions > 99 ? '99+' : list.mentions)));
  if (list.unread) {
    out.push(h('span', { class: 'badge ' + (red ? 'dm-badge' : 'unread-badge'), 'data-test': 'unread', title: list.unread + ' unread' },
      list.unread >= 1000 ? '999+' : String(list.unread)));
  }
  return out;
}

export function renderSidebar() {
  const ul = $('room-list');
  ul.replaceChildren();
  for (const name of sortedRooms()) {
    const room = S.rooms.get(name);
    const active = S.view && S.view.kind === 'room' && S.view.room === name;
    const btn = h('button', {
      class: 'channel' + (active ? ' active' : '') + (room.unread ? ' has-unread' : ''),
      type: 'button', 'data-test': 'room', 'data-room': name,
      'aria-current': active ? 'page' : null,
      onclick: () => openRoom(name),
    }, h('span', { class: 'channel-icon', 'aria-hidden': 'true' }, '#'), h('span', { class: 'channel-name' }, name),
    h('span', { class: 'badges', 'data-test': 'badges' }, badges(room, false)));
    ul.append(h('li', null, btn));
  }
  if (!S.rooms.size) {
    ul.append(h('li', { class: 'channel-empty' }, h('button', { class: 'link-btn', type: 'button', onclick: openRoomsDialog }, 'Join or create a room')));
  }
  const dl = $('dm-list');
  dl.replaceChildren();
  for (const dm of sortedDms()) {
    const active = S.view && S.view.kind === 'dm' && sameName(S.view.with, dm.name);
    dl.append(h('li', null, h('button', {
      class: 'channel dm' + (active ? ' active' : '') + (dm.unread ? ' has-unread' : ''),
      type: 'button', 'data-test': 'dm', 'data-with': dm.name,
      'aria-current': active ? 'page' : null,
      onclick: () => openDm(dm.name),
    }, avatar(dm.name, 'tiny'), h('span', { class: 'channel-name' }, dm.name),
    h('span', { class: 'badges', 'data-test': 'badges' }, badges(dm, true)))));
  }
  if (!S.dms.size) dl.append(h('li', { class: 'channel-empty muted-line' }, 'Click a name and choose Message.'));
  for (const [id, kind] of [['modlog-entry', 'modlog'], ['filter-entry', 'filter']]) {
    const on = !!S.view && S.view.kind === kind;
    $(id).classList.toggle('active', on);
    if (on) $(id).setAttribute('aria-current', 'page'); else $(id).removeAttribute('aria-current');
  }
  renderNotifyButton();
  renderTitle();
}

export function renderUnread() {
  for (const btn of document.querySelectorAll('#room-list [data-test="room"], #dm-list [data-test="dm"]')) {
    const list = btn.dataset.room != null ? S.rooms.get(btn.dataset.room) : dmOf(btn.dataset.with);
    if (!list) continue;
    btn.querySelector('[data-test="badges"]').replaceChildren(...badges(list, list.kind === 'dm'));
    btn.classList.toggle('has-unread', !!list.unread);
  }
  renderTitle();
}

function renderTitle() {
  let total = 0;
  for (const r of S.rooms.values()) total += r.unread;
  for (const d of S.dms.values()) total += d.unread;
  document.title = (total ? '(' + total + ') ' : '') + 'modchat';
}

export function renderConn() {
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
