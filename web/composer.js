// modchat web client: The composer: typing, sending, pending and failed texts.
import { $, MAX_TEXT } from './util.js';
import { S, currentRoom } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { renderUnread } from './sidebar.js';
import { addItem, removeItem } from './timeline.js';
import { setMute, clearRoomMute } from './mute.js';
import { closeDrawers } from './drawers.js';

// ---------------------------------------------------------------- composer

export function focusComposer() {
  if (window.matchMedia('(pointer: coarse)').matches) return;
  const i = $('message-input');
  if (!$('composer').hidden && !$('dialog').open) setTimeout(() => i.focus(), 0);
}

export function setWhisper(name, auto) {
  S.whisperTo = name ? { name, auto: !!auto } : null;
  renderComposer();
}

export function replyTo(name) {
  closeDrawers();
  setWhisper(name);
  if (S.whispers.unread) { S.whispers.unread = 0; renderUnread(); }
  focusComposer();
}

export function renderComposer() {
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

export function renderCount() {
  const n = [...$('message-input').value].length;
  const c = $('char-count');
  c.textContent = n > MAX_TEXT - 200 ? (MAX_TEXT - n) + ' left' : '';
  c.classList.toggle('over', n > MAX_TEXT);
}

export function autosize() {
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

export function submit() {
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
  // "/me waves" is an emote, as on IRC and Discord
  const me = /^\/me\s+(\S[\s\S]*)$/.exec(text);
  const body = me ? me[1] : text;
  const opts = me ? { action: true } : {};
  if (S.whisperTo) sendWhisper(S.whisperTo.name, body, null, opts);
  else sendSay(room, body, null, opts);
}

function pendingItem(kind, text, extra) {
  return Object.assign({ key: 'p' + (++S.seq), id: null, kind, from: S.me, text, at: new Date().toISOString(), pending: true }, extra);
}

async function sendSay(room, text, reuse, opts) {
  const action = !!(reuse ? reuse.action : opts && opts.action);
  const item = reuse || pendingItem('mine', text, { room: room.name, action });
  if (reuse) { item.failed = false; item.pending = true; item.at = new Date().toISOString(); removeItem(room, item); }
  addItem(room, item, false);
  try {
    const r = await send('say', action ? { room: room.name, text, action } : { room: room.name, text });
    confirmItem([room], item, r);
    clearRoomMute(room.name);
  } catch (err) {
    failItem([room], item, err, { room: room.name });
  }
}

async function sendWhisper(to, text, reuse, opts) {
  const action = !!(reuse ? reuse.action : opts && opts.action);
  const lists = [S.whispers];
  const room = currentRoom();
  if (room && !(reuse && !room.items.includes(reuse))) lists.push(room);
  const item = reuse || pendingItem('whisper-out', text, { to, action });
  if (reuse) { item.failed = false; item.pending = true; item.at = new Date().toISOString(); lists.forEach((l) => removeItem(l, item)); }
  lists.forEach((l) => addItem(l, item, false));
  try {
    const r = await send('whisper', action ? { to, text, action } : { to, text });
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

export function retryFailed(item) {
  if (!S.socketOpen || !S.loggedIn) { composerError('Not connected yet: try again once the connection is back.'); return; }
  if (item.kind === 'whisper-out') sendWhisper(item.to, item.text, item);
  else { const room = S.rooms.get(item.room); if (room) sendSay(room, item.text, item); }
}

export function dismissFailed(item) {
  for (const l of listsOf(item)) removeItem(l, item);
}
