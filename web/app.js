// modchat web client. Plain JavaScript, no build step.
// Server text is never parsed as HTML: every node is built with
// createElement and textContent.
'use strict';
(() => {

// ---------------------------------------------------------------- helpers

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const TOKEN_KEY = 'modchat.token';
const ROOM_KEY = 'modchat.room';
const MAX_TEXT = 2000;
const PAGE = 50;
const RANK = { user: 0, moderator: 1, admin: 2 };
const DURATIONS = [
  ['1m', '1 minute', 60], ['10m', '10 minutes', 600], ['1h', '1 hour', 3600],
  ['1d', '1 day', 86400], ['forever', 'Until lifted', null],
];

function sameName(a, b) {
  return a != null && b != null && String(a).toLowerCase() === String(b).toLowerCase();
}
function byName(a, b) {
  return a.localeCompare(b, undefined, { sensitivity: 'base' });
}
function nameHash(name) {
  let x = 2166136261;
  for (const ch of String(name).toLowerCase()) {
    x ^= ch.codePointAt(0);
    x = Math.imul(x, 16777619);
  }
  return x >>> 0;
}
function avatar(name, extraClass) {
  const first = [...String(name || '?')][0] || '?';
  const el = h('span', { class: 'avatar' + (extraClass ? ' ' + extraClass : ''), 'aria-hidden': 'true' }, first.toUpperCase());
  el.style.backgroundColor = `hsl(${nameHash(name) % 360} 55% 42%)`;
  return el;
}
// Icons are inline SVG: emoji fonts are not everywhere.
const ICONS = {
  trash: 'M6 19c0 1.1.9 2 2 2h8c1.1 0 2-.9 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z',
  muted: 'M16.5 12c0-1.77-1.02-3.29-2.5-4.03v2.21l2.45 2.45c.03-.2.05-.41.05-.63zm2.5 0c0 .94-.2 1.82-.54 2.64l1.51 1.51C20.63 14.91 21 13.5 21 12c0-4.28-2.99-7.86-7-8.77v2.06c2.89.86 5 3.54 5 6.71zM4.27 3 3 4.27 7.73 9H3v6h4l5 5v-6.73l4.25 4.25c-.67.52-1.42.93-2.25 1.18v2.06c1.38-.31 2.63-.95 3.69-1.81L19.73 21 21 19.73l-9-9L4.27 3zM12 4 9.91 6.09 12 8.18V4z',
  megaphone: 'M18 11v2h4v-2h-4zm-2 6.61c.96.71 2.21 1.65 3.2 2.39.4-.53.8-1.07 1.2-1.6-.99-.74-2.24-1.68-3.2-2.4-.4.54-.8 1.08-1.2 1.61zM20.4 5.6c-.4-.53-.8-1.07-1.2-1.6-.99.74-2.24 1.68-3.2 2.4.4.53.8 1.07 1.2 1.6.96-.72 2.21-1.65 3.2-2.4zM4 9c-1.1 0-2 .9-2 2v2c0 1.1.9 2 2 2h1v4h2v-4h1l5 3V6L8 9H4zm11.5 3c0-1.33-.58-2.53-1.5-3.35v6.69c.92-.81 1.5-2.01 1.5-3.34z',
};
function icon(name) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'ico');
  const p = document.createElementNS(NS, 'path');
  p.setAttribute('d', ICONS[name]);
  p.setAttribute('fill', 'currentColor');
  svg.append(p);
  return svg;
}

function roleBadge(role) {
  if (role === 'admin') return h('span', { class: 'role-badge admin', title: 'Admin' }, 'admin');
  if (role === 'moderator') return h('span', { class: 'role-badge mod', title: 'Moderator' }, 'mod');
  return null;
}
function roleWord(role) {
  return role === 'admin' ? 'an admin' : role === 'moderator' ? 'a moderator' : 'a regular user';
}

// Times: the server speaks UTC, people read local time.
function toDate(iso) { const d = new Date(iso); return isNaN(d) ? new Date() : d; }
function dayKey(d) { return d.getFullYear() + '-' + d.getMonth() + '-' + d.getDate(); }
function fmtTime(d) { return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); }
function fmtFull(d) { return d.toLocaleString([], { dateStyle: 'full', timeStyle: 'medium' }); }
function fmtDay(d) {
  const now = new Date();
  const y = new Date(now); y.setDate(now.getDate() - 1);
  if (dayKey(d) === dayKey(now)) return 'Today';
  if (dayKey(d) === dayKey(y)) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}
function fmtStamp(d) {
  const day = fmtDay(d);
  if (day === 'Today' || day === 'Yesterday') return day + ' at ' + fmtTime(d);
  return d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' }) + ' ' + fmtTime(d);
}
function fmtWhen(iso) {
  const d = toDate(iso);
  if (dayKey(d) === dayKey(new Date())) return fmtTime(d);
  return d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
function untilWords(iso) { return iso ? 'until ' + fmtWhen(iso) : 'until it is lifted'; }
function reasonWords(reason) { return reason ? ' (' + reason + ')' : ''; }
function durationWords(seconds) {
  const d = DURATIONS.find((x) => x[2] === seconds);
  return d ? (seconds == null ? 'until lifted' : 'for ' + d[1]) : 'for ' + seconds + ' s';
}

// ---------------------------------------------------------------- state

function newList(name) {
  return {
    name, capacity: null, items: [], ids: new Set(), loaded: false, loading: false,
    hasMore: true, unread: 0, members: new Map(), membersLoaded: false,
    scrollTop: null, atBottom: true,
  };
}

const S = {
  ws: null,
  connState: 'connecting',   // connecting | connected | reconnecting | offline
  socketOpen: false,
  loggedIn: false,
  everConnected: false,
  holdOff: null,             // set after a kick or ban: do not reconnect by ourselves
  retryDelay: 500,
  retryAt: 0,
  retryTimer: null,
  openWaiters: [],
  pending: new Map(),
  nextId: 1,
  seq: 0,
  latency: null,
  pingTimer: null,
  token: sessionStorage.getItem(TOKEN_KEY),
  me: null,
  role: 'user',
  rooms: new Map(),          // joined rooms: name -> list
  roomInfo: new Map(),       // from `rooms`: name -> {members, online, capacity}
  whispers: newList('@whispers'),
  whisperTo: null,
  view: null,                // {kind: 'room', room} | {kind: 'whispers'} | {kind: 'modlog'} | {kind: 'filter'}
  mutes: { global: null, rooms: new Map() },
  muteTimer: null,
  lastSent: '',
  modlog: { entries: [], hasMore: false, loading: false, user: '', action: '' },
  filterWords: null,
};
S.whispers.loaded = true;
S.whispers.hasMore = false;

function currentRoom() {
  return S.view && S.view.kind === 'room' ? S.rooms.get(S.view.room) || null : null;
}
function currentList() {
  if (!S.view) return null;
  if (S.view.kind === 'whispers') return S.whispers;
  return currentRoom();
}
function isMod() { return RANK[S.role] >= 1; }
function isAdmin() { return S.role === 'admin'; }
function roleOf(name) {
  const room = currentRoom();
  const m = room && findMember(room, name);
  if (m) return m.role;
  for (const r of S.rooms.values()) { const x = findMember(r, name); if (x) return x.role; }
  return null;
}
function findMember(room, name) {
  if (room.members.has(name)) return room.members.get(name);
  for (const m of room.members.values()) if (sameName(m.name, name)) return m;
  return null;
}

// ---------------------------------------------------------------- connection

function serverHost() {
  const p = new URLSearchParams(location.search);
  return p.get('server') || location.host;
}
function wsUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + serverHost() + '/ws';
}

function connect() {
  clearTimeout(S.retryTimer);
  S.retryTimer = null;
  if (S.ws && (S.ws.readyState === WebSocket.OPEN || S.ws.readyState === WebSocket.CONNECTING)) return;
  setConn(S.everConnected ? 'reconnecting' : 'connecting');
  let ws;
  try { ws = new WebSocket(wsUrl()); } catch (e) { onClose(); return; }
  S.ws = ws;
  const openTimer = setTimeout(() => { if (ws.readyState === WebSocket.CONNECTING) ws.close(); }, 10000);
  ws.onopen = () => { clearTimeout(openTimer); if (S.ws === ws) onOpen(); };
  ws.onmessage = (ev) => { if (S.ws === ws) onFrame(ev.data); };
  ws.onclose = () => { clearTimeout(openTimer); if (S.ws === ws) { S.ws = null; onClose(); } };
  ws.onerror = () => {};
}

function onOpen() {
  S.socketOpen = true;
  S.everConnected = true;
  S.retryDelay = 500;
  S.loggedIn = false;
  const waiters = S.openWaiters.splice(0);
  waiters.forEach((w) => w.resolve());
  ping();
  clearInterval(S.pingTimer);
  S.pingTimer = setInterval(ping, 15000);
  if (S.token) resume();
  else setConn('connected');
}

function onClose() {
  S.socketOpen = false;
  S.loggedIn = false;
  S.latency = null;
  clearInterval(S.pingTimer);
  const pend = [...S.pending.values()];
  S.pending.clear();
  pend.forEach((p) => p.reject({ type: 'error', code: 'not_connected', message: 'not connected' }));
  if (S.holdOff) {
    setConn('offline');
    if (S.holdOff.banned) showLogin(S.holdOff.text);
    const waiters = S.openWaiters.splice(0);
    waiters.forEach((w) => w.reject({ code: 'not_connected' }));
    return;
  }
  setConn(S.everConnected ? 'reconnecting' : 'connecting');
  const delay = S.retryDelay;
  S.retryDelay = Math.min(S.retryDelay * 2, 10000);
  S.retryAt = Date.now() + delay;
  clearTimeout(S.retryTimer);
  S.retryTimer = setTimeout(connect, delay);
  renderConn();
}

function retryNow() {
  S.holdOff = null;
  S.retryDelay = 500;
  clearTimeout(S.retryTimer);
  connect();
}

function ensureConnected(ms = 8000) {
  if (S.socketOpen) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const w = { resolve, reject };
    S.openWaiters.push(w);
    setTimeout(() => {
      const i = S.openWaiters.indexOf(w);
      if (i >= 0) { S.openWaiters.splice(i, 1); reject({ code: 'not_connected' }); }
    }, ms);
    if (S.holdOff) S.holdOff = null;
    if (!S.ws) { S.retryDelay = 500; connect(); }
  });
}

// One request, one reply: resolves with the ok, rejects with the error.
function send(type, fields) {
  return new Promise((resolve, reject) => {
    if (!S.ws || S.ws.readyState !== WebSocket.OPEN) {
      reject({ type: 'error', code: 'not_connected', message: 'not connected' });
      return;
    }
    const id = S.nextId++;
    S.pending.set(id, { resolve, reject, type });
    try {
      S.ws.send(JSON.stringify(Object.assign({ type, id }, fields || {})));
    } catch (e) {
      S.pending.delete(id);
      reject({ type: 'error', code: 'not_connected', message: 'not connected' });
    }
  });
}

function onFrame(data) {
  let msg;
  try { msg = JSON.parse(data); } catch (e) { return; }
  if (!msg || typeof msg !== 'object') return;
  if ((msg.type === 'ok' || msg.type === 'error') && 're' in msg) {
    const p = S.pending.get(msg.re);
    if (p) {
      S.pending.delete(msg.re);
      if (msg.type === 'ok') p.resolve(msg); else p.reject(msg);
    }
    return;
  }
  const handler = EVENTS[msg.type];
  if (handler) {
    try { handler(msg); } catch (e) { console.error('event', msg.type, e); }
  }
}

async function ping() {
  const t = Date.now();
  const ws = S.ws;
  // No answer in 10 s: the connection is dead even if the socket does not know it yet.
  const dead = setTimeout(() => {
    if (S.ws !== ws || !ws) return;
    S.ws = null;
    try { ws.close(); } catch (e) { /* already closing */ }
    onClose();
  }, 10000);
  try {
    const r = await send('ping', { t });
    if (typeof r.t === 'number') S.latency = Date.now() - r.t;
    renderConn();
  } catch (e) { /* the close handler deals with it */ }
  clearTimeout(dead);
}

function setConn(state) {
  S.connState = state;
  renderConn();
}

// ---------------------------------------------------------------- plain words

function errText(err, ctx) {
  const code = err && err.code;
  const c = ctx || {};
  switch (code) {
    case 'not_connected': return 'Not connected: your text is kept, send it again once the connection is back.';
    case 'muted': return 'You are muted ' + untilWords(err.until) + reasonWords(err.reason) + '.';
    case 'rate_limited': return 'Slow down: try again in ' + Math.max(1, Math.ceil((err.retry_after_ms || 1000) / 1000)) + ' s.';
    case 'blocked': return 'That message contains a filtered word.';
    case 'not_in_room': return c.room ? 'You are not in #' + c.room + ' any more.' : (c.user ? c.user + ' is not in that room.' : 'You are not in that room.');
    case 'room_full': return '#' + (c.room || 'that room') + ' is full.';
    case 'no_such_room': return 'There is no room called #' + (c.room || '?') + '.';
    case 'room_exists': return 'A room called #' + (c.room || '?') + ' already exists: join it instead.';
    case 'forbidden': return c.user ? 'You may not do that to ' + c.user + ' (their role is not below yours).' : 'You are not allowed to do that.';
    case 'no_such_user': return 'There is no user called ' + (c.user || 'that') + '.';
    case 'user_offline': return (c.user || 'That user') + ' is offline right now.';
    case 'cannot_whisper_self': return 'You cannot whisper to yourself.';
    case 'not_muted': return (c.user || 'That user') + ' is not muted there.';
    case 'not_banned': return (c.user || 'That user') + ' is not banned.';
    case 'no_such_message': return 'That message no longer exists.';
    case 'not_logged_in': return 'You are not logged in.';
    case 'unavailable': return 'The server cannot reach its database right now. Try again in a moment.';
    case 'internal': return 'Something went wrong on the server. Try again.';
    case 'bad_request':
      if (err.field === 'text') return 'That text cannot be sent (empty, too long, or with control characters).';
      if (err.field === 'room') return 'Room names are 1 to 64 of a-z, 0-9, _ and -.';
      if (err.field === 'reason') return 'That reason is too long (500 characters at most).';
      if (err.field === 'word') return 'A filter word needs a letter or digit and at most 64 characters.';
      return 'The server refused that: ' + (err.message || 'bad request') + '.';
    default: return (err && err.message) ? 'Error: ' + err.message : 'Something went wrong.';
  }
}

function loginErrText(err) {
  switch (err && err.code) {
    case 'bad_credentials': return 'Wrong username or password.';
    case 'username_taken': return 'That name is taken. If it is yours, press Log in instead.';
    case 'registration_closed': return 'This server does not let people create accounts. Ask an admin for one.';
    case 'banned': return 'This account is banned ' + (err.until ? 'until ' + fmtWhen(err.until) : 'until further notice') + reasonWords(err.reason) + '.';
    case 'rate_limited': return 'Too many failed logins from here. Try again in ' + Math.max(1, Math.ceil((err.retry_after_ms || 1000) / 1000)) + ' s.';
    case 'bad_token': return 'Your session has ended. Please log in again.';
    case 'not_connected': return 'Cannot reach the server. It will keep trying; press Log in again in a moment.';
    case 'bad_request':
      if (err.field === 'username') return 'Usernames are 1 to 32 letters, digits, _ . or -.';
      if (err.field === 'password') return 'Passwords are 8 to 72 bytes long.';
      return 'The server refused that: ' + (err.message || 'bad request') + '.';
    default: return errText(err);
  }
}

// ---------------------------------------------------------------- login

function showLogin(error) {
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

function showChat() {
  $('login-view').hidden = true;
  $('chat-view').hidden = false;
}

let loginBusy = false;
async function doLogin(register) {
  if (loginBusy) return;
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  const show = (t) => { $('login-error').textContent = t; $('login-error').hidden = !t; };
  if (!username) { show('Enter a username.'); $('login-username').focus(); return; }
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(username)) { show('Usernames are 1 to 32 letters, digits, _ . or -.'); return; }
  const bytes = new TextEncoder().encode(password).length;
  if (bytes < 8 || bytes > 72) { show('Passwords are 8 to 72 bytes long.'); $('login-password').focus(); return; }
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

async function resume() {
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

function afterLogin(r) {
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
  refreshRoomInfo();
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
  const cur = currentRoom();
  if (cur) loadMembers(cur);
}

function resetChatState() {
  S.rooms.clear();
  S.roomInfo.clear();
  S.whispers = newList('@whispers');
  S.whispers.loaded = true;
  S.whispers.hasMore = false;
  S.whisperTo = null;
  S.view = null;
  S.mutes = { global: null, rooms: new Map() };
  S.modlog = { entries: [], hasMore: false, loading: false, user: '', action: '' };
  S.filterWords = null;
  S.lastSent = '';
}

function forgetSession() {
  S.token = null;
  try { sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(ROOM_KEY); } catch (e) { /* ignore */ }
}

async function logout() {
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

function setRole(role, quiet) {
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

// ---------------------------------------------------------------- rooms and sidebar

function sortedRooms() { return [...S.rooms.keys()].sort(byName); }

async function refreshRoomInfo() {
  try {
    const r = await send('rooms');
    S.roomInfo.clear();
    for (const x of r.rooms || []) S.roomInfo.set(x.name, x);
    for (const [n, room] of S.rooms) { const x = S.roomInfo.get(n); if (x) room.capacity = x.capacity; }
    renderHead();
    return r.rooms || [];
  } catch (e) { return null; }
}

function renderSidebar() {
  const ul = $('room-list');
  ul.replaceChildren();
  for (const name of sortedRooms()) {
    const room = S.rooms.get(name);
    const active = S.view && S.view.kind === 'room' && S.view.room === name;
    const badge = h('span', { class: 'badge', 'data-test': 'unread' }, room.unread > 99 ? '99+' : String(room.unread));
    badge.hidden = !room.unread;
    const btn = h('button', {
      class: 'channel' + (active ? ' active' : '') + (room.unread ? ' has-unread' : ''),
      type: 'button', 'data-test': 'room', 'data-room': name,
      'aria-current': active ? 'page' : null,
      onclick: () => openRoom(name),
    }, h('span', { class: 'channel-icon', 'aria-hidden': 'true' }, '#'), h('span', { class: 'channel-name' }, name), badge);
    ul.append(h('li', null, btn));
  }
  if (!S.rooms.size) {
    ul.append(h('li', { class: 'channel-empty' }, h('button', { class: 'link-btn', type: 'button', onclick: openRoomsDialog }, 'Join or create a room')));
  }
  for (const [id, kind] of [['whispers-entry', 'whispers'], ['modlog-entry', 'modlog'], ['filter-entry', 'filter']]) {
    const on = !!S.view && S.view.kind === kind;
    $(id).classList.toggle('active', on);
    if (on) $(id).setAttribute('aria-current', 'page'); else $(id).removeAttribute('aria-current');
  }
  renderUnread();
}

function renderUnread() {
  for (const btn of $('room-list').querySelectorAll('[data-test="room"]')) {
    const room = S.rooms.get(btn.dataset.room);
    if (!room) continue;
    const b = btn.querySelector('[data-test="unread"]');
    b.textContent = room.unread > 99 ? '99+' : String(room.unread);
    b.hidden = !room.unread;
    btn.classList.toggle('has-unread', !!room.unread);
  }
  const w = $('whispers-unread');
  w.textContent = String(S.whispers.unread);
  w.hidden = !S.whispers.unread;
  $('whispers-entry').classList.toggle('has-unread', !!S.whispers.unread);
  let total = S.whispers.unread;
  for (const r of S.rooms.values()) total += r.unread;
  document.title = (total ? '(' + total + ') ' : '') + 'modchat';
}

function renderConn() {
  const st = $('conn-status');
  const s = S.connState;
  st.dataset.state = s;
  let text = s === 'connected' ? 'Connected' : s === 'reconnecting' ? 'Reconnecting…' : s === 'offline' ? 'Offline' : 'Connecting…';
  if (s === 'connected' && S.latency != null) text += ' · ' + S.latency + ' ms';
  st.textContent = text;
  st.title = s === 'connected' && S.latency != null ? 'Round trip to the server: ' + S.latency + ' ms' : '';
  const lc = $('login-conn');
  lc.dataset.state = s;
  const secs = Math.max(0, Math.ceil((S.retryAt - Date.now()) / 1000));
  lc.textContent = s === 'connected' ? 'Connected to ' + serverHost()
    : S.retryTimer ? 'Cannot reach ' + serverHost() + '. Retrying' + (secs ? ' in ' + secs + ' s…' : '…')
    : s === 'offline' ? 'Not connected.' : 'Connecting to ' + serverHost() + '…';
  const banner = $('conn-banner');
  const show = (s === 'reconnecting' || s === 'offline') && !$('chat-view').hidden;
  banner.hidden = !show;
  banner.dataset.state = s;
  if (show) {
    $('conn-banner-text').textContent = s === 'offline'
      ? (S.holdOff && S.holdOff.text ? S.holdOff.text : 'You are offline.')
      : S.retryTimer ? 'Connection lost. Reconnecting' + (secs ? ' in ' + secs + ' s' : '') + '… Your unsent text is kept.'
      : 'Connection lost. Reconnecting… Your unsent text is kept.';
    $('conn-retry').textContent = s === 'offline' ? 'Reconnect' : 'Retry now';
  }
  document.documentElement.style.setProperty('--banner-h', show ? banner.offsetHeight + 'px' : '0px');
}
setInterval(() => { if (S.retryTimer) renderConn(); }, 1000);

// ---------------------------------------------------------------- views

function openRoom(name) {
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

function openWhispers() {
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

function openPanelView(kind) {
  if (!isMod()) return;
  saveScroll();
  closeMenu();
  S.view = { kind };
  closeDrawers();
  renderSidebar();
  renderView();
  if (kind === 'modlog') loadModlog(true); else loadFilter();
}

function renderHead() {
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

function renderView() {
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

// ---------------------------------------------------------------- history

function msgItem(m, room) {
  return {
    key: 'm' + m.id, id: m.id, room,
    kind: sameName(m.from, S.me) ? 'mine' : 'message',
    from: m.from, text: m.text, at: m.at, deleted: !!m.deleted,
  };
}

// Merge a page of history into a room's list, by id, without duplicates.
function mergeHistory(room, messages) {
  let added = 0;
  for (const m of messages) {
    if (room.ids.has(m.id)) {
      const it = room.items.find((x) => x.id === m.id);
      if (it && m.deleted && !it.deleted) { it.deleted = true; it.text = null; }
      continue;
    }
    const item = msgItem(m, room.name);
    room.ids.add(m.id);
    room.items.splice(insertPos(room, item), 0, item);
    added++;
  }
  return added;
}

async function loadInitial(room) {
  if (room.loading) return;
  room.loading = true;
  renderTop();
  try {
    const r = await send('history', { room: room.name, limit: PAGE });
    mergeHistory(room, r.messages || []);
    room.loaded = true;
    room.hasMore = (r.messages || []).length >= PAGE;
  } catch (err) {
    if (err.code === 'not_in_room' || err.code === 'no_such_room') dropRoom(room.name);
    else if (err.code !== 'not_connected') toast(errText(err, { room: room.name }), { kind: 'error' });
  } finally {
    room.loading = false;
  }
  if (currentList() === room) renderTimeline(room, 'bottom');
}

async function loadOlder(list) {
  if (!list || list === S.whispers || list.loading || !list.hasMore || !list.loaded) return;
  const oldest = list.items.find((x) => x.id != null && x.kind !== 'whisper-in' && x.kind !== 'whisper-out');
  if (!oldest) { list.hasMore = false; renderTop(); return; }
  list.loading = true;
  renderTop();
  try {
    const r = await send('history', { room: list.name, before: oldest.id, limit: PAGE });
    const msgs = r.messages || [];
    list.hasMore = msgs.length >= PAGE;
    mergeHistory(list, msgs);
  } catch (err) {
    if (err.code !== 'not_connected') toast(errText(err, { room: list.name }), { kind: 'error' });
  } finally {
    list.loading = false;
  }
  if (currentList() === list) renderTimeline(list, 'prepend');
}

// After a reconnect: fetch recent history until it meets what we have.
async function catchUp(room) {
  const known = room.items.filter((x) => x.id != null && (x.kind === 'message' || x.kind === 'mine'));
  const last = known.length ? known[known.length - 1].id : 0;
  let before = null;
  let got = [];
  try {
    for (let i = 0; i < 10; i++) {
      const r = await send('history', Object.assign({ room: room.name, limit: 100 }, before ? { before } : {}));
      const msgs = r.messages || [];
      got = msgs.concat(got);
      if (msgs.length < 100 || !last || msgs[0].id <= last) break;
      before = msgs[0].id;
    }
  } catch (err) {
    if (err.code === 'not_in_room' || err.code === 'no_such_room') dropRoom(room.name);
    return;
  }
  const fresh = got.filter((m) => m.id > last && !room.ids.has(m.id));
  // A text whose ok was lost with the connection may have arrived after all.
  for (const f of room.items.filter((x) => x.failed && x.lostOk)) {
    if (fresh.some((m) => sameName(m.from, S.me) && m.text === f.text)) {
      room.items.splice(room.items.indexOf(f), 1);
    }
  }
  mergeHistory(room, got);
  const viewing = currentList() === room && !document.hidden;
  if (!viewing) room.unread += fresh.filter((m) => !sameName(m.from, S.me)).length;
  renderUnread();
  if (currentList() === room) renderTimeline(room, 'keep');
}

// ---------------------------------------------------------------- timeline model

const dom = new Map();   // item key -> {sep, el} for the list on screen
let shown = null;        // the list on screen

function insertPos(list, item) {
  const it = list.items;
  let end = it.length;
  while (end > 0 && (it[end - 1].pending || it[end - 1].failed)) end--;
  if (item.pending || item.failed) return it.length;
  if (item.id == null) return end;
  let j = end - 1;
  while (j >= 0 && it[j].id == null) j--;
  if (j < 0 || it[j].id < item.id) return end;
  for (let i = j; i >= 0; i--) if (it[i].id != null && it[i].id < item.id) return i + 1;
  return 0;
}

function atBottom() {
  const tl = $('timeline');
  return tl.scrollHeight - tl.scrollTop - tl.clientHeight < 48;
}
function scrollToBottom() {
  const tl = $('timeline');
  tl.scrollTop = tl.scrollHeight;
  $('jump-bottom').hidden = true;
}
function saveScroll() {
  if (!shown) return;
  shown.atBottom = atBottom();
  shown.scrollTop = $('timeline').scrollTop;
}

// Insert one live item; keeps the view pinned to the bottom when it was there.
function addItem(list, item, live) {
  if (item.id != null) {
    if (list.ids.has(item.id)) return false;
    list.ids.add(item.id);
  }
  const wasBottom = list === shown && atBottom();
  const i = insertPos(list, item);
  list.items.splice(i, 0, item);
  if (list === shown) {
    const box = $('messages');
    const next = list.items[i + 1];
    const n = nodesFor(list.items[i - 1], item);
    const anchor = next ? firstNode(next) : null;
    if (n.sep) box.insertBefore(n.sep, anchor);
    box.insertBefore(n.el, anchor);
    dom.set(item.key, n);
    if (next) rebuildAt(list, i + 1);
    if (wasBottom || (item.kind === 'mine' && item.pending)) scrollToBottom();
    else if (live) $('jump-bottom').hidden = false;
  }
  return true;
}

function removeItem(list, item) {
  const i = list.items.indexOf(item);
  if (i < 0) return;
  list.items.splice(i, 1);
  if (item.id != null) list.ids.delete(item.id);
  if (list !== shown) return;
  const d = dom.get(item.key);
  if (d) { if (d.sep) d.sep.remove(); d.el.remove(); dom.delete(item.key); }
  if (list.items[i]) rebuildAt(list, i);
}

// Redraw an item that changed (confirmed, deleted, failed).
function refreshItem(item) {
  if (!shown) return;
  const i = shown.items.indexOf(item);
  if (i >= 0) { rebuildAt(shown, i); if (shown.items[i + 1]) rebuildAt(shown, i + 1); }
}

function firstNode(item) {
  const d = dom.get(item.key);
  return d ? (d.sep || d.el) : null;
}

function rebuildAt(list, i) {
  const item = list.items[i];
  const old = dom.get(item.key);
  if (!old) return;
  const n = nodesFor(list.items[i - 1], item);
  if (old.sep) old.sep.remove();
  if (n.sep) old.el.parentNode.insertBefore(n.sep, old.el);
  old.el.replaceWith(n.el);
  dom.set(item.key, n);
}

function nodesFor(prev, item) {
  const d = toDate(item.at);
  const sep = !prev || dayKey(toDate(prev.at)) !== dayKey(d)
    ? h('div', { class: 'day-sep', role: 'separator' }, h('span', null, fmtDay(d)))
    : null;
  const grouped = !sep && !!prev && canGroup(prev, item);
  return { sep, el: buildMsgEl(item, grouped) };
}

function canGroup(prev, item) {
  if (item.kind !== 'message' && item.kind !== 'mine') return false;
  if (prev.kind !== item.kind || prev.failed || !sameName(prev.from, item.from)) return false;
  return Math.abs(toDate(item.at) - toDate(prev.at)) < 7 * 60 * 1000;
}

function renderTimeline(list, mode) {
  const tl = $('timeline');
  const box = $('messages');
  const oldHeight = tl.scrollHeight;
  const oldTop = tl.scrollTop;
  const wasBottom = atBottom();
  dom.clear();
  shown = list;
  box.replaceChildren();
  if (list) {
    const frag = document.createDocumentFragment();
    let prev = null;
    for (const item of list.items) {
      const n = nodesFor(prev, item);
      if (n.sep) frag.append(n.sep);
      frag.append(n.el);
      dom.set(item.key, n);
      prev = item;
    }
    box.append(frag);
  }
  renderTop();
  if (mode === 'prepend') tl.scrollTop = tl.scrollHeight - (oldHeight - oldTop);
  else if (mode === 'keep') { if (wasBottom) scrollToBottom(); else tl.scrollTop = oldTop; }
  else if (mode === 'restore' && list && !list.atBottom && list.scrollTop != null) tl.scrollTop = list.scrollTop;
  else scrollToBottom();
  if (atBottom()) $('jump-bottom').hidden = true;
  // A short first page may not fill the screen: fetch more so scrolling works.
  if (list && list.loaded && list.hasMore && !list.loading && tl.scrollHeight <= tl.clientHeight + 40) loadOlder(list);
}

function renderTop() {
  const top = $('timeline-top');
  top.replaceChildren();
  const list = shown;
  if (!S.view) {
    top.append(h('div', { class: 'welcome' },
      h('div', { class: 'welcome-mark', 'aria-hidden': 'true' }, '#'),
      h('h3', null, S.me ? 'Welcome, ' + S.me : 'Welcome'),
      h('p', null, 'You are not in a room yet. Browse the rooms on this server, or make a new one.'),
      h('button', { class: 'btn primary', type: 'button', onclick: openRoomsDialog }, 'Browse rooms')));
    return;
  }
  if (!list) return;
  if (list === S.whispers) {
    top.append(h('div', { class: 'welcome' },
      h('div', { class: 'welcome-mark whisper', 'aria-hidden': 'true' }, '@'),
      h('h3', null, 'Whispers'),
      h('p', null, 'Private messages between you and one other person. Click someone\'s name and choose Whisper to start. Whispers are not kept in room history: this list starts when you opened this page.')));
    return;
  }
  if (list.loading) top.append(h('div', { class: 'loading-older' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading messages…'));
  else if (list.loaded && !list.hasMore) {
    top.append(h('div', { class: 'welcome' },
      h('div', { class: 'welcome-mark', 'aria-hidden': 'true' }, '#'),
      h('h3', null, 'Welcome to #' + list.name),
      h('p', null, 'This is the start of the #' + list.name + ' room.')));
  }
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;
function fillText(el, text) {
  const s = String(text == null ? '' : text);
  let last = 0;
  for (const m of s.matchAll(URL_RE)) {
    const url = m[0].replace(/[.,;:!?)\]}'"]+$/, '');
    el.append(s.slice(last, m.index));
    el.append(h('a', { href: url, target: '_blank', rel: 'noopener noreferrer nofollow' }, url));
    last = m.index + url.length;
  }
  el.append(s.slice(last));
}

function userButton(name, content, cls) {
  return h('button', {
    class: 'user-btn' + (cls ? ' ' + cls : ''), type: 'button', title: name,
    onclick: (e) => { e.stopPropagation(); openUserMenu(name, e.currentTarget); },
  }, content);
}

function buildMsgEl(item, grouped) {
  const kind = item.kind;
  const cls = ['msg', 'kind-' + kind];
  if (grouped) cls.push('grouped');
  if (item.pending) cls.push('pending');
  if (item.failed) cls.push('failed');
  if (item.deleted) cls.push('deleted');
  const el = h('div', {
    class: cls.join(' '), 'data-test': 'message', 'data-kind': kind, 'data-from': item.from || '',
    'data-id': item.id != null ? item.id : null, 'aria-busy': item.pending ? 'true' : null,
  });
  const d = toDate(item.at);
  const text = h('div', { class: 'msg-text', 'data-test': 'message-text' });
  if (item.deleted) { text.textContent = 'message deleted'; text.classList.add('is-deleted'); }
  else fillText(text, item.text);
  const stamp = () => h('time', { class: 'msg-time', datetime: item.at, title: fmtFull(d) }, fmtStamp(d));

  if (kind === 'system') {
    el.append(h('div', { class: 'msg-gutter' }, h('span', { class: 'sys-icon', 'aria-hidden': 'true' }, item.icon || '→')),
      h('div', { class: 'msg-body' }, text, stamp()));
    return el;
  }
  const gutter = h('div', { class: 'msg-gutter' });
  const body = h('div', { class: 'msg-body' });
  const isWhisper = kind === 'whisper-in' || kind === 'whisper-out';
  if (grouped) {
    gutter.append(h('time', { class: 'hover-time', datetime: item.at, title: fmtFull(d) }, fmtTime(d)));
  } else {
    gutter.append(userButton(item.from, avatar(item.from), 'avatar-btn'));
    const head = h('div', { class: 'msg-head' });
    if (kind === 'whisper-out') {
      head.append(h('span', { class: 'author me' }, 'You'), h('span', { class: 'whisper-arrow' }, 'whispered to'),
        userButton(item.to, item.to, 'author'));
    } else {
      head.append(userButton(item.from, item.from, 'author'));
      const badge = roleBadge(roleOf(item.from));
      if (badge) head.append(badge);
      if (kind === 'whisper-in') head.append(h('span', { class: 'whisper-arrow' }, 'whispered to you'));
    }
    head.append(stamp());
    if (kind === 'whisper-in') {
      head.append(h('button', {
        class: 'btn tiny reply-btn', type: 'button', 'data-test': 'reply', title: 'Reply to ' + item.from,
        onclick: () => { replyTo(item.from); },
      }, '↩ Reply'));
    }
    body.append(head);
  }
  body.append(text);
  if (item.pending) body.append(h('div', { class: 'msg-status' }, 'Sending…'));
  if (item.failed) {
    body.append(h('div', { class: 'msg-status error' }, 'Not sent: ' + item.error + ' ',
      h('button', { class: 'link-btn', type: 'button', 'data-test': 'retry-send', onclick: () => retryFailed(item) }, 'Send again'),
      ' · ',
      h('button', { class: 'link-btn', type: 'button', 'data-test': 'dismiss-failed', onclick: () => dismissFailed(item) }, 'Dismiss')));
  }
  el.append(gutter, body);
  if (!isWhisper && item.id != null && !item.deleted && isMod() && !sameName(item.from, S.me)) {
    el.append(h('div', { class: 'msg-actions' },
      h('button', {
        class: 'icon-btn small danger', type: 'button', 'data-test': 'delete-message',
        title: 'Delete message (Shift+click: no question)', 'aria-label': 'Delete message by ' + item.from,
        onclick: (e) => confirmDelete(item, e.shiftKey),
      }, icon('trash'))));
  }
  return el;
}

// ---------------------------------------------------------------- composer

function focusComposer() {
  if (window.matchMedia('(pointer: coarse)').matches) return;
  const i = $('message-input');
  if (!$('composer').hidden && !$('dialog').open) setTimeout(() => i.focus(), 0);
}

function setWhisper(name, auto) {
  S.whisperTo = name ? { name, auto: !!auto } : null;
  renderComposer();
}

function replyTo(name) {
  closeDrawers();
  setWhisper(name);
  if (S.whispers.unread) { S.whispers.unread = 0; renderUnread(); }
  focusComposer();
}

function renderComposer() {
  const chip = $('whisper-chip');
  const input = $('message-input');
  const w = S.whisperTo;
  chip.hidden = !w;
  $('whisper-target').textContent = w ? w.name : '';
  $('composer').classList.toggle('whispering', !!w);
  const room = currentRoom();
  input.placeholder = w ? 'Whisper to ' + w.name
    : room ? 'Message #' + room.name
    : S.view && S.view.kind === 'whispers' ? 'Click Reply on a whisper, or a name, to choose who to whisper to'
    : 'Message';
  renderCount();
}

function renderCount() {
  const n = [...$('message-input').value].length;
  const c = $('char-count');
  c.textContent = n > MAX_TEXT - 200 ? (MAX_TEXT - n) + ' left' : '';
  c.classList.toggle('over', n > MAX_TEXT);
}

function autosize() {
  const i = $('message-input');
  i.style.height = 'auto';
  i.style.height = Math.min(i.scrollHeight + 2, Math.round(window.innerHeight * 0.4)) + 'px';
}

function composerError(text) {
  const e = $('composer-error');
  e.textContent = text || '';
  e.hidden = !text;
  clearTimeout(composerError.t);
  if (text) composerError.t = setTimeout(() => { e.hidden = true; }, 8000);
}

function submit() {
  const input = $('message-input');
  const text = input.value.replace(/\r/g, '');
  if (!text.trim()) return;
  const n = [...text].length;
  if (n > MAX_TEXT) { composerError('That is ' + n + ' characters; the limit is ' + MAX_TEXT + '.'); return; }
  if (!S.socketOpen || !S.loggedIn) {
    composerError('Not connected: your text is kept. Send it again once the connection is back.');
    return;
  }
  const room = currentRoom();
  if (!S.whisperTo && !room) {
    composerError('Choose who to whisper to: click Reply on a whisper, or click a name.');
    return;
  }
  composerError('');
  input.value = '';
  autosize();
  renderCount();
  S.lastSent = text;
  if (S.whisperTo) sendWhisper(S.whisperTo.name, text);
  else sendSay(room, text);
}

function pendingItem(kind, text, extra) {
  return Object.assign({ key: 'p' + (++S.seq), id: null, kind, from: S.me, text, at: new Date().toISOString(), pending: true }, extra);
}

async function sendSay(room, text, reuse) {
  const item = reuse || pendingItem('mine', text, { room: room.name });
  if (reuse) { item.failed = false; item.pending = true; item.at = new Date().toISOString(); removeItem(room, item); }
  addItem(room, item, false);
  try {
    const r = await send('say', { room: room.name, text });
    confirmItem([room], item, r);
    clearRoomMute(room.name);
  } catch (err) {
    failItem([room], item, err, { room: room.name });
  }
}

async function sendWhisper(to, text, reuse) {
  const lists = [S.whispers];
  const room = currentRoom();
  if (room && !(reuse && !room.items.includes(reuse))) lists.push(room);
  const item = reuse || pendingItem('whisper-out', text, { to });
  if (reuse) { item.failed = false; item.pending = true; item.at = new Date().toISOString(); lists.forEach((l) => removeItem(l, item)); }
  lists.forEach((l) => addItem(l, item, false));
  try {
    const r = await send('whisper', { to, text });
    confirmItem(lists, item, r);
  } catch (err) {
    failItem(lists, item, err, { user: to });
  }
}

function confirmItem(lists, item, r) {
  for (const l of lists) removeItem(l, item);
  item.pending = false;
  item.id = r.id;
  item.at = r.at || item.at;
  for (const l of lists) addItem(l, item, false);
}

function failItem(lists, item, err, ctx) {
  const msg = errText(err, ctx);
  if (err.code === 'muted') {
    // The error does not say whether the mute is global or for this room.
    const known = ctx.room && S.mutes.rooms.has(ctx.room) && !S.mutes.global;
    setMute(known ? ctx.room : null, err.until, err.reason, true, !known);
  }
  const input = $('message-input');
  if (err.code !== 'not_connected' && !input.value.trim()) {
    // Put the text back where it was typed.
    for (const l of lists) removeItem(l, item);
    input.value = item.text;
    autosize();
    renderCount();
    composerError(msg);
    return;
  }
  for (const l of lists) removeItem(l, item);
  item.pending = false;
  item.failed = true;
  item.lostOk = err.code === 'not_connected';
  item.error = err.code === 'not_connected' ? 'the connection dropped before the server answered.' : msg;
  for (const l of lists) addItem(l, item, false);
  composerError(msg);
}

function listsOf(item) {
  const out = [];
  if (S.whispers.items.includes(item)) out.push(S.whispers);
  for (const r of S.rooms.values()) if (r.items.includes(item)) out.push(r);
  return out;
}

function retryFailed(item) {
  if (!S.socketOpen || !S.loggedIn) { composerError('Not connected yet: try again once the connection is back.'); return; }
  if (item.kind === 'whisper-out') sendWhisper(item.to, item.text, item);
  else { const room = S.rooms.get(item.room); if (room) sendSay(room, item.text, item); }
}

function dismissFailed(item) {
  for (const l of listsOf(item)) removeItem(l, item);
}

// ---------------------------------------------------------------- mute state

function setMute(room, until, reason, quiet, guess) {
  const m = { until: until || null, reason: reason || null, guess: !!guess };
  if (room) S.mutes.rooms.set(room, m); else S.mutes.global = m;
  renderMute();
  if (!quiet) {
    toast('You are muted' + (room ? ' in #' + room : '') + ' ' + untilWords(until) + reasonWords(reason) + '.', { kind: 'warn', title: 'Muted' });
  }
}

// A text that went through proves there is no mute in the way.
function clearRoomMute(room) {
  if (!S.mutes.global && !S.mutes.rooms.has(room)) return;
  S.mutes.global = null;
  S.mutes.rooms.delete(room);
  renderMute();
}

function activeMute() {
  const now = Date.now();
  const live = (m) => m && (!m.until || toDate(m.until).getTime() > now);
  if (S.mutes.global && !live(S.mutes.global)) S.mutes.global = null;
  for (const [k, m] of S.mutes.rooms) if (!live(m)) S.mutes.rooms.delete(k);
  if (S.mutes.global) return Object.assign({ room: null }, S.mutes.global);
  const room = currentRoom();
  if (room && S.mutes.rooms.has(room.name) && !S.whisperTo) return Object.assign({ room: room.name }, S.mutes.rooms.get(room.name));
  return null;
}

function renderMute() {
  const m = S.loggedIn || S.me ? activeMute() : null;
  const b = $('mute-banner');
  b.hidden = !m;
  b.replaceChildren();
  if (m) {
    b.append(h('span', { class: 'mute-icon', 'aria-hidden': 'true' }, icon('muted')),
      h('span', null, 'You are muted' + (m.room ? ' in #' + m.room : '') + ' ' + untilWords(m.until) + reasonWords(m.reason) + '. You can still read.'));
  }
  clearTimeout(S.muteTimer);
  const ends = [S.mutes.global, ...S.mutes.rooms.values()].filter((x) => x && x.until).map((x) => toDate(x.until).getTime());
  if (ends.length) {
    const wait = Math.min(...ends) - Date.now() + 250;
    S.muteTimer = setTimeout(renderMute, Math.max(250, Math.min(wait, 2 ** 31 - 1)));
  }
}

// ---------------------------------------------------------------- notices

function toast(text, opts) {
  const o = opts || {};
  const box = $('notices');
  const el = h('div', { class: 'notice kind-' + (o.kind || 'info'), 'data-test': 'notice', role: o.kind === 'error' ? 'alert' : 'status' });
  const close = () => { el.classList.add('leaving'); setTimeout(() => el.remove(), 180); };
  const body = h('div', { class: 'notice-body' },
    o.title ? h('div', { class: 'notice-title' }, o.title) : null,
    h('div', { class: 'notice-text' }, text));
  const actions = h('div', { class: 'notice-actions' });
  for (const a of o.actions || []) {
    actions.append(h('button', { class: 'btn tiny', type: 'button', 'data-test': a.test || null, onclick: () => { a.run(); close(); } }, a.label));
  }
  if (o.icon) el.append(h('span', { class: 'notice-icon', 'aria-hidden': 'true' }, typeof o.icon === 'string' ? o.icon : o.icon()));
  el.append(body, actions,
    h('button', { class: 'chip-x notice-close', type: 'button', 'aria-label': 'Close', 'data-test': 'notice-close', onclick: close }, '×'));
  box.append(el);
  while (box.children.length > 6) box.firstElementChild.remove();
  if (!o.sticky) setTimeout(close, o.timeout || 7000);
  return el;
}

function systemLine(roomName, text, icon) {
  const room = S.rooms.get(roomName);
  if (!room || !room.loaded) return;
  addItem(room, { key: 's' + (++S.seq), id: null, kind: 'system', from: '', text, icon, at: new Date().toISOString() }, true);
}

function dropRoom(name) {
  if (!S.rooms.delete(name)) return;
  S.mutes.rooms.delete(name);
  if (S.view && S.view.kind === 'room' && S.view.room === name) openRoom(sortedRooms()[0] || null);
  else renderSidebar();
}

let membersTimer = null;
function membersSoon(roomName) {
  const room = S.rooms.get(roomName);
  if (!room) return;
  if (currentRoom() !== room) { room.membersStale = true; return; }
  clearTimeout(membersTimer);
  membersTimer = setTimeout(() => loadMembers(room), 400);
}

function forMember(name, fn) {
  let touched = false;
  for (const room of S.rooms.values()) {
    const m = findMember(room, name);
    if (m) { fn(m, room); touched = true; }
  }
  if (touched) { renderMembers(); renderHead(); }
}

// ---------------------------------------------------------------- events

const EVENTS = {
  message(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    if (!room.loaded) { if (!sameName(e.from, S.me)) { room.unread++; renderUnread(); } return; }
    const viewing = shown === room;
    addItem(room, msgItem(e, room.name), true);
    if (!sameName(e.from, S.me) && (!viewing || document.hidden)) { room.unread++; renderUnread(); }
  },
  whisper(e) {
    const out = sameName(e.from, S.me);
    const item = { key: 'w' + e.id, id: e.id, kind: out ? 'whisper-out' : 'whisper-in', from: e.from, to: e.to, text: e.text, at: e.at };
    addItem(S.whispers, item, true);
    const room = currentRoom();
    if (room && room.loaded) addItem(room, item, true);
    if (out) return;
    const inWhispers = S.view && S.view.kind === 'whispers';
    if (!inWhispers || document.hidden) { S.whispers.unread++; renderUnread(); }
    if (!inWhispers) {
      toast(e.text, {
        kind: 'whisper', title: e.from + ' whispered to you', icon: '@', timeout: 12000,
        actions: [{ label: 'Reply', test: 'reply', run: () => replyTo(e.from) }],
      });
    }
  },
  joined(e) {
    if (sameName(e.user, S.me)) {
      // Joined from another window of mine.
      if (!S.rooms.has(e.room)) { S.rooms.set(e.room, newList(e.room)); renderSidebar(); }
      return;
    }
    const room = S.rooms.get(e.room);
    if (!room) return;
    if (!findMember(room, e.user)) room.members.set(e.user, { name: e.user, role: roleOf(e.user) || 'user', online: true });
    systemLine(e.room, e.user + ' joined the room.', '→');
    if (room === currentRoom()) { renderMembers(); renderHead(); }
    membersSoon(e.room);
  },
  left(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    if (sameName(e.user, S.me)) {
      if (e.reason !== 'kicked') toast('You left #' + e.room + ' in another window.', { kind: 'info' });
      dropRoom(e.room);
      return;
    }
    const m = findMember(room, e.user);
    if (m) {
      // A kick from the server keeps the membership: the count does not drop.
      if (e.reason === 'kicked' && typeof e.members === 'number' && e.members === room.members.size) m.online = false;
      else room.members.delete(m.name);
    }
    systemLine(e.room, e.reason === 'kicked'
      ? e.user + ' was kicked' + (e.by ? ' by ' + e.by : '') + '.'
      : e.user + ' left the room.', e.reason === 'kicked' ? '×' : '←');
    if (room === currentRoom()) { renderMembers(); renderHead(); }
    membersSoon(e.room);
  },
  online(e) { presence(e, true); },
  offline(e) { presence(e, false); },
  kicked(e) {
    const who = e.by ? ' by ' + e.by : '';
    if (e.room) {
      toast('You were removed from #' + e.room + who + reasonWords(e.reason) + '. You may join it again.', { kind: 'warn', title: 'Kicked from #' + e.room, sticky: true });
      dropRoom(e.room);
      return;
    }
    const text = 'You were kicked from the server' + who + reasonWords(e.reason) + '.';
    S.holdOff = { text: text + ' Press Reconnect to come back.' };
    toast(text, { kind: 'error', title: 'Kicked', sticky: true });
  },
  muted(e) { setMute(e.room || null, e.until, e.reason, false); },
  unmuted(e) {
    if (e.room) S.mutes.rooms.delete(e.room); else S.mutes.global = null;
    if (S.mutes.global && S.mutes.global.guess) S.mutes.global = null;
    renderMute();
    toast((e.by ? e.by + ' unmuted you' : 'Your mute has ended') + (e.room ? ' in #' + e.room : '') + '. You can talk again.', { kind: 'ok', title: 'Unmuted' });
  },
  banned(e) {
    const text = 'You were banned' + (e.by ? ' by ' + e.by : '') + ' ' + (e.until ? 'until ' + fmtWhen(e.until) : 'until further notice') + reasonWords(e.reason) + '.';
    S.holdOff = { banned: true, text };
    forgetSession();
    toast(text, { kind: 'error', title: 'Banned', sticky: true });
  },
  role_changed(e) {
    forMember(e.user, (m) => { m.role = e.role; });
    if (sameName(e.user, S.me)) {
      const up = RANK[e.role] > RANK[S.role];
      setRole(e.role);
      toast((e.by ? e.by : 'An admin') + ' made you ' + roleWord(e.role) + '.', { kind: up ? 'ok' : 'warn', title: 'Role changed' });
    } else if (shown) {
      renderTimeline(shown, 'keep');
    }
  },
  message_deleted(e) {
    const room = S.rooms.get(e.room);
    if (!room) return;
    const item = room.items.find((x) => x.id === e.id);
    if (!item) return;
    item.deleted = true;
    item.text = null;
    if (shown === room) refreshItem(item);
  },
  announcement(e) {
    toast(e.text, { kind: 'announce', title: 'Announcement from ' + e.from, icon: () => icon('megaphone'), sticky: true });
  },
  renamed(e) {
    forMember(e.old, (m, room) => {
      room.members.delete(m.name);
      m.name = e.new;
      room.members.set(e.new, m);
      systemLine(room.name, e.old + ' is now known as ' + e.new + '.', '✎');
    });
    if (sameName(e.old, S.me)) {
      S.me = e.new;
      $('me-name').textContent = S.me;
      $('me-avatar').replaceWith(Object.assign(avatar(S.me), { id: 'me-avatar' }));
    }
    if (S.whisperTo && sameName(S.whisperTo.name, e.old)) setWhisper(e.new, S.whisperTo.auto);
  },
  shutdown(e) {
    const why = e.reason && !/^server shutting down$/i.test(e.reason) ? ' (' + e.reason + ')' : '';
    toast('The server is stopping' + why + '. This page reconnects by itself when it is back.', { kind: 'warn', title: 'Server stopping', timeout: 15000 });
  },
};

function presence(e, online) {
  const room = S.rooms.get(e.room);
  if (!room) return;
  const m = findMember(room, e.user);
  if (m) m.online = online;
  else if (online) { room.members.set(e.user, { name: e.user, role: 'user', online: true }); membersSoon(e.room); }
  if (room === currentRoom()) { renderMembers(); renderHead(); }
}

// ---------------------------------------------------------------- members

async function loadMembers(room) {
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

function renderMembers() {
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

const ACTIONS = ['kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove'];
const ACTION_LABEL = { kick: 'Kick', mute: 'Mute', unmute: 'Unmute', ban: 'Ban', unban: 'Unban', set_role: 'Role', delete_message: 'Delete', filter_block: 'Blocked', auto_mute: 'Auto-mute', filter_add: 'Filter +', filter_remove: 'Filter −' };

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
  const by = e.by || (e.action === 'set_role' ? 'The console' : 'The system');
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

// ---------------------------------------------------------------- phone drawers

function setDrawer(which) {
  const b = document.body;
  b.classList.toggle('show-sidebar', which === 'sidebar');
  b.classList.toggle('show-members', which === 'members');
  $('scrim').hidden = !which;
  $('toggle-sidebar').setAttribute('aria-expanded', String(which === 'sidebar'));
  if (innerWidth <= 960) $('toggle-members').setAttribute('aria-expanded', String(which === 'members'));
}
function closeDrawers() { setDrawer(null); }
function drawerOpen() { return document.body.classList.contains('show-sidebar') || document.body.classList.contains('show-members'); }

// ---------------------------------------------------------------- wiring

function wire() {
  $('login-form').addEventListener('submit', (e) => { e.preventDefault(); doLogin(false); });
  $('register-submit').addEventListener('click', () => doLogin(true));
  $('logout').addEventListener('click', logout);
  $('open-rooms').addEventListener('click', openRoomsDialog);
  $('whispers-entry').addEventListener('click', openWhispers);
  $('modlog-entry').addEventListener('click', () => openPanelView('modlog'));
  $('filter-entry').addEventListener('click', () => openPanelView('filter'));
  $('announce-entry').addEventListener('click', announceDialog);
  $('leave-room').addEventListener('click', leaveRoom);
  $('conn-retry').addEventListener('click', retryNow);
  $('whisper-cancel').addEventListener('click', () => { setWhisper(null); focusComposer(); });
  $('send-button').addEventListener('click', () => { submit(); focusComposer(); });
  $('jump-bottom').addEventListener('click', scrollToBottom);
  $('toggle-sidebar').addEventListener('click', () => setDrawer(document.body.classList.contains('show-sidebar') ? null : 'sidebar'));
  $('toggle-members').addEventListener('click', () => {
    if (innerWidth > 960) {
      const hide = !document.body.classList.contains('members-collapsed');
      document.body.classList.toggle('members-collapsed', hide);
      $('toggle-members').setAttribute('aria-expanded', String(!hide));
    } else setDrawer(document.body.classList.contains('show-members') ? null : 'members');
  });
  $('scrim').addEventListener('click', closeDrawers);

  const input = $('message-input');
  input.addEventListener('input', () => { autosize(); renderCount(); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    } else if (e.key === 'ArrowUp' && !input.value && S.lastSent) {
      e.preventDefault();
      input.value = S.lastSent;
      autosize();
      renderCount();
      input.setSelectionRange(input.value.length, input.value.length);
    } else if (e.key === 'Escape' && S.whisperTo && $('menu').hidden) {
      e.preventDefault();
      setWhisper(null);
    }
  });

  // Keep the "new messages" pill just above the composer, whatever its height.
  if (window.ResizeObserver) {
    new ResizeObserver(() => $('main').style.setProperty('--composer-h', $('composer').offsetHeight + 'px')).observe($('composer'));
  }
  const tl = $('timeline');
  // When the composer or the window changes size, stay pinned to the bottom.
  // (It was at the bottom if what it shrank by is all that hides the end.)
  let prevH = tl.clientHeight;
  if (window.ResizeObserver) {
    new ResizeObserver(() => {
      const hNow = tl.clientHeight;
      const shrink = prevH - hNow;
      prevH = hNow;
      if (shrink > 0 && tl.scrollHeight - tl.scrollTop - hNow <= shrink + 48) tl.scrollTop = tl.scrollHeight;
    }).observe(tl);
  }
  tl.addEventListener('scroll', () => {
    if (tl.scrollTop < 150 && shown && shown !== S.whispers) loadOlder(shown);
    if (atBottom()) $('jump-bottom').hidden = true;
  }, { passive: true });

  // Menus: keyboard, outside clicks.
  $('menu').addEventListener('keydown', (e) => {
    const items = [...$('menu').querySelectorAll('button')];
    const i = items.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = items.length;
      if (n) items[(i + (e.key === 'ArrowDown' ? 1 : -1) + n) % n].focus();
    } else if (e.key === 'Tab') {
      closeMenu(true);
    }
  });
  document.addEventListener('mousedown', (e) => {
    if (!$('menu').hidden && !$('menu').contains(e.target) && !(menuAnchor && menuAnchor.contains(e.target))) closeMenu();
  });
  window.addEventListener('resize', () => { closeMenu(); if (innerWidth > 760) closeDrawers(); });
  tl.addEventListener('scroll', () => closeMenu(), { passive: true });
  $('member-list').addEventListener('scroll', () => closeMenu(), { passive: true });

  const dlg = $('dialog');
  dlg.addEventListener('click', (e) => { if (e.target === dlg) closeDialog(); });
  dlg.addEventListener('close', () => { dlg.replaceChildren(); focusComposer(); });

  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 'k' || e.key === 'K')) {
      if (!S.loggedIn) return;
      e.preventDefault();
      if ($('dialog').open) closeDialog();
      openRoomsDialog();
      return;
    }
    if (e.key !== 'Escape' || $('dialog').open) return;
    if (!$('menu').hidden) { e.preventDefault(); closeMenu(true); return; }
    if (drawerOpen()) { e.preventDefault(); closeDrawers(); return; }
    if (S.whisperTo) { e.preventDefault(); setWhisper(null); }
  });

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    const l = currentList();
    if (l && l.unread) { l.unread = 0; renderUnread(); }
    if (S.socketOpen) ping();
  });
  window.addEventListener('online', () => { if (!S.socketOpen && !S.holdOff) retryNow(); });
}

// Read-only view of the state, for tests and the curious.
window.modchat = Object.freeze({
  get state() {
    return {
      connected: S.connState === 'connected',
      me: S.me,
      role: S.role,
      room: S.view && S.view.kind === 'room' ? S.view.room : null,
      rooms: sortedRooms(),
    };
  },
});

wire();
$('toggle-members').setAttribute('aria-expanded', String(innerWidth > 960));
setRole('user', true);
renderComposer();
autosize();
if (S.token) {
  // Resuming: show the chat frame at once instead of flashing the login form.
  showChat();
  renderView();
} else {
  showLogin('');
}
connect();
})();
