// modchat web client: Toasts.
import { $, h } from './util.js';

// ---------------------------------------------------------------- notices

export function toast(text, opts) {
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
  while (box.children.length > 4) box.firstElementChild.remove();
  // every toast goes by itself: none stays over the timeline until dismissed
  setTimeout(close, Math.min(o.timeout || 6000, 15000));
  return el;
}
