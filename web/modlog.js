// modchat web client: The moderation log panel.
import { h, roleWord, toDate, fmtFull, fmtStamp, untilWords } from './util.js';
import { S } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { renderPanel } from './views.js';
import { toast } from './notices.js';

// ---------------------------------------------------------------- moderation log and word filter

const ACTIONS = ['kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove', 'set_password', 'set_room_role', 'set_topic', 'set_capacity', 'delete_room'];
// Words people read, in the filter and on each entry (never the raw codes).
const ACTION_LABEL = {
  kick: 'Kick', mute: 'Mute', unmute: 'Unmute', ban: 'Ban', unban: 'Unban', set_role: 'Role change',
  delete_message: 'Message deleted', filter_block: 'Filtered text', auto_mute: 'Automatic mute',
  filter_add: 'Filter word added', filter_remove: 'Filter word removed', set_password: 'Password change',
  set_room_role: 'Room op', set_topic: 'Topic', set_capacity: 'Capacity', delete_room: 'Room deleted',
};
// An entry's tag: a kick, mute or ban in one room says so.
function tagOf(e) {
  const base = ACTION_LABEL[e.action] || e.action;
  if (e.room && ['kick', 'mute', 'unmute', 'ban', 'unban'].includes(e.action)) return 'Room ' + base.toLowerCase();
  return base;
}

export async function loadModlog(fresh) {
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
  const by = e.by || (e.action === 'set_role' || e.action === 'set_password' ? 'The console' : 'The system');
  const t = e.target || 'someone';
  const inRoom = e.room ? ' in #' + e.room : '';
  switch (e.action) {
    case 'kick': return by + ' kicked ' + t + (e.room ? ' from #' + e.room : ' from the server');
    case 'mute': return by + ' muted ' + t + inRoom + ' ' + untilWords(e.until);
    case 'unmute': return by + ' unmuted ' + t + inRoom;
    case 'ban': return by + ' banned ' + t + (e.room ? ' from #' + e.room : '') + ' ' + untilWords(e.until);
    case 'unban': return by + ' lifted the ban on ' + t + inRoom;
    case 'set_room_role': return by + (e.detail === 'op' ? ' made ' + t + ' an op' : ' made ' + t + ' a regular member') + inRoom;
    case 'set_topic': return by + (e.detail ? ' set the topic' + inRoom + ' to “' + e.detail + '”' : ' cleared the topic' + inRoom);
    case 'set_capacity': return by + ' set the capacity' + inRoom + ' to ' + (e.detail || '?');
    case 'delete_room': return by + ' deleted #' + (e.room || '?');
    case 'set_role': return by + ' made ' + t + ' ' + roleWord(e.detail);
    case 'delete_message': return by + ' deleted a message by ' + t + inRoom + (e.detail ? ' (#' + e.detail + ')' : '');
    case 'filter_block': return 'The filter blocked a text from ' + t + inRoom + (e.detail ? ' (“' + e.detail + '”)' : '');
    case 'auto_mute': return 'The filter muted ' + t + ' ' + untilWords(e.until);
    case 'filter_add': return by + ' added “' + (e.detail || '?') + '” to the filter';
    case 'filter_remove': return by + ' removed “' + (e.detail || '?') + '” from the filter';
    case 'set_password': return by + ' changed the password of ' + t + ' and closed its sessions';
    default: return by + ': ' + e.action + ' ' + t;
  }
}

export function renderModlog(p) {
  const ml = S.modlog;
  const user = h('input', { type: 'search', placeholder: 'Target user', value: ml.user, 'data-test': 'modlog-user', 'aria-label': 'Target user' });
  const action = h('select', { 'data-test': 'modlog-action', 'aria-label': 'Action' },
    h('option', { value: '' }, 'All actions'), ACTIONS.map((a) => h('option', { value: a, selected: a === ml.action }, ACTION_LABEL[a])));
  const apply = () => { ml.user = user.value.trim(); ml.action = action.value; loadModlog(true); };
  user.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
  action.addEventListener('change', apply);
  const rows = h('ol', { class: 'modlog-list' });
  for (const e of ml.entries) {
    const d = toDate(e.at);
    rows.append(h('li', { class: 'modlog-entry', 'data-test': 'modlog-entry', 'data-action': e.action, 'data-id': e.id },
      h('span', { class: 'action-tag act-' + e.action }, tagOf(e)),
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
