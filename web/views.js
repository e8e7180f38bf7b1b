// modchat web client: Which view is open (a room, a conversation, a panel) and the header.
import { $, h, ROOM_KEY, fmtWhen } from './util.js';
import { S, currentRoom, currentList, isMod, isAdmin, roleOf, runsRoom } from './state.js';
import { placeNewDivider, markSeen, markSeenSoon } from './unread.js';
import { renderSidebar } from './sidebar.js';
import { loadInitial } from './history.js';
import { saveScroll, renderTimeline } from './timeline.js';
import { focusComposer, renderComposer } from './composer.js';
import { renderMute } from './mute.js';
import { loadMembers, renderMembers } from './members.js';
import { closeMenu } from './menu.js';
import { loadModlog, renderModlog } from './modlog.js';
import { loadFilter, renderFilter } from './filter.js';
import { closeDrawers } from './drawers.js';

// ---------------------------------------------------------------- views

export function openRoom(name) {
  if (!name || !S.rooms.has(name)) openList(null);
  else openList({ kind: 'room', room: name });
}

// Open a room or a conversation (null: the welcome view).
export function openList(view) {
  markSeen();     // what was on screen until now counts as seen
  saveScroll();
  closeMenu();
  S.view = view;
  const list = currentList();
  if (list) {
    if (list.kind === 'room') { try { sessionStorage.setItem(ROOM_KEY, list.name); } catch (e) { /* ignore */ } }
    if (list.loaded) placeNewDivider(list);
    else loadInitial(list);
    if (list.kind === 'room' && (!list.membersLoaded || list.membersStale)) loadMembers(list);
  }
  closeDrawers();
  renderSidebar();
  renderView();
  focusComposer();
  markSeenSoon();
}

// After a kick, a room ban or a deleted room: say so in the main view.
export function openRemoved(room, title, text, canRejoin) {
  saveScroll();
  closeMenu();
  S.view = { kind: 'removed', room, title, text, canRejoin: !!canRejoin };
  renderSidebar();
  renderView();
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
    const counts = room.membersLoaded
      ? ms.length + (ms.length === 1 ? ' member' : ' members') + ' · ' + online + ' online' + (room.capacity ? ' · capacity ' + room.capacity : '')
      : info ? info.members + ' members · ' + info.online + ' online' : '';
    sub.replaceChildren();
    if (room.topic) {
      sub.append(h('span', {
        class: 'room-topic', 'data-test': 'room-topic',
        title: room.topic + (room.topicBy ? '\n(set by ' + room.topicBy + (room.topicAt ? ', ' + fmtWhen(room.topicAt) : '') + ')' : ''),
      }, room.topic), h('span', { class: 'sub-sep', 'aria-hidden': 'true' }, ' · '));
    }
    sub.append(h('span', { class: 'room-counts' }, counts));
  } else if (v && v.kind === 'dm') {
    title.append(h('span', { class: 'title-hash', 'aria-hidden': 'true' }, '@'), v.with);
    const r = roleOf(v.with);
    sub.textContent = 'Direct messages with ' + v.with + (r && r !== 'user' ? ' (' + r + ')' : '');
  } else if (v && v.kind === 'removed') {
    title.append(h('span', { class: 'title-hash', 'aria-hidden': 'true' }, '#'), v.room);
    sub.textContent = v.title;
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
  $('room-settings').hidden = !runsRoom(room);
  $('leave-room').hidden = !room;
  $('toggle-members').hidden = !room;
  document.body.classList.toggle('no-members', !room);
  $('timeline').hidden = panelView;
  $('panel').hidden = !panelView;
  $('composer').hidden = panelView || !v || v.kind === 'removed';
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
