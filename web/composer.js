// modchat web client: The composer: typing and sending. Each text is its
// own item in an outbox sent one at a time, in order: a text refused with
// `rate_limited` waits `retry_after_ms` and goes again, and the texts typed
// meanwhile wait behind it, each on its own (never glued together).
import { $, MAX_TEXT, untilWords, reasonWords } from './util.js';
import { S, currentList, dmOf } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { addItem, removeItem, refreshItem } from './timeline.js';
import { setMute, clearRoomMute, activeMute } from './mute.js';
import { markSeen } from './unread.js';

// ---------------------------------------------------------------- composer

export function focusComposer() {
  if (window.matchMedia('(pointer: coarse)').matches) return;
  const i = $('message-input');
  if (!$('composer').hidden && !$('dialog').open && !i.disabled) setTimeout(() => i.focus(), 0);
}

export function renderComposer() {
  const input = $('message-input');
  $('whisper-chip').hidden = true;
  const list = currentList();
  const mute = list ? activeMute() : null;
  input.disabled = !!mute;
  input.placeholder = mute
    ? 'You are muted' + (mute.room ? ' in #' + mute.room : '') + ' ' + untilWords(mute.until) + reasonWords(mute.reason)
    : !list ? 'Message'
    : list.kind === 'dm' ? 'Message @' + list.name
    : 'Message #' + list.name;
  renderCount();
}

export function renderCount() {
  const input = $('message-input');
  const n = [...input.value].length;
  const c = $('char-count');
  const over = n - MAX_TEXT;
  c.textContent = over > 0 ? over + ' over the limit' : n > MAX_TEXT - 200 ? (MAX_TEXT - n) + ' left' : '';
  c.classList.toggle('over', over > 0);
  c.dataset.test = 'char-count';
  $('send-button').disabled = over > 0 || input.disabled;
}

export function autosize() {
  const i = $('message-input');
  i.style.height = 'auto';
  const want = i.scrollHeight + 2;
  const max = Math.round(window.innerHeight * 0.4);
  i.style.height = Math.min(want, max) + 'px';
  // a scroll bar only once the text is taller than the composer may grow
  i.style.overflowY = want > max ? 'auto' : 'hidden';
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
  if (input.disabled) return;
  const text = input.value.replace(/\r/g, '');
  if (!text.trim()) return;
  const n = [...text].length;
  if (n > MAX_TEXT) { composerError((n - MAX_TEXT) + ' characters over the limit of ' + MAX_TEXT + '.'); return; }
  if (!S.socketOpen || !S.loggedIn) {
    composerError('Not connected: your text is kept. Send it again once the connection is back.');
    return;
  }
  const list = currentList();
  if (!list) return;
  markSeen();     // answering means having read
  composerError('');
  input.value = '';
  autosize();
  renderCount();
  S.lastSent = text;
  // "/me waves" is an emote, as on IRC and Discord
  const me = /^\/me\s+(\S[\s\S]*)$/.exec(text);
  const item = {
    key: 'p' + (++S.seq), id: null, kind: 'mine', from: S.me, text: me ? me[1] : text, action: !!me,
    at: new Date().toISOString(), pending: true,
    room: list.kind === 'dm' ? '@' + list.name : list.name,
  };
  addItem(list, item, false);
  enqueue(item);
}

// ---------------------------------------------------------------- outbox

const outbox = [];
let pumping = false;

function listOfItem(item) {
  return item.room && item.room.startsWith('@') ? dmOf(item.room.slice(1)) : S.rooms.get(item.room) || null;
}
function enqueue(item) { outbox.push(item); pump(); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function pump() {
  if (pumping) return;
  pumping = true;
  try {
    while (outbox.length) {
      const item = outbox[0];
      const list = listOfItem(item);
      if (!list) { outbox.shift(); continue; }
      const dm = list.kind === 'dm';
      const fields = dm ? { to: list.name, text: item.text } : { room: list.name, text: item.text };
      if (item.action) fields.action = true;
      try {
        const r = await send(dm ? 'whisper' : 'say', fields);
        outbox.shift();
        confirmItem(list, item, r);
        if (!dm) clearRoomMute(list.name);
      } catch (err) {
        if (err.code === 'rate_limited') {
          // wait, then the same text again: the order stays
          const ms = Math.max(200, Number(err.retry_after_ms) || 1000);
          item.waiting = 'Slow down: sending again in ' + Math.ceil(ms / 1000) + ' s…';
          refreshItem(item);
          await sleep(ms);
          item.waiting = null;
          refreshItem(item);
          continue;
        }
        outbox.shift();
        failItem(list, item, err, dm ? { user: list.name } : { room: list.name });
        if (err.code === 'not_connected') {
          // the rest cannot go either: each waits with "Send again"
          for (const rest of outbox.splice(0)) { const l = listOfItem(rest); if (l) failItem(l, rest, err, {}); }
        }
      }
    }
  } finally {
    pumping = false;
  }
}

function confirmItem(list, item, r) {
  removeItem(list, item);
  item.pending = false;
  item.id = r.id;
  item.at = r.at || item.at;
  addItem(list, item, false);
  if (list.kind === 'dm') list.lastAt = item.at;
}

// The contract's `blocked` carries `strikes_left`; a server that leaves it
// out gets this page's own count: three blocks in ten minutes mute.
const blocks = [];
export function blockedText(err) {
  const now = Date.now();
  blocks.push(now);
  while (blocks.length && now - blocks[0] > 10 * 60 * 1000) blocks.shift();
  const n = typeof err.strikes_left === 'number' ? err.strikes_left : Math.max(0, 3 - blocks.length);
  if (n <= 0) return 'Blocked: contains a filtered word — you are now muted for 10 minutes.';
  return 'Blocked: contains a filtered word — ' + n + ' more and you are muted for 10 minutes.';
}

function failItem(list, item, err, ctx) {
  let msg = err.code === 'blocked' ? blockedText(err) : errText(err, ctx);
  if (err.code === 'muted') {
    // the error says which mute: `room` is set for a room mute
    const room = err.room || null;
    setMute(room, err.until, err.reason, true);
    msg = '';
  }
  removeItem(list, item);
  const input = $('message-input');
  if (err.code !== 'not_connected' && !input.value.trim() && !outbox.length && currentList() === list) {
    // Put the text back where it was typed, to change it.
    input.value = item.action ? '/me ' + item.text : item.text;
    autosize();
    renderCount();
    composerError(msg);
    return;
  }
  item.pending = false;
  item.failed = true;
  item.lostOk = err.code === 'not_connected';
  item.error = err.code === 'not_connected' ? 'the connection dropped before the server answered.' : msg || errText(err, ctx);
  addItem(list, item, false);
  composerError(msg);
}

export function retryFailed(item) {
  if (!S.socketOpen || !S.loggedIn) { composerError('Not connected yet: try again once the connection is back.'); return; }
  const list = listOfItem(item);
  if (!list) return;
  removeItem(list, item);
  item.failed = false;
  item.pending = true;
  item.at = new Date().toISOString();
  addItem(list, item, false);
  enqueue(item);
}

export function dismissFailed(item) {
  const list = listOfItem(item);
  if (list) removeItem(list, item);
}
