// modchat web client: The member list.
import { $, h, RANK, sameName, byName, avatar, roleBadge } from './util.js';
import { S, currentRoom, rememberRoles, runsRoom } from './state.js';
import { send } from './net.js';
import { renderHead } from './views.js';
import { shown, renderTimeline } from './timeline.js';
import { dropRoom } from './events.js';
import { openUserMenu } from './menu.js';

// ---------------------------------------------------------------- members

export function setMembers(room, members) {
  room.members = new Map(members.map((m) => [m.name, { name: m.name, role: m.role, room_role: m.room_role || 'member', online: !!m.online }]));
  room.membersLoaded = true;
  room.membersStale = false;
  // the MOD badge of a message follows the role known for its author
  if (rememberRoles(members) && shown) renderTimeline(shown, 'keep');
}

export async function loadMembers(room) {
  try {
    const r = await send('members', { room: room.name });
    setMembers(room, r.members || []);
    if (room === currentRoom()) { renderMembers(); renderHead(); $('room-settings').hidden = !runsRoom(room); }
  } catch (err) {
    if (err.code === 'no_such_room') dropRoom(room.name);
  }
}

export function renderMembers() {
  const list = $('member-list');
  list.replaceChildren();
  const room = currentRoom();
  if (!room) { $('members-title').textContent = 'Members'; return; }
  const rr = { owner: 2, op: 1, member: 0 };
  const ms = [...room.members.values()].sort((a, b) => (b.online - a.online) || (RANK[b.role] - RANK[a.role]) || ((rr[b.room_role] || 0) - (rr[a.room_role] || 0)) || byName(a.name, b.name));
  const on = ms.filter((m) => m.online);
  const off = ms.filter((m) => !m.online);
  $('members-title').textContent = 'Members — ' + ms.length;
  const section = (label, arr) => {
    if (!arr.length) return;
    list.append(h('div', { class: 'member-section' }, label + ' — ' + arr.length));
    for (const m of arr) {
      const me = sameName(m.name, S.me);
      list.append(h('button', {
        class: 'member' + (m.online ? '' : ' offline'), type: 'button',
        'data-test': 'member', 'data-name': m.name, 'data-online': String(!!m.online), 'data-role': m.role, 'data-room-role': m.room_role || 'member',
        title: m.name + (m.online ? ' (online)' : ' (offline)'),
        onclick: (e) => openUserMenu(m.name, e.currentTarget),
      },
      h('span', { class: 'avatar-wrap' }, avatar(m.name), h('span', { class: 'presence ' + (m.online ? 'on' : 'off'), 'aria-hidden': 'true' })),
      h('span', { class: 'member-name' }, m.name, me ? h('span', { class: 'you' }, ' (you)') : null),
      roleBadge(m.role), roomRoleBadge(m.room_role)));
    }
  };
  section('Online', on);
  section('Offline', off);
  if (!ms.length) list.append(h('div', { class: 'member-section' }, room.membersLoaded ? 'Nobody here' : 'Loading…'));
}

export function roomRoleBadge(r) {
  if (r === 'owner') return h('span', { class: 'role-badge owner', title: 'Owner of this room', 'data-test': 'room-role' }, 'owner');
  if (r === 'op') return h('span', { class: 'role-badge op', title: 'Op of this room', 'data-test': 'room-role' }, 'op');
  return null;
}
