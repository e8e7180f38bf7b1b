// modchat web client: The sidebar: rooms, unread badges, the connection status.
import { $, h, byName } from './util.js';
import { S } from './state.js';
import { serverHost, send } from './net.js';
import { openRoom, renderHead } from './views.js';
import { openRoomsDialog } from './roomsdialog.js';

// ---------------------------------------------------------------- rooms and sidebar

export function sortedRooms() { return [...S.rooms.keys()].sort(byName); }

export async function refreshRoomInfo() {
  try {
    const r = await send('rooms');
    S.roomInfo.clear();
    for (const x of r.rooms || []) S.roomInfo.set(x.name, x);
    for (const [n, room] of S.rooms) { const x = S.roomInfo.get(n); if (x) room.capacity = x.capacity; }
    renderHead();
    return r.rooms || [];
  } catch (e) { return null; }
}

export function renderSidebar() {
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

export function renderUnread() {
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
