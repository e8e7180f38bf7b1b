// modchat web client: The moderation log panel.
import { h, roleWord, toDate, fmtFull, fmtStamp, untilWords } from './util.js';
import { S } from './state.js';
import { send } from './net.js';
import { errText } from './words.js';
import { renderPanel } from './views.js';
import { toast } from './notices.js';

// ---------------------------------------------------------------- moderation log and word filter

const ACTIONS = ['kick', 'mute', 'unmute', 'ban', 'unban', 'set_role', 'delete_message', 'filter_block', 'auto_mute', 'filter_add', 'filter_remove', 'set_password'];
const ACTION_LABEL = { kick: 'Kick', mute: 'Mute', unmute: 'Unmute', ban: 'Ban', unban: 'Unban', set_role: 'Role', delete_message: 'Delete', filter_block: 'Blocked', auto_mute: 'Auto-mute', filter_add: 'Filter +', filter_remove: 'Filter −', set_password: 'Password' };

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
    case 'ban': return by + ' banned ' + t + ' ' + untilWords(e.until);
    case 'unban': return by + ' lifted the ban on ' + t;
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
    h('option', { value: '' }, 'All actions'), ACTIONS.map((a) => h('option', { value: a, selected: a === ml.action }, ACTION_LABEL[a] + ' (' + a + ')')));
  const apply = () => { ml.user = user.value.trim(); ml.action = action.value; loadModlog(true); };
  user.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
  action.addEventListener('change', apply);
  const rows = h('ol', { class: 'modlog-list' });
  for (const e of ml.entries) {
    const d = toDate(e.at);
    rows.append(h('li', { class: 'modlog-entry', 'data-test': 'modlog-entry', 'data-action': e.action, 'data-id': e.id },
      h('span', { class: 'action-tag act-' + e.action }, ACTION_LABEL[e.action] || e.action),
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
