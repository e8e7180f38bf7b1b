// modchat web client: Room settings, for a room's owner and ops and for
// moderators and admins: the topic, the ops (owner and staff only), room
// bans, the capacity, and deleting the room (owner and staff only).
//
// The bans come from `room_bans` (docs/protocol.md: beyond the contract).
import { $, h, sameName, byName, DURATIONS, untilWords, fmtWhen } from './util.js';
import { S, currentRoom, ownsRoom, runsRoom, isMod } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { toast } from './notices.js';
import { openDialog, closeDialog, dialogError, showDialogError } from './dialog.js';
import { renderMembers, roomRoleBadge } from './members.js';

let openFor = null;       // the room whose settings are open
let banBox = null;

export async function setRoomRole(room, user, role) {
  try {
    await send('set_room_role', { room, user, role });
    toast(role === 'op' ? user + ' is now an op of #' + room + '.' : user + ' is no longer an op of #' + room + '.', { kind: 'ok' });
  } catch (err) {
    toast(errText(err, { user, room }), { kind: 'error' });
  }
}

function section(title, ...nodes) {
  return h('section', { class: 'settings-section' }, h('h4', null, title), ...nodes);
}

export function roomSettingsDialog() {
  const room = currentRoom();
  if (!runsRoom(room)) return;
  const name = room.name;
  const err = dialogError();
  const fail = (e, ctx) => showDialogError(err, errText(e, Object.assign({ room: name }, ctx)));
  openFor = name;

  // topic
  const topic = h('textarea', { rows: '2', maxlength: '300', 'data-test': 'settings-topic', 'aria-label': 'Topic', placeholder: 'What this room is about (empty: no topic)' });
  topic.value = room.topic || '';
  const saveTopic = async () => {
    showDialogError(err, '');
    try { await send('set_topic', { room: name, topic: topic.value.trim() ? topic.value : '' }); toast('The topic of #' + name + ' is saved.', { kind: 'ok' }); } catch (e) { fail(e); }
  };

  // capacity
  const cap = h('input', { type: 'number', min: '1', step: '1', 'data-test': 'settings-capacity', 'aria-label': 'Capacity', value: room.capacity || '' });
  const saveCap = async () => {
    showDialogError(err, '');
    const n = Number(cap.value);
    if (!Number.isInteger(n) || n < 1) { showDialogError(err, 'The capacity is a whole number, at least 1.'); return; }
    try { await send('set_capacity', { room: name, capacity: n }); room.capacity = n; toast('#' + name + ' now holds at most ' + n + ' members.', { kind: 'ok' }); } catch (e) { fail(e); }
  };

  // ops
  let ops = null;
  if (ownsRoom(room)) {
    const rows = [...room.members.values()]
      .filter((m) => m.room_role !== 'owner' && (m.role === 'user' || isMod()) && !sameName(m.name, S.me))
      .sort((a, b) => byName(a.name, b.name));
    ops = section('Ops', h('p', { class: 'dialog-text' }, 'Ops may set the topic and capacity and kick, mute and ban members of this room.'),
      rows.length ? h('ul', { class: 'settings-list' }, rows.map((m) => h('li', { class: 'settings-row' },
        h('span', { class: 'settings-name' }, m.name, roomRoleBadge(m.room_role)),
        h('button', {
          class: 'btn small', type: 'button', 'data-test': 'settings-op', 'data-name': m.name,
          onclick: async (e) => {
            const make = m.room_role !== 'op';
            e.currentTarget.disabled = true;
            await setRoomRole(name, m.name, make ? 'op' : 'member');
            m.room_role = make ? 'op' : 'member';
            renderMembers();
            roomSettingsDialog();
          },
        }, m.room_role === 'op' ? 'Remove op' : 'Make op'))))
        : h('p', { class: 'muted-line' }, 'Nobody else is a member yet.'));
  }

  // bans
  banBox = h('div', { 'data-test': 'settings-bans' }, h('p', { class: 'muted-line' }, 'Loading…'));
  const who = h('input', { type: 'text', maxlength: '32', placeholder: 'Username', 'data-test': 'settings-ban-user', 'aria-label': 'Who to ban', autocomplete: 'off', spellcheck: 'false' });
  const dur = h('select', { 'data-test': 'settings-ban-duration', 'aria-label': 'For how long' },
    DURATIONS.map(([key, label]) => h('option', { value: key, selected: key === '1d' }, label)));
  const why = h('input', { type: 'text', maxlength: '500', placeholder: 'Reason (optional)', 'data-test': 'settings-ban-reason', 'aria-label': 'Reason' });
  const addBan = async () => {
    showDialogError(err, '');
    const user = who.value.trim();
    if (!user) { who.focus(); return; }
    const secs = DURATIONS.find((d) => d[0] === dur.value)[2];
    const f = { user, room: name };
    if (secs != null) f.duration_s = secs;
    if (why.value.trim()) f.reason = why.value.trim();
    try {
      const r = await send('ban', f);
      toast(user + ' is banned from #' + name + ' ' + untilWords(r.until) + '.', { kind: 'ok' });
      who.value = ''; why.value = '';
      loadBans(name);
    } catch (e) { fail(e, { user }); }
  };

  // delete
  let del = null;
  if (ownsRoom(room)) {
    const confirmBtn = h('button', {
      class: 'btn danger', type: 'button', 'data-test': 'settings-delete-confirm', hidden: true,
      onclick: async () => {
        try { await send('delete_room', { room: name }); closeDialog(); } catch (e) { fail(e); }
      },
    }, 'Yes, delete #' + name + ' for everyone');
    const ask = h('button', {
      class: 'btn danger', type: 'button', 'data-test': 'settings-delete',
      onclick: () => { ask.hidden = true; confirmBtn.hidden = false; confirmBtn.focus(); },
    }, 'Delete room…');
    del = section('Delete the room', h('p', { class: 'dialog-text' }, 'Every member loses #' + name + ' at once; the name is free again. The log keeps its messages.'), h('div', { class: 'dialog-buttons' }, ask, confirmBtn));
  }

  openDialog('#' + name + ' settings', [
    err,
    section('Topic', topic, h('div', { class: 'dialog-buttons' }, h('button', { class: 'btn primary', type: 'button', 'data-test': 'settings-topic-save', onclick: saveTopic }, 'Save topic'))),
    ops,
    section('Room bans', banBox,
      h('div', { class: 'settings-ban-form' }, who, dur, why,
        h('button', { class: 'btn danger', type: 'button', 'data-test': 'settings-ban-add', onclick: addBan }, 'Ban from #' + name))),
    section('Capacity', h('div', { class: 'settings-inline' }, cap, h('button', { class: 'btn', type: 'button', 'data-test': 'settings-capacity-save', onclick: saveCap }, 'Save capacity'))),
    del,
  ], 'settings-dialog');
  $('dialog').addEventListener('close', () => { openFor = null; }, { once: true });
  loadBans(name);
}

// The bans in force: `room_bans` (newest first, open to the room's owner
// and ops).
async function loadBans(name) {
  const box = banBox;
  try {
    const r = await send('room_bans', { room: name });
    const live = (r.bans || []).map((b) => ({ ...b, target: b.user }));
    if (openFor !== name || box !== banBox) return;
    box.replaceChildren(live.length
      ? h('ul', { class: 'settings-list' }, live.map((b) => h('li', { class: 'settings-row', 'data-test': 'settings-ban', 'data-name': b.target },
        h('span', { class: 'settings-name' }, b.target,
          h('span', { class: 'settings-sub' }, ' ' + untilWords(b.until) + (b.by ? ' · by ' + b.by : '') + ' · ' + fmtWhen(b.at) + (b.reason ? ' · “' + b.reason + '”' : ''))),
        h('button', {
          class: 'btn small', type: 'button', 'data-test': 'settings-unban', 'data-name': b.target,
          onclick: async () => {
            try { await send('unban', { user: b.target, room: name }); toast(b.target + ' may join #' + name + ' again.', { kind: 'ok' }); } catch (e) { toast(errText(e, { user: b.target }), { kind: 'error' }); }
            loadBans(name);
          },
        }, 'Lift'))))
      : h('p', { class: 'muted-line' }, 'Nobody is banned from #' + name + '.'));
  } catch (e) {
    if (openFor === name && box === banBox) box.replaceChildren(h('p', { class: 'muted-line' }, errText(e, { room: name })));
  }
}

// A ban in the room (anyone's): the open list follows.
export function refreshBans(room) {
  if (openFor === room && $('dialog').open) loadBans(room);
}
