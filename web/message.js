// modchat web client: One message on screen.
import { h, sameName, avatar, icon, roleBadge, toDate, fmtTime, fmtFull, fmtStamp, fillText } from './util.js';
import { S, isMod, roleOf, canModerateInRoom } from './state.js';
import { retryFailed, dismissFailed } from './composer.js';
import { mentionsMe, appendWithMentions } from './mentions.js';
import { openUserMenu } from './menu.js';
import { confirmDelete } from './moderate.js';

function userButton(name, content, cls) {
  return h('button', {
    class: 'user-btn' + (cls ? ' ' + cls : ''), type: 'button', title: name,
    onclick: (e) => { e.stopPropagation(); openUserMenu(name, e.currentTarget); },
  }, content);
}

export function buildMsgEl(item, grouped) {
  const kind = item.kind;
  const cls = ['msg', 'kind-' + kind];
  if (grouped) cls.push('grouped');
  if (item.pending) cls.push('pending');
  if (item.failed) cls.push('failed');
  if (item.deleted) cls.push('deleted');
  const el = h('div', {
    class: cls.join(' '), 'data-test': 'message', 'data-kind': kind, 'data-from': item.from || '',
    'data-id': item.id != null ? item.id : null, 'aria-busy': item.pending ? 'true' : null,
    'data-line': item.test || null,
  });
  const mine = kind !== 'system' && !item.deleted && mentionsMe(item.text) && !sameName(item.from, S.me);
  if (mine) el.classList.add('mentions-me');
  const d = toDate(item.at);
  const text = h('div', { class: 'msg-text', 'data-test': 'message-text' });
  if (item.deleted) { text.textContent = 'message deleted'; text.classList.add('is-deleted'); }
  else if (item.action) {
    // an emote reads as a sentence about its author: "* alice waves"
    text.classList.add('is-action');
    text.append(h('span', { class: 'action-star', 'aria-hidden': 'true' }, '* '), h('b', {}, item.from || ''), ' ');
    const rest = h('span', {});
    fillText(rest, item.text, appendWithMentions);
    text.append(rest);
  } else if (kind === 'system') fillText(text, item.text);
  else fillText(text, item.text, appendWithMentions);
  const stamp = () => h('time', { class: 'msg-time', datetime: item.at, title: fmtFull(d) }, fmtStamp(d));

  if (kind === 'system') {
    el.append(h('div', { class: 'msg-gutter' }, h('span', { class: 'sys-icon', 'aria-hidden': 'true' }, item.icon || '→')),
      h('div', { class: 'msg-body' }, text, stamp()));
    return el;
  }
  const gutter = h('div', { class: 'msg-gutter' });
  const body = h('div', { class: 'msg-body' });
  if (grouped) {
    gutter.append(h('time', { class: 'hover-time', datetime: item.at, title: fmtFull(d) }, fmtTime(d)));
  } else {
    gutter.append(userButton(item.from, avatar(item.from), 'avatar-btn'));
    const head = h('div', { class: 'msg-head' });
    head.append(userButton(item.from, item.from, 'author'));
    const badge = roleBadge(roleOf(item.from));
    if (badge) head.append(badge);
    head.append(stamp());
    body.append(head);
  }
  body.append(text);
  if (item.pending) body.append(h('div', { class: 'msg-status', 'data-test': 'msg-status' }, item.waiting || 'Sending…'));
  if (item.failed) {
    body.append(h('div', { class: 'msg-status error' }, 'Not sent: ' + item.error + ' ',
      h('button', { class: 'link-btn', type: 'button', 'data-test': 'retry-send', onclick: () => retryFailed(item) }, 'Send again'),
      ' · ',
      h('button', { class: 'link-btn', type: 'button', 'data-test': 'dismiss-failed', onclick: () => dismissFailed(item) }, 'Dismiss')));
  }
  el.append(gutter, body);
  const room = item.room && !item.room.startsWith('@') ? S.rooms.get(item.room) : null;
  if (room && item.id != null && !item.deleted && (isMod() ? !sameName(item.from, S.me) : canModerateInRoom(room, item.from))) {
    el.append(h('div', { class: 'msg-actions' },
      h('button', {
        class: 'icon-btn small danger', type: 'button', 'data-test': 'delete-message',
        title: 'Delete message (Shift+click: no question)', 'aria-label': 'Delete message by ' + item.from,
        onclick: (e) => confirmDelete(item, e.shiftKey),
      }, icon('trash'))));
  }
  return el;
}
