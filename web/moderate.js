// modchat web client: Moderation dialogs: kick, mute, ban, role, delete, announce.
import { $, h, MAX_TEXT, DURATIONS, roleWord, untilWords, fillText } from './util.js';
import { currentRoom, isAdmin, roleOf } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { toast } from './notices.js';
import { forMember } from './events.js';
import { openDialog, closeDialog, dialogError, showDialogError } from './dialog.js';

async function modAction(type, fields, done, errEl) {
  try {
    const r = await send(type, fields);
    closeDialog();
    toast(done(r), { kind: 'ok' });
  } catch (err) {
    showDialogError(errEl, errText(err, { user: fields.user, room: fields.room }));
  }
}

function reasonField() {
  return h('label', { class: 'field' }, h('span', null, 'Reason (shown to them)'),
    h('input', { type: 'text', maxlength: '500', 'data-test': 'reason-input', placeholder: 'Optional' }));
}
function reasonOf() {
  const v = $('dialog').querySelector('[data-test="reason-input"]').value.trim();
  return v || undefined;
}

// `roomOnly`: a room's owner or op, who acts in the open room only.
export function kickDialog(name, roomOnly) {
  const err = dialogError();
  const room = currentRoom();
  openDialog('Kick ' + name, [
    h('p', { class: 'dialog-text' }, 'A kick ends the disturbance now; ' + name + ' may come straight back.'),
    reasonField(), err,
    h('div', { class: 'dialog-buttons' },
      room ? h('button', { class: 'btn', type: 'button', 'data-test': 'kick-room', onclick: () => modAction('kick', { user: name, room: room.name, reason: reasonOf() }, () => name + ' was removed from #' + room.name + '.', err) }, 'Remove from #' + room.name) : null,
      roomOnly ? null : h('button', { class: 'btn danger', type: 'button', 'data-test': 'kick-server', onclick: () => modAction('kick', { user: name, reason: reasonOf() }, () => name + ' was disconnected.', err) }, 'Disconnect from server')),
  ]);
}

function durationButtons(prefix, run) {
  return h('div', { class: 'duration-grid' }, DURATIONS.map(([key, label, secs]) =>
    h('button', { class: 'btn' + (secs == null ? ' danger' : ''), type: 'button', 'data-test': prefix + '-' + key, onclick: () => run(secs) }, label)));
}

export function muteDialog(name, roomOnly) {
  const err = dialogError();
  const room = currentRoom();
  const scope = room ? h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-test': 'mute-room-only', checked: !!roomOnly, disabled: !!roomOnly }), h('span', null, 'Only in #' + room.name)) : null;
  const run = (secs) => {
    const only = scope && scope.querySelector('input').checked;
    const f = { user: name, reason: reasonOf() };
    if (secs != null) f.duration_s = secs;
    if (only) f.room = room.name;
    modAction('mute', f, (r) => name + ' is muted' + (only ? ' in #' + room.name : '') + ' ' + untilWords(r.until) + '.', err);
  };
  openDialog('Mute ' + name, [
    h('p', { class: 'dialog-text' }, 'A muted person can still read, but not talk or whisper.'),
    reasonField(), scope, h('div', { class: 'field-label' }, 'For how long'), durationButtons('mute', run), err,
    h('div', { class: 'dialog-buttons' },
      h('button', { class: 'btn ghost', type: 'button', 'data-test': 'unmute', onclick: () => {
        const only = scope && scope.querySelector('input').checked;
        modAction('unmute', Object.assign({ user: name }, only ? { room: room.name } : {}), () => name + ' is unmuted.', err);
      } }, 'Lift a mute')),
  ]);
}

export function banDialog(name, roomOnly) {
  const err = dialogError();
  const room = currentRoom();
  const scope = room ? h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-test': 'ban-room-only', checked: !!roomOnly, disabled: !!roomOnly }), h('span', null, 'Only from #' + room.name)) : null;
  const only = () => !!scope && scope.querySelector('input').checked;
  const run = (secs) => {
    const f = { user: name, reason: reasonOf() };
    if (secs != null) f.duration_s = secs;
    if (only()) f.room = room.name;
    modAction('ban', f, (r) => name + ' is banned' + (f.room ? ' from #' + f.room : '') + ' ' + untilWords(r.until) + '.', err);
  };
  openDialog('Ban ' + name, [
    h('p', { class: 'dialog-text' }, roomOnly
      ? 'A room ban removes ' + name + ' from #' + room.name + ' and keeps them out until it ends.'
      : 'A ban disconnects ' + name + ' and refuses their logins until it ends. A room ban only keeps them out of one room.'),
    reasonField(), scope, h('div', { class: 'field-label' }, 'For how long'),
    durationButtons('ban', run),
    err,
    h('div', { class: 'dialog-buttons' },
      h('button', { class: 'btn ghost', type: 'button', 'data-test': 'unban', onclick: () => modAction('unban', Object.assign({ user: name }, only() ? { room: room.name } : {}), () => name + ' is no longer banned.', err) }, 'Lift a ban')),
  ]);
}

export function roleDialog(name) {
  const err = dialogError();
  const cur = roleOf(name);
  openDialog('Role of ' + name, [
    h('p', { class: 'dialog-text' }, 'Moderators can kick, mute, ban and delete messages. Admins can also change roles, the word filter, and announce.'),
    h('div', { class: 'role-choices' }, ['user', 'moderator', 'admin'].map((r) =>
      h('button', { class: 'btn' + (r === cur ? ' current' : ''), type: 'button', 'data-test': 'role-' + r, 'aria-pressed': String(r === cur),
        onclick: () => modAction('set_role', { user: name, role: r }, () => name + ' is now ' + roleWord(r) + '.', err).then(() => {
          forMember(name, (m) => { m.role = r; });
        }) }, r === 'user' ? 'User' : r === 'moderator' ? 'Moderator' : 'Admin'))),
    err,
  ]);
}

export function confirmDelete(item, now) {
  const run = async (errEl) => {
    try {
      await send('delete_message', { message_id: item.id });
      closeDialog();
    } catch (err) {
      if (errEl) showDialogError(errEl, errText(err, { user: item.from }));
      else toast(errText(err, { user: item.from }), { kind: 'error' });
    }
  };
  if (now) { run(null); return; }
  const err = dialogError();
  const preview = h('div', { class: 'quote' });
  fillText(preview, [...String(item.text)].slice(0, 300).join(''));
  openDialog('Delete message', [
    h('p', { class: 'dialog-text' }, 'Delete this message by ' + item.from + '? Everyone will see “message deleted”; the log keeps the text.'),
    preview, err,
    h('div', { class: 'dialog-buttons' },
      h('button', { class: 'btn ghost', type: 'button', onclick: closeDialog }, 'Cancel'),
      h('button', { class: 'btn danger', type: 'button', 'data-test': 'confirm-delete', onclick: () => run(err) }, 'Delete')),
  ]);
}

export function announceDialog() {
  if (!isAdmin()) return;
  const err = dialogError();
  const text = h('textarea', { rows: '4', maxlength: String(MAX_TEXT * 2), 'data-test': 'announce-text', placeholder: 'Everyone logged in will see this', 'aria-label': 'Announcement' });
  const go = async () => {
    if (!text.value.trim()) { showDialogError(err, 'Write something first.'); return; }
    try { await send('announce', { text: text.value }); closeDialog(); }
    catch (e) { showDialogError(err, errText(e)); }
  };
  text.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); go(); } });
  openDialog('Announce', [
    h('p', { class: 'dialog-text' }, 'An announcement reaches every logged-in session, in a room or not. Ctrl+Enter sends.'),
    text, err,
    h('div', { class: 'dialog-buttons' },
      h('button', { class: 'btn ghost', type: 'button', onclick: closeDialog }, 'Cancel'),
      h('button', { class: 'btn primary', type: 'button', 'data-test': 'announce-send', onclick: go }, 'Announce')),
  ]);
}
