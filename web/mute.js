// modchat web client: Being muted: state and the banner.
import { $, h, icon, toDate, untilWords, reasonWords } from './util.js';
import { S, currentRoom } from './state.js';
import { renderComposer } from './composer.js';

// ---------------------------------------------------------------- mute state

// One place says it: the banner above the composer, which is disabled
// meanwhile (no toast besides, no error under it).
export function setMute(room, until, reason, by) {
  const m = { until: until || null, reason: reason || null, by: by || null };
  if (room) S.mutes.rooms.set(room, m); else S.mutes.global = m;
  renderMute();
}

// A text that went through proves there is no mute in the way.
export function clearRoomMute(room) {
  if (!S.mutes.global && !S.mutes.rooms.has(room)) return;
  S.mutes.global = null;
  S.mutes.rooms.delete(room);
  renderMute();
}

export function activeMute() {
  const now = Date.now();
  const live = (m) => m && (!m.until || toDate(m.until).getTime() > now);
  if (S.mutes.global && !live(S.mutes.global)) S.mutes.global = null;
  for (const [k, m] of S.mutes.rooms) if (!live(m)) S.mutes.rooms.delete(k);
  if (S.mutes.global) return Object.assign({ room: null }, S.mutes.global);
  const room = currentRoom();
  if (room && S.mutes.rooms.has(room.name)) return Object.assign({ room: room.name }, S.mutes.rooms.get(room.name));
  return null;
}

export function renderMute() {
  const m = S.loggedIn || S.me ? activeMute() : null;
  const b = $('mute-banner');
  b.hidden = !m;
  b.replaceChildren();
  if (m) {
    b.append(h('span', { class: 'mute-icon', 'aria-hidden': 'true' }, icon('muted')),
      h('span', { 'data-test': 'mute-text' }, 'You are muted' + (m.room ? ' in #' + m.room : '') + (m.by ? ' by ' + m.by : '') + ' ' + untilWords(m.until) + reasonWords(m.reason) + '. You can still read.'));
    $('composer-error').hidden = true;
  }
  renderComposer();
  clearTimeout(S.muteTimer);
  const ends = [S.mutes.global, ...S.mutes.rooms.values()].filter((x) => x && x.until).map((x) => toDate(x.until).getTime());
  if (ends.length) {
    const wait = Math.min(...ends) - Date.now() + 250;
    S.muteTimer = setTimeout(renderMute, Math.max(250, Math.min(wait, 2 ** 31 - 1)));
  }
}
