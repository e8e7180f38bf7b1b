// modchat web client: Mentions of me (`@name`, any letter case) and browser
// notifications.
//
// Notifications: asked for only on a click (the "Enable notifications"
// link in the sidebar, or the first message sent), shown only while the
// tab is hidden, for a mention or a direct message, one per conversation
// at a time (a tag per room or person replaces the previous one), at most
// one every 5 s per conversation.
import { $, h } from './util.js';
import { S } from './state.js';

function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'); }

// `@name` of mine, not inside a longer name: "@bob" but not "@bobby" or "x@bob".
export function mentionRe() {
  if (!S.me) return null;
  return new RegExp('(^|[^\\w.@-])(@' + escapeRe(S.me) + ')(?![\\w-]|\\.\\w)', 'gi');
}
export function mentionsMe(text) {
  const re = mentionRe();
  return !!re && text != null && re.test(String(text));
}

// Text with my mentions wrapped in a highlight, for fillText's plain parts.
export function appendWithMentions(el, s) {
  const re = mentionRe();
  if (!re) { el.append(s); return; }
  let last = 0;
  for (const m of s.matchAll(re)) {
    const start = m.index + m[1].length;
    el.append(s.slice(last, start));
    el.append(h('span', { class: 'mention', 'data-test': 'mention' }, m[2]));
    last = start + m[2].length;
  }
  el.append(s.slice(last));
}

// ---------------------------------------------------------------- notifications

const canNotify = () => typeof Notification !== 'undefined';
const lastShown = new Map();

export function renderNotifyButton() {
  const b = $('notify-enable');
  b.hidden = !canNotify() || Notification.permission !== 'default' || !S.loggedIn;
}

// Only from a user gesture: browsers refuse (or nag) otherwise.
export function askNotifyPermission() {
  if (!canNotify() || Notification.permission !== 'default') return;
  try {
    const p = Notification.requestPermission(renderNotifyButton);
    if (p && p.then) p.then(renderNotifyButton, renderNotifyButton);
  } catch (e) { /* old browsers */ }
}

export function notify(title, body, tag, onClick) {
  if (!canNotify() || Notification.permission !== 'granted' || !document.hidden) return;
  const now = Date.now();
  if (now - (lastShown.get(tag) || 0) < 5000) return;
  lastShown.set(tag, now);
  try {
    const n = new Notification(title, { body: String(body || '').slice(0, 200), tag });
    n.onclick = () => { window.focus(); if (onClick) onClick(); n.close(); };
  } catch (e) { /* e.g. Android Chrome wants a service worker */ }
}
