// modchat web client: The WebSocket: connecting, requests and replies, reconnecting with resume; errors in plain words; logging in and out.
'use strict';

// ---------------------------------------------------------------- connection

// Only the server this page came from: the password typed here goes to no
// other (no parameter or setting points the socket elsewhere, and the
// Content-Security-Policy allows no other connect target).
function serverHost() {
  return location.host;
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
