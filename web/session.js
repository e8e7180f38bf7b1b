// modchat web client: Logging in and out, resuming after a reconnect, the own role.
import { $, TOKEN_KEY, ROOM_KEY, RANK, sameName, avatar } from './util.js';
import { newList, S, currentRoom, isMod, isAdmin } from './state.js';
import { serverHost, ensureConnected, send, setConn } from './net.js';
import { loginErrText } from './words.js';
import { sortedRooms, refreshRoomInfo, renderSidebar, renderConn } from './sidebar.js';
import { openRoom, renderView } from './views.js';
import { catchUp } from './history.js';
import { loadConversations } from './dm.js';
import { renderMute } from './mute.js';
import { loadMembers } from './members.js';
import { closeMenu } from './menu.js';
import { closeDialog } from './dialog.js';
import { loadModlog } from './modlog.js';
import { loadFilter } from './filter.js';

// ---------------------------------------------------------------- login

export function showLogin(error) {
  $('chat-view').hidden = true;
  $('login-view').hidden = false;
  $('notices').replaceChildren();
  closeMenu();
  closeDialog();
  const e = $('login-error');
  e.textContent = error || '';
  e.hidden = !error;
  document.title = 'modchat';
  renderConn();
  setTimeout(() => ($('login-username').value ? $('login-password') : $('login-username')).focus(), 0);
}

export function showChat() {
  $('login-view').hidden = true;
  $('chat-view').hidden = false;
}

let loginBusy = false;
export async function doLogin(register) {
  if (loginBusy) return;
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  const show = (t) => { $('login-error').textContent = t; $('login-error').hidden = !t; };
  if (!username) { show('Enter a username.'); $('login-username').focus(); return; }
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(username)) { show('Usernames are 1 to 32 letters, digits, _ . or -.'); return; }
  const bytes = new TextEncoder().encode(password).length;
  if ([...password].length < 8) { show('Passwords need at least 8 characters.'); $('login-password').focus(); return; }
  if (bytes > 72) { show('That password is too long: at most 72 bytes (fewer characters with accents or emoji).'); $('login-password').focus(); return; }
  show('');
  loginBusy = true;
  $('login-submit').disabled = $('register-submit').disabled = true;
  try {
    await ensureConnected();
    if (register) await send('register', { username, password });
    let r;
    try {
      r = await send('login', { username, password });
    } catch (err) {
      if (err.code !== 'already_logged_in') throw err;
      await send('logout').catch(() => {});
      r = await send('login', { username, password });
    }
    $('login-password').value = '';
    afterLogin(r);
  } catch (err) {
    show(loginErrText(err));
  } finally {
    loginBusy = false;
    $('login-submit').disabled = $('register-submit').disabled = false;
  }
}

export async function resume() {
  try {
    const r = await send('resume', { token: S.token });
    afterLogin(r);
  } catch (err) {
    if (err.code === 'not_connected') return;
    if (err.code === 'already_logged_in') { S.loggedIn = true; setConn('connected'); return; }
    const text = loginErrText(err);
    forgetSession();
    setConn('connected');
    showLogin(err.code === 'bad_token' ? 'Your session has ended. Please log in again.' : text);
  }
}

async function afterLogin(r) {
  const firstTime = !S.me || !sameName(S.me, r.user.name);
  if (firstTime) resetChatState();
  S.loggedIn = true;
  S.me = r.user.name;
  S.token = r.token;
  try { sessionStorage.setItem(TOKEN_KEY, r.token); } catch (e) { /* private mode */ }
  setRole(r.user.role, true);
  const names = Array.isArray(r.rooms) ? r.rooms : [];
  for (const n of [...S.rooms.keys()]) if (!names.includes(n)) S.rooms.delete(n);
  for (const n of names) if (!S.rooms.has(n)) S.rooms.set(n, newList(n));
  $('me-name').textContent = S.me;
  $('me-avatar').replaceWith(Object.assign(avatar(S.me), { id: 'me-avatar' }));
  $('server-name').textContent = serverHost();
  showChat();
  setConn('connected');
  // unread counts and markers first: the room opened next shows its NEW line
  await Promise.all([refreshRoomInfo(true), loadConversations()]);
  if (!S.loggedIn) return;
  const v = S.view;
  if (!v || (v.kind === 'room' && !S.rooms.has(v.room)) || ((v.kind === 'modlog' || v.kind === 'filter') && !isMod())) {
    let saved = null;
    try { saved = sessionStorage.getItem(ROOM_KEY); } catch (e) { /* ignore */ }
    openRoom(saved && S.rooms.has(saved) ? saved : sortedRooms()[0] || null);
  } else {
    renderSidebar();
    renderView();
    if (v.kind === 'modlog') loadModlog(true);
    if (v.kind === 'filter') loadFilter();
  }
  // After a reconnect: fetch what we missed, and the member lists again.
  for (const room of S.rooms.values()) {
    room.membersStale = true;
    if (room.loaded) catchUp(room);
  }
  for (const dm of S.dms.values()) if (dm.loaded) catchUp(dm);
  const cur = currentRoom();
  if (cur) loadMembers(cur);
}

function resetChatState() {
  S.rooms.clear();
  S.roomInfo.clear();
  S.dms.clear();
  S.userRoles.clear();
  S.view = null;
  S.mutes = { global: null, rooms: new Map() };
  S.modlog = { entries: [], hasMore: false, loading: false, user: '', action: '' };
  S.filterWords = null;
  S.lastSent = '';
}

export function forgetSession() {
  S.token = null;
  try { sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(ROOM_KEY); } catch (e) { /* ignore */ }
}

export async function logout() {
  closeMenu();
  try { await send('logout'); } catch (e) { /* the token goes either way */ }
  forgetSession();
  S.loggedIn = false;
  S.me = null;
  resetChatState();
  setRole('user');
  $('message-input').value = '';
  $('notices').replaceChildren();
  $('messages').replaceChildren();
  renderMute();
  showLogin('');
}

export function setRole(role, quiet) {
  const before = S.role;
  S.role = RANK[role] != null ? role : 'user';
  document.body.dataset.role = S.role;
  document.querySelectorAll('.mod-only').forEach((el) => { el.hidden = !isMod(); });
  document.querySelectorAll('.admin-only').forEach((el) => { el.hidden = !isAdmin(); });
  $('me-role').textContent = S.role === 'admin' ? 'Admin' : S.role === 'moderator' ? 'Moderator' : 'Member';
  if (!quiet && before !== S.role && S.view) {
    if ((S.view.kind === 'modlog' || S.view.kind === 'filter') && !isMod()) openRoom(sortedRooms()[0] || null);
    else renderView();
  }
}
