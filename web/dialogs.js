// modchat web client: The user menu, dialogs (moderation, rooms, announce, roles), the moderation log and the word filter.
'use strict';

// ---------------------------------------------------------------- menu

let menuAnchor = null;
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
function closeMenu(restoreFocus) {
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

function openUserMenu(name, anchor) {
  if (!name) return;
  const role = roleOf(name);
  const room = currentRoom();
  const m = room && findMember(room, name);
  const me = sameName(name, S.me);
  const nodes = [h('div', { class: 'menu-head' }, avatar(name),
    h('div', null, h('div', { class: 'menu-name' }, name, ' ', roleBadge(role)),
      h('div', { class: 'menu-sub' }, me ? 'This is you' : m ? (m.online ? 'Online' : 'Offline') : role ? roleWord(role) : '')))];
  if (!me) nodes.push(menuItem('Whisper', 'menu-whisper', () => { closeDrawers(); setWhisper(name); focusComposer(); }));
  if (canModerate(name)) {
    nodes.push(h('div', { class: 'menu-sep', role: 'separator' }));
    nodes.push(menuItem('Kick…', 'menu-kick', () => kickDialog(name), 'danger'));
    nodes.push(menuItem('Mute…', 'menu-mute', () => muteDialog(name), 'danger'));
    nodes.push(menuItem('Ban…', 'menu-ban', () => banDialog(name), 'danger'));
  }
  if (isAdmin() && !me) nodes.push(menuItem('Set role…', 'menu-role', () => roleDialog(name)));
  if (me) nodes.push(menuItem('Log out', 'menu-logout', logout));
  openMenu(anchor, nodes);
}

// ---------------------------------------------------------------- dialogs

function openDialog(title, nodes, cls) {
  const d = $('dialog');
  closeMenu();
  d.className = 'dialog' + (cls ? ' ' + cls : '');
  d.replaceChildren(h('div', { class: 'dialog-inner' },
    h('header', { class: 'dialog-head' }, h('h3', null, title),
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close', 'data-test': 'dialog-close', onclick: closeDialog }, '×')),
    ...nodes.filter(Boolean)));
  if (!d.open) d.showModal();
  const f = d.querySelector('input, textarea, .dialog-inner button:not(.icon-btn)');
  if (f) f.focus();
}
function closeDialog() {
  const d = $('dialog');
  if (d.open) d.close();
}
function dialogError() {
  return h('p', { class: 'form-error', 'data-test': 'dialog-error', role: 'alert', hidden: true });
}
function showDialogError(el, text) { el.textContent = text; el.hidden = !text; }

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

function kickDialog(name) {
  const err = dialogError();
  const room = currentRoom();
  openDialog('Kick ' + name, [
    h('p', { class: 'dialog-text' }, 'A kick ends the disturbance now; ' + name + ' may come straight back.'),
    reasonField(), err,
    h('div', { class: 'dialog-buttons' },
      room ? h('button', { class: 'btn', type: 'button', 'data-test': 'kick-room', onclick: () => modAction('kick', { user: name, room: room.name, reason: reasonOf() }, () => name + ' was removed from #' + room.name + '.', err) }, 'Remove from #' + room.name) : null,
      h('button', { class: 'btn danger', type: 'button', 'data-test': 'kick-server', onclick: () => modAction('kick', { user: name, reason: reasonOf() }, () => name + ' was disconnected.', err) }, 'Disconnect from server')),
  ]);
}

function durationButtons(prefix, run) {
  return h('div', { class: 'duration-grid' }, DURATIONS.map(([key, label, secs]) =>
    h('button', { class: 'btn' + (secs == null ? ' danger' : ''), type: 'button', 'data-test': prefix + '-' + key, onclick: () => run(secs) }, label)));
}

function muteDialog(name) {
  const err = dialogError();
  const room = currentRoom();
  const scope = room ? h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-test': 'mute-room-only' }), h('span', null, 'Only in #' + room.name)) : null;
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

function banDialog(name) {
  const err = dialogError();
  openDialog('Ban ' + name, [
    h('p', { class: 'dialog-text' }, 'A ban disconnects ' + name + ' and refuses their logins until it ends.'),
    reasonField(), h('div', { class: 'field-label' }, 'For how long'),
    durationButtons('ban', (secs) => modAction('ban', Object.assign({ user: name, reason: reasonOf() }, secs != null ? { duration_s: secs } : {}),
      (r) => name + ' is banned ' + untilWords(r.until) + '.', err)),
    err,
    h('div', { class: 'dialog-buttons' },
      h('button', { class: 'btn ghost', type: 'button', 'data-test': 'unban', onclick: () => modAction('unban', { user: name }, () => name + ' is no longer banned.', err) }, 'Lift a ban')),
  ]);
}

function roleDialog(name) {
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

function confirmDelete(item, now) {
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

function cleanRoomName(s) { return String(s || '').trim().replace(/^#/, '').toLowerCase(); }

function openRoomsDialog() {
  if (!S.loggedIn) return;
  const err = dialogError();
  const input = h('input', { type: 'text', 'data-test': 'room-name-input', placeholder: 'Room name, e.g. lobby', maxlength: '64', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Room name' });
  const list = h('div', { class: 'room-browser', 'data-test': 'dialog-rooms' }, h('div', { class: 'muted-line' }, 'Loading rooms…'));
  let rooms = null;
  const draw = () => {
    if (!rooms) return;
    const q = cleanRoomName(input.value);
    const shownRooms = rooms.filter((r) => !q || r.name.includes(q));
    list.replaceChildren();
    if (!shownRooms.length) {
      list.append(h('div', { class: 'muted-line' }, q ? 'No room called #' + q + ' yet: press Create to make it.' : 'There are no rooms yet: make the first one.'));
    }
    for (const r of shownRooms) {
      const joined = S.rooms.has(r.name);
      list.append(h('button', { class: 'dialog-room' + (joined ? ' joined' : ''), type: 'button', 'data-test': 'dialog-room', 'data-room': r.name, onclick: () => joinRoom(r.name, err) },
        h('span', { class: 'channel-icon', 'aria-hidden': 'true' }, '#'),
        h('span', { class: 'dialog-room-name' }, r.name),
        h('span', { class: 'dialog-room-counts' }, r.members + (r.members === 1 ? ' member' : ' members') + ' · ', h('span', { class: 'online-count' }, r.online + ' online')),
        h('span', { class: 'dialog-room-action' }, joined ? 'Open' : 'Join')));
    }
  };
  input.addEventListener('input', () => { showDialogError(err, ''); draw(); });
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const q = cleanRoomName(input.value);
    if (!q) return;
    if (rooms && !rooms.some((r) => r.name === q)) createRoom(q, err); else joinRoom(q, err);
  });
  openDialog('Rooms', [
    h('p', { class: 'dialog-text' }, 'Join a room, or type a new name and create it. Names use a-z, 0-9, _ and -.'),
    h('div', { class: 'room-name-row' }, input,
      h('button', { class: 'btn', type: 'button', 'data-test': 'join-room', onclick: () => { const q = cleanRoomName(input.value); if (q) joinRoom(q, err); else input.focus(); } }, 'Join'),
      h('button', { class: 'btn primary', type: 'button', 'data-test': 'create-room', onclick: () => { const q = cleanRoomName(input.value); if (q) createRoom(q, err); else { showDialogError(err, 'Type a name for the new room.'); input.focus(); } } }, 'Create')),
    err, list,
  ], 'rooms-dialog');
  refreshRoomInfo().then((r) => {
    if (!r) { list.replaceChildren(h('div', { class: 'muted-line' }, 'Could not load the rooms (not connected).')); return; }
    rooms = r;
    draw();
  });
}

async function joinRoom(name, errEl) {
  if (S.rooms.has(name)) { closeDialog(); openRoom(name); return; }
  try {
    const r = await send('join', { room: name });
    const room = newList(r.room.name);
    room.capacity = r.room.capacity;
    room.members = new Map((r.members || []).map((m) => [m.name, { name: m.name, role: m.role, online: !!m.online }]));
    room.membersLoaded = true;
    S.rooms.set(room.name, room);
    closeDialog();
    openRoom(room.name);
  } catch (err) {
    showDialogError(errEl, err.code === 'no_such_room' ? 'There is no room called #' + name + '. Press Create to make it.' : errText(err, { room: name }));
  }
}

async function createRoom(name, errEl) {
  try {
    const r = await send('create_room', { room: name });
    const room = newList(r.room.name);
    room.capacity = r.room.capacity;
    room.loaded = true;
    room.hasMore = false;
    S.rooms.set(room.name, room);
    closeDialog();
    openRoom(room.name);
    toast('Created #' + room.name + '. Invite people by telling them its name.', { kind: 'ok' });
  } catch (err) {
    showDialogError(errEl, errText(err, { room: name }));
  }
}

async function leaveRoom() {
  const room = currentRoom();
  if (!room) return;
  try {
    await send('leave', { room: room.name });
    dropRoom(room.name);
    toast('You left #' + room.name + '.', { kind: 'info' });
  } catch (err) {
    if (err.code === 'not_in_room') dropRoom(room.name);
    else toast(errText(err, { room: room.name }), { kind: 'error' });
  }
}

function announceDialog() {
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

// ---------------------------------------------------------------- moderation log and word filter

const ACTIONS = ['kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove', 'set_password'];
const ACTION_LABEL = { kick: 'Kick', mute: 'Mute', unmute: 'Unmute', ban: 'Ban', unban: 'Unban', set_role: 'Role', delete_message: 'Delete', filter_block: 'Blocked', auto_mute: 'Auto-mute', filter_add: 'Filter +', filter_remove: 'Filter −', set_password: 'Password' };

async function loadModlog(fresh) {
  const ml = S.modlog;
  if (ml.loading) return;
  if (fresh) { ml.entries = []; ml.hasMore = false; }
  ml.loading = true;
  renderPanel();
  const f = { limit: 50 };
  if (ml.user) f.user = ml.user;
  if (ml.action) f.action = ml.action;
  if (!fresh && ml.entries.length) f.before = ml.entries[ml.entries.length - 1].id;
  try {
    const r = await send('modlog', f);
    const got = r.entries || [];
    ml.entries = ml.entries.concat(got);
    ml.hasMore = got.length >= 50;
  } catch (err) {
    if (err.code !== 'not_connected') toast(errText(err), { kind: 'error' });
  } finally {
    ml.loading = false;
  }
  renderPanel();
}

function modlogSentence(e) {
  const by = e.by || (e.action === 'set_role' || e.action === 'set_password' ? 'The console' : 'The system');
  const t = e.target || 'someone';
  const inRoom = e.room ? ' in #' + e.room : '';
  switch (e.action) {
    case 'kick': return by + ' kicked ' + t + (e.room ? ' from #' + e.room : ' from the server');
    case 'mute': return by + ' muted ' + t + inRoom + ' ' + untilWords(e.until);
    case 'unmute': return by + ' unmuted ' + t + inRoom;
    case 'ban': return by + ' banned ' + t + ' ' + untilWords(e.until);
    case 'unban': return by + ' lifted the ban on ' + t;
    case 'set_role': return by + ' made ' + t + ' ' + roleWord(e.detail);
    case 'delete_message': return by + ' deleted a message by ' + t + inRoom + (e.detail ? ' (#' + e.detail + ')' : '');
    case 'filter_block': return 'The filter blocked a text from ' + t + inRoom + (e.detail ? ' (“' + e.detail + '”)' : '');
    case 'auto_mute': return 'The filter muted ' + t + ' ' + untilWords(e.until);
    case 'filter_add': return by + ' added “' + (e.detail || '?') + '” to the filter';
    case 'filter_remove': return by + ' removed “' + (e.detail || '?') + '” from the filter';
    case 'set_password': return by + ' changed the password of ' + t + ' and closed its sessions';
    default: return by + ': ' + e.action + ' ' + t;
  }
}

function renderPanel() {
  const p = $('panel');
  if (!S.view || p.hidden) return;
  // Redrawing replaces the controls: keep the focus where the person was typing.
  const active = p.contains(document.activeElement) ? document.activeElement.dataset.test : null;
  if (S.view.kind === 'modlog') renderModlog(p); else if (S.view.kind === 'filter') renderFilter(p);
  const again = active && p.querySelector('[data-test="' + active + '"]');
  if (again) again.focus();
}

function renderModlog(p) {
  const ml = S.modlog;
  const user = h('input', { type: 'search', placeholder: 'Target user', value: ml.user, 'data-test': 'modlog-user', 'aria-label': 'Target user' });
  const action = h('select', { 'data-test': 'modlog-action', 'aria-label': 'Action' },
    h('option', { value: '' }, 'All actions'), ACTIONS.map((a) => h('option', { value: a, selected: a === ml.action }, ACTION_LABEL[a] + ' (' + a + ')')));
  const apply = () => { ml.user = user.value.trim(); ml.action = action.value; loadModlog(true); };
  user.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
  action.addEventListener('change', apply);
  const rows = h('ol', { class: 'modlog-list' });
  for (const e of ml.entries) {
    const d = toDate(e.at);
    rows.append(h('li', { class: 'modlog-entry', 'data-test': 'modlog-entry', 'data-action': e.action, 'data-id': e.id },
      h('span', { class: 'action-tag act-' + e.action }, ACTION_LABEL[e.action] || e.action),
      h('div', { class: 'modlog-main' },
        h('div', { class: 'modlog-sentence' }, modlogSentence(e)),
        e.reason ? h('div', { class: 'modlog-reason' }, '“' + e.reason + '”') : null),
      h('time', { class: 'msg-time', datetime: e.at, title: fmtFull(d) }, fmtStamp(d))));
  }
  p.replaceChildren(h('div', { class: 'panel-inner' },
    h('div', { class: 'panel-tools' }, user, action, h('button', { class: 'btn', type: 'button', onclick: apply }, 'Filter')),
    ml.entries.length ? rows : h('p', { class: 'muted-line' }, ml.loading ? 'Loading…' : 'Nothing recorded' + (ml.user || ml.action ? ' for this filter.' : ' yet.')),
    ml.hasMore ? h('button', { class: 'btn more', type: 'button', 'data-test': 'modlog-more', disabled: ml.loading, onclick: () => loadModlog(false) }, ml.loading ? 'Loading…' : 'Load older') : null));
}

async function loadFilter() {
  try {
    const r = await send('filter_list');
    S.filterWords = r.words || [];
  } catch (err) {
    if (err.code !== 'not_connected') toast(errText(err), { kind: 'error' });
  }
  renderPanel();
}

function renderFilter(p) {
  const words = S.filterWords;
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const inner = h('div', { class: 'panel-inner' });
  if (isAdmin()) {
    const input = h('input', { type: 'text', placeholder: 'Word or phrase to block', maxlength: '64', 'data-test': 'filter-input', 'aria-label': 'Word to block' });
    const add = async () => {
      const w = input.value.trim();
      if (!w) return;
      try { await send('filter_add', { word: w }); input.value = ''; await loadFilter(); }
      catch (e) { showDialogError(err, errText(e)); }
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') add(); });
    inner.append(h('div', { class: 'panel-tools' }, input, h('button', { class: 'btn primary', type: 'button', 'data-test': 'filter-add', onclick: add }, 'Add')), err);
  } else {
    inner.append(h('p', { class: 'muted-line' }, 'Only admins can change this list.'));
  }
  inner.append(h('p', { class: 'dialog-text' }, 'Whole words are matched, ignoring case and width (so “darn” blocks “DARN!” but not “darning”). Three blocks in ten minutes mute the sender for ten minutes.'));
  if (words == null) inner.append(h('p', { class: 'muted-line' }, 'Loading…'));
  else if (!words.length) inner.append(h('p', { class: 'muted-line' }, 'The filter is empty.'));
  else {
    inner.append(h('ul', { class: 'word-list' }, words.map((w) => h('li', { class: 'word', 'data-test': 'filter-word', 'data-word': w },
      h('span', null, w),
      isAdmin() ? h('button', { class: 'chip-x', type: 'button', 'data-test': 'filter-remove', 'aria-label': 'Remove ' + w, title: 'Remove', onclick: async () => {
        try { await send('filter_remove', { word: w }); await loadFilter(); } catch (e) { showDialogError(err, errText(e)); }
      } }, '×') : null))));
  }
  p.replaceChildren(inner);
}
