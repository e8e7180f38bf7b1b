// modchat web client: Small helpers: building DOM nodes, names, avatars, icons, times in words, links in text.
// Plain JavaScript modules, no build step. Server text is never parsed as
// HTML: every node is built with createElement and textContent.

// concern into classic scripts that share one global scope (index.html
// loads them in order). Server text is never parsed as HTML: every node is
// built with createElement and textContent.
//

// ---------------------------------------------------------------- helpers

export const $ = (id) => document.getElementById(id);

export function h(tag, attrs, ...children) {
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

export const TOKEN_KEY = 'modchat.token';
export const ROOM_KEY = 'modchat.room';
export const MAX_TEXT = 2000;
export const PAGE = 50;
export const RANK = { user: 0, moderator: 1, admin: 2 };
export const DURATIONS = [
  ['1m', '1 minute', 60], ['10m', '10 minutes', 600], ['1h', '1 hour', 3600],
  ['1d', '1 day', 86400], ['forever', 'Until lifted', null],
];

export function sameName(a, b) {
  return a != null && b != null && String(a).toLowerCase() === String(b).toLowerCase();
}
export function byName(a, b) {
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
export function avatar(name, extraClass) {
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
export function icon(name) {
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

export function roleBadge(role) {
  if (role === 'admin') return h('span', { class: 'role-badge admin', title: 'Admin' }, 'admin');
  if (role === 'moderator') return h('span', { class: 'role-badge mod', title: 'Moderator' }, 'mod');
  return null;
}
export function roleWord(role) {
  return role === 'admin' ? 'an admin' : role === 'moderator' ? 'a moderator' : 'a regular user';
}

// Times: the server speaks UTC, people read local time.
export function toDate(iso) { const d = new Date(iso); return isNaN(d) ? new Date() : d; }
export function dayKey(d) { return d.getFullYear() + '-' + d.getMonth() + '-' + d.getDate(); }
export function fmtTime(d) { return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); }
export function fmtFull(d) { return d.toLocaleString([], { dateStyle: 'full', timeStyle: 'medium' }); }
export function fmtDay(d) {
  const now = new Date();
  const y = new Date(now); y.setDate(now.getDate() - 1);
  if (dayKey(d) === dayKey(now)) return 'Today';
  if (dayKey(d) === dayKey(y)) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}
export function fmtStamp(d) {
  const day = fmtDay(d);
  if (day === 'Today' || day === 'Yesterday') return day + ' at ' + fmtTime(d);
  return d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' }) + ' ' + fmtTime(d);
}
export function fmtWhen(iso) {
  const d = toDate(iso);
  if (dayKey(d) === dayKey(new Date())) return fmtTime(d);
  return d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
export function untilWords(iso) { return iso ? 'until ' + fmtWhen(iso) : 'until it is lifted'; }
export function reasonWords(reason) { return reason ? ' (' + reason + ')' : ''; }

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;
// Text with its links made clickable; `plain` appends the parts between
// links (e.g. with mentions highlighted).
export function fillText(el, text, plain) {
  const s = String(text == null ? '' : text);
  const put = plain || ((e, t) => e.append(t));
  let last = 0;
  for (const m of s.matchAll(URL_RE)) {
    const url = m[0].replace(/[.,;:!?)\]}'"]+$/, '');
    put(el, s.slice(last, m.index));
    el.append(h('a', { href: url, target: '_blank', rel: 'noopener noreferrer nofollow' }, url));
    last = m.index + url.length;
  }
  put(el, s.slice(last));
}
