// modchat web client: The pop-up menu and the menu of a user.
import { $, h, RANK, sameName, avatar, roleBadge, roleWord } from './util.js';
import { S, currentRoom, isMod, isAdmin, roleOf, findMember, canModerateInRoom, ownsRoom } from './state.js';
import { logout } from './session.js';
import { kickDialog, muteDialog, banDialog, roleDialog } from './moderate.js';
import { openDm } from './dm.js';
import { setRoomRole } from './roomsettings.js';

// ---------------------------------------------------------------- menu

export let menuAnchor = null;
function openMenu(anchor, nodes) {
  const menu = $('menu');
  menu.replaceChildren(...nodes.filter(Boolean));
  menu.hidden = false;
  menuAnchor = anchor;
  const r = anchor.getBoundingClientRect();
  const mw = menu.offsetWidth;
  const mh = menu.offsetHeight;
  let left = r.left;
  let top = r.bottom + 4;
  if (left + mw > innerWidth - 8) left = Math.max(8, r.right - mw);
  if (left + mw > innerWidth - 8) left = Math.max(8, innerWidth - mw - 8);
  if (top + mh > innerHeight - 8) top = Math.max(8, r.top - mh - 4);
  menu.style.left = left + 'px';
  menu.style.top = top + 'px';
  const first = menu.querySelector('button');
  if (first) first.focus();
}
export function closeMenu(restoreFocus) {
  const menu = $('menu');
  if (menu.hidden) return;
  menu.hidden = true;
  menu.replaceChildren();
  if (restoreFocus && menuAnchor && document.contains(menuAnchor)) menuAnchor.focus();
  menuAnchor = null;
}
function menuItem(label, test, run, cls) {
  return h('button', { class: 'menu-item' + (cls ? ' ' + cls : ''), type: 'button', role: 'menuitem', 'data-test': test, onclick: () => { closeMenu(); run(); } }, label);
}

function canModerate(name) {
  if (!isMod() || sameName(name, S.me)) return false;
  const r = roleOf(name);
  return isAdmin() || r == null || RANK[r] < RANK[S.role];
}

export function openUserMenu(name, anchor) {
  if (!name) return;
  const role = roleOf(name);
  const room = currentRoom();
  const m = room && findMember(room, name);
  const me = sameName(name, S.me);
  const nodes = [h('div', { class: 'menu-head' }, avatar(name),
    h('div', null, h('div', { class: 'menu-name' }, name, ' ', roleBadge(role)),
      h('div', { class: 'menu-sub' }, (me ? 'This is you' : m ? (m.online ? 'Online' : 'Offline') : role ? roleWord(role) : '') + (m && m.room_role && m.room_role !== 'member' ? ' · ' + m.room_role + ' of #' + room.name : ''))))];
  if (!me) nodes.push(menuItem('Message', 'menu-whisper', () => openDm(name)));
  if (canModerate(name)) {
    nodes.push(h('div', { class: 'menu-sep', role: 'separator' }));
    nodes.push(menuItem('Kick…', 'menu-kick', () => kickDialog(name), 'danger'));
    nodes.push(menuItem('Mute…', 'menu-mute', () => muteDialog(name), 'danger'));
    nodes.push(menuItem('Ban…', 'menu-ban', () => banDialog(name), 'danger'));
  } else if (room && canModerateInRoom(room, name)) {
    // a room's owner or op: acts in this room only
    nodes.push(h('div', { class: 'menu-sep', role: 'separator' }));
    if (m) nodes.push(menuItem('Kick from #' + room.name + '…', 'menu-room-kick', () => kickDialog(name, true), 'danger'));
    nodes.push(menuItem('Mute in #' + room.name + '…', 'menu-room-mute', () => muteDialog(name, true), 'danger'));
    nodes.push(menuItem('Ban from #' + room.name + '…', 'menu-room-ban', () => banDialog(name, true), 'danger'));
  }
  if (room && m && !me && ownsRoom(room) && m.room_role !== 'owner' && (m.role === 'user' || isMod())) {
    const op = m.room_role === 'op';
    nodes.push(menuItem(op ? 'Remove op' : 'Make op of #' + room.name, 'menu-op', () => setRoomRole(room.name, name, op ? 'member' : 'op')));
  }
  if (isAdmin() && !me) nodes.push(menuItem('Set role…', 'menu-role', () => roleDialog(name)));
  if (me) nodes.push(menuItem('Log out', 'menu-logout', logout));
  openMenu(anchor, nodes);
}
