// modchat web client: Wiring the page and start-up: the entry module index.html loads.
import { $ } from './util.js';
import { S } from './state.js';
import { connect, retryNow, ping } from './net.js';
import { showLogin, showChat, doLogin, logout, setRole } from './session.js';
import { sortedRooms } from './sidebar.js';
import { openPanelView, renderView } from './views.js';
import { loadOlder } from './history.js';
import { shown, atBottom, scrollToBottom } from './timeline.js';
import { focusComposer, renderComposer, renderCount, autosize, submit } from './composer.js';
import { menuAnchor, closeMenu } from './menu.js';
import { closeDialog } from './dialog.js';
import { announceDialog } from './moderate.js';
import { openRoomsDialog, leaveRoom } from './roomsdialog.js';
import { setDrawer, closeDrawers, drawerOpen } from './drawers.js';
import { sortedDms, newDmDialog } from './dm.js';
import { markSeenSoon } from './unread.js';
import { askNotifyPermission } from './mentions.js';
import { roomSettingsDialog } from './roomsettings.js';

// ---------------------------------------------------------------- wiring

function wire() {
  $('login-form').addEventListener('submit', (e) => { e.preventDefault(); doLogin(false); });
  $('register-submit').addEventListener('click', () => doLogin(true));
  $('logout').addEventListener('click', logout);
  $('open-rooms').addEventListener('click', openRoomsDialog);
  $('open-dm').addEventListener('click', newDmDialog);
  $('room-settings').addEventListener('click', () => roomSettingsDialog());
  $('notify-enable').addEventListener('click', askNotifyPermission);
  $('modlog-entry').addEventListener('click', () => openPanelView('modlog'));
  $('filter-entry').addEventListener('click', () => openPanelView('filter'));
  $('announce-entry').addEventListener('click', announceDialog);
  $('leave-room').addEventListener('click', leaveRoom);
  $('conn-retry').addEventListener('click', retryNow);
  $('send-button').addEventListener('click', () => { submit(); focusComposer(); });
  $('jump-bottom').addEventListener('click', scrollToBottom);
  $('toggle-sidebar').addEventListener('click', () => setDrawer(document.body.classList.contains('show-sidebar') ? null : 'sidebar'));
  $('toggle-members').addEventListener('click', () => {
    if (innerWidth > 960) {
      const hide = !document.body.classList.contains('members-collapsed');
      document.body.classList.toggle('members-collapsed', hide);
      $('toggle-members').setAttribute('aria-expanded', String(!hide));
    } else setDrawer(document.body.classList.contains('show-members') ? null : 'members');
  });
  $('scrim').addEventListener('click', closeDrawers);

  const input = $('message-input');
  input.addEventListener('input', () => { autosize(); renderCount(); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    } else if (e.key === 'ArrowUp' && !input.value && S.lastSent) {
      e.preventDefault();
      input.value = S.lastSent;
      autosize();
      renderCount();
      input.setSelectionRange(input.value.length, input.value.length);
    }
  });

  // Keep the "new messages" pill just above the composer, whatever its height.
  if (window.ResizeObserver) {
    new ResizeObserver(() => $('main').style.setProperty('--composer-h', $('composer').offsetHeight + 'px')).observe($('composer'));
  }
  const tl = $('timeline');
  // When the composer or the window changes size, stay pinned to the bottom.
  // (It was at the bottom if what it shrank by is all that hides the end.)
  let prevH = tl.clientHeight;
  if (window.ResizeObserver) {
    new ResizeObserver(() => {
      const hNow = tl.clientHeight;
      const shrink = prevH - hNow;
      prevH = hNow;
      if (shrink > 0 && tl.scrollHeight - tl.scrollTop - hNow <= shrink + 48) tl.scrollTop = tl.scrollHeight;
    }).observe(tl);
  }
  tl.addEventListener('scroll', () => {
    if (tl.scrollTop < 150 && shown) loadOlder(shown);
    if (atBottom()) { $('jump-bottom').hidden = true; markSeenSoon(); }
  }, { passive: true });

  // Menus: keyboard, outside clicks.
  $('menu').addEventListener('keydown', (e) => {
    const items = [...$('menu').querySelectorAll('button')];
    const i = items.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = items.length;
      if (n) items[(i + (e.key === 'ArrowDown' ? 1 : -1) + n) % n].focus();
    } else if (e.key === 'Tab') {
      closeMenu(true);
    }
  });
  document.addEventListener('mousedown', (e) => {
    if (!$('menu').hidden && !$('menu').contains(e.target) && !(menuAnchor && menuAnchor.contains(e.target))) closeMenu();
  });
  window.addEventListener('resize', () => { closeMenu(); if (innerWidth > 760) closeDrawers(); });
  tl.addEventListener('scroll', () => closeMenu(), { passive: true });
  $('member-list').addEventListener('scroll', () => closeMenu(), { passive: true });

  const dlg = $('dialog');
  dlg.addEventListener('click', (e) => { if (e.target === dlg) closeDialog(); });
  dlg.addEventListener('close', () => { dlg.replaceChildren(); focusComposer(); });

  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 'k' || e.key === 'K')) {
      if (!S.loggedIn) return;
      e.preventDefault();
      if ($('dialog').open) closeDialog();
      openRoomsDialog();
      return;
    }
    if (e.key !== 'Escape' || $('dialog').open) return;
    if (!$('menu').hidden) { e.preventDefault(); closeMenu(true); return; }
    if (drawerOpen()) { e.preventDefault(); closeDrawers(); return; }
  });

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    markSeenSoon();
    if (S.socketOpen) ping();
  });
  window.addEventListener('focus', markSeenSoon);
  window.addEventListener('online', () => { if (!S.socketOpen && !S.holdOff) retryNow(); });
}

// Read-only view of the state, for tests and the curious.
window.modchat = Object.freeze({
  get state() {
    return {
      connected: S.connState === 'connected',
      me: S.me,
      role: S.role,
      room: S.view && S.view.kind === 'room' ? S.view.room : null,
      view: S.view ? S.view.kind : null,
      rooms: sortedRooms(),
      dms: sortedDms().map((d) => d.name),
      unread: Object.fromEntries([...S.rooms.values(), ...S.dms.values()].map((l) => [(l.kind === 'dm' ? '@' : '') + l.name, { unread: l.unread, mentions: l.mentions, lastRead: l.lastRead }])),
    };
  },
});

wire();
$('toggle-members').setAttribute('aria-expanded', String(innerWidth > 960));
setRole('user', true);
renderComposer();
autosize();
if (S.token) {
  // Resuming: show the chat frame at once instead of flashing the login form.
  showChat();
  renderView();
} else {
  showLogin('');
}
connect();
