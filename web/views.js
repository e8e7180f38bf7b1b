// modchat web client: Which view is open (a room, whispers, a panel) and the header.
import { $, h, ROOM_KEY } from './util.js';
import { S, currentRoom, currentList, isMod, isAdmin } from './state.js';
import { renderSidebar } from './sidebar.js';
import { loadInitial } from './history.js';
import { saveScroll, renderTimeline } from './timeline.js';
import { focusComposer, setWhisper, renderComposer } from './composer.js';
import { renderMute } from './mute.js';
import { loadMembers, renderMembers } from './members.js';
import { closeMenu } from './menu.js';
import { loadModlog, renderModlog } from './modlog.js';
import { loadFilter, renderFilter } from './filter.js';
import { closeDrawers } from './drawers.js';

// ---------------------------------------------------------------- views

export function openRoom(name) {
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

export function openWhispers() {
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

export function openPanelView(kind) {
  if (!isMod()) return;
  saveScroll();
  closeMenu();
  S.view = { kind };
  closeDrawers();
  renderSidebar();
  renderView();
  if (kind === 'modlog') loadModlog(true); else loadFilter();
}

export function renderHead() {
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

export function renderView() {
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

export function renderPanel() {
  const p = $('panel');
  if (!S.view || p.hidden) return;
  // Redrawing replaces the controls: keep the focus where the person was typing.
  const active = p.contains(document.activeElement) ? document.activeElement.dataset.test : null;
  if (S.view.kind === 'modlog') renderModlog(p); else if (S.view.kind === 'filter') renderFilter(p);
  const again = active && p.querySelector('[data-test="' + active + '"]');
  if (again) again.focus();
}
