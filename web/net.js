// modchat web client: The WebSocket: connecting, one reply per request, pings, reconnecting.
import { S } from './state.js';
import { showLogin, resume } from './session.js';
import { renderConn } from './sidebar.js';
import { EVENTS } from './events.js';

// ---------------------------------------------------------------- connection

// Only the server this page came from: the password typed here goes to no
// other (no parameter or setting points the socket elsewhere, and the
// Content-Security-Policy allows no other connect target).
export function serverHost() {
  return location.host;
}
function wsUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + serverHost() + '/ws';
}

export function connect() {
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

export function retryNow() {
  S.holdOff = null;
  S.retryDelay = 500;
  clearTimeout(S.retryTimer);
  connect();
}

export function ensureConnected(ms = 8000) {
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
export function send(type, fields) {
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

export async function ping() {
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

export function setConn(state) {
  S.connState = state;
  renderConn();
}
