// modchat web client: The member list.
import { $, h, RANK, sameName, byName, avatar, roleBadge } from './util.js';
import { S, currentRoom } from './state.js';
import { send } from './net.js';
import { renderHead } from './views.js';
import { dropRoom } from './events.js';
import { openUserMenu } from './menu.js';

// ---------------------------------------------------------------- members

export async function loadMembers(room) {
  try {
    const r = await send('members', { room: room.name });
    room.members = new Map((r.members || []).map((m) => [m.name, { name: m.name, role: m.role, online: !!m.online }]));
    room.membersLoaded = true;
    room.membersStale = false;
    if (room === currentRoom()) { renderMembers(); renderHead(); }
  } catch (err) {
    if (err.code === 'no_such_room') dropRoom(room.name);
  }
}

export function renderMembers() {
  const list = $('member-list');
  list.replaceChildren();
  const room = currentRoom();
  if (!room) { $('members-title').textContent = 'Members'; return; }
  const ms = [...room.members.values()].sort((a, b) => (b.online - a.online) || (RANK[b.role] - RANK[a.role]) || byName(a.name, b.name));
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
        'data-test': 'member', 'data-name': m.name, 'data-online': String(!!m.online), 'data-role': m.role,
        title: m.name + (m.online ? ' (online)' : ' (offline)'),
        onclick: (e) => openUserMenu(m.name, e.currentTarget),
      },
      h('span', { class: 'avatar-wrap' }, avatar(m.name), h('span', { class: 'presence ' + (m.online ? 'on' : 'off'), 'aria-hidden': 'true' })),
      h('span', { class: 'member-name' }, m.name, me ? h('span', { class: 'you' }, ' (you)') : null),
      roleBadge(m.role)));
    }
  };
  section('Online', on);
  section('Offline', off);
  if (!ms.length) list.append(h('div', { class: 'member-section' }, room.membersLoaded ? 'Nobody here' : 'Loading…'));
}
