// modchat web client: Direct messages: one conversation per person in the
// sidebar, with its history (`history` with `with`), unread count and read
// marker (`mark_read` with `with`).
//
// Which conversations the sidebar lists: at login, the server's
// `conversations` (every conversation with a whisper either way, newest
// first, with unread counts); then each conversation a whisper starts or
// that I open. The names are also kept in localStorage per account, so a
// conversation opened but still empty stays in the list after a reload,
// and a server without `conversations` still lists the ones seen before.
import { h, byName, sameName } from './util.js';
import { S, newList, dmOf } from './state.js';
import { send } from './net.js';
import { renderSidebar, renderUnread } from './sidebar.js';
import { msgItem } from './history.js';
import { addItem } from './timeline.js';
import { toast } from './notices.js';
import { errText } from './words.js';
import { openDialog, closeDialog, dialogError, showDialogError } from './dialog.js';
import { openList } from './views.js';
import { countArrival } from './unread.js';
import { notify } from './mentions.js';

const KEY = () => 'modchat.dms.' + String(S.me || '').toLowerCase();

function saveNames() {
  try {
    const names = sortedDms().map((d) => d.name).slice(0, 100);
    localStorage.setItem(KEY(), JSON.stringify(names));
  } catch (e) { /* private mode, or full */ }
}

export function sortedDms() {
  return [...S.dms.values()].sort((a, b) => (String(b.lastAt || '')).localeCompare(String(a.lastAt || '')) || byName(a.name, b.name));
}

export function ensureDm(name) {
  let dm = dmOf(name);
  if (!dm) {
    dm = newList(name, 'dm');
    S.dms.set(name.toLowerCase(), dm);
    saveNames();
  }
  return dm;
}

export function openDm(name) {
  if (!name || sameName(name, S.me)) return;
  ensureDm(name);
  openList({ kind: 'dm', with: dmOf(name).name });
}

// At login: the conversations the server knows, and the names kept here.
export async function loadConversations() {
  let saved = [];
  try { saved = JSON.parse(localStorage.getItem(KEY()) || '[]'); } catch (e) { saved = []; }
  for (const n of Array.isArray(saved) ? saved : []) if (typeof n === 'string' && n && !sameName(n, S.me)) ensureDm(n);
  try {
    const r = await send('conversations', { limit: 100 });
    for (const c of r.conversations || []) {
      const dm = ensureDm(c.with);
      dm.lastAt = c.last_at || dm.lastAt;
      dm.lastRead = c.last_read == null ? null : c.last_read;
      if (!dm.loaded) dm.unread = c.unread || 0;
    }
    saveNames();
  } catch (e) { /* unknown_command on an older server: the saved names only */ }
  renderSidebar();
}

export function renameDm(oldName, newName) {
  const dm = dmOf(oldName);
  if (!dm) return;
  S.dms.delete(oldName.toLowerCase());
  dm.name = newName;
  S.dms.set(newName.toLowerCase(), dm);
  if (S.view && S.view.kind === 'dm' && sameName(S.view.with, oldName)) S.view.with = newName;
  saveNames();
}

// A whisper event: to me, or sent by another session of mine.
export function onWhisper(e) {
  const out = sameName(e.from, S.me);
  const dm = ensureDm(out ? e.to : e.from);
  dm.lastAt = e.at;
  const item = msgItem(e, '@' + dm.name);
  if (dm.loaded) addItem(dm, item, true);
  const counted = countArrival(dm, item);
  saveNames();
  renderSidebar();
  if (out || !counted) return;
  renderUnread();
  const viewing = S.view && S.view.kind === 'dm' && sameName(S.view.with, dm.name);
  if (!viewing) {
    toast(e.action ? '* ' + e.from + ' ' + e.text : e.text, {
      kind: 'whisper', title: 'Message from ' + e.from, icon: '@',
      actions: [{ label: 'Open', test: 'open-dm-toast', run: () => openDm(e.from) }],
    });
  }
  notify('Message from ' + e.from, e.text, 'dm:' + dm.name.toLowerCase(), () => openDm(e.from));
}

// "+" beside "Direct messages": start a conversation with a name.
export function newDmDialog() {
  if (!S.loggedIn) return;
  const err = dialogError();
  const input = h('input', { type: 'text', maxlength: '32', placeholder: 'Username', 'data-test': 'dm-user', 'aria-label': 'Username', autocomplete: 'off', spellcheck: 'false' });
  const go = async () => {
    const name = input.value.trim().replace(/^@/, '');
    if (!name) { input.focus(); return; }
    if (sameName(name, S.me)) { showDialogError(err, 'That is you.'); return; }
    try {
      // also checks the name, and gives it as registered
      const r = await send('history', { with: name, limit: 1 });
      const m = (r.messages || [])[0];
      const real = m ? (sameName(m.from, name) ? m.from : m.to || name) : name;
      closeDialog();
      openDm(real);
    } catch (e) {
      showDialogError(err, errText(e, { user: name }));
    }
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); go(); } });
  openDialog('Message someone', [
    h('p', { class: 'dialog-text' }, 'Direct messages are between you and one other person. They need not be online: they read them when they come back.'),
    input, err,
    h('div', { class: 'dialog-buttons' },
      h('button', { class: 'btn ghost', type: 'button', onclick: closeDialog }, 'Cancel'),
      h('button', { class: 'btn primary', type: 'button', 'data-test': 'dm-open', onclick: go }, 'Open')),
  ]);
}
