// modchat web client: Phone drawers (sidebar and members).
import { $ } from './util.js';

// ---------------------------------------------------------------- phone drawers

export function setDrawer(which) {
  const b = document.body;
  b.classList.toggle('show-sidebar', which === 'sidebar');
  b.classList.toggle('show-members', which === 'members');
  $('scrim').hidden = !which;
  $('toggle-sidebar').setAttribute('aria-expanded', String(which === 'sidebar'));
  if (innerWidth <= 960) $('toggle-members').setAttribute('aria-expanded', String(which === 'members'));
}
export function closeDrawers() { setDrawer(null); }
export function drawerOpen() { return document.body.classList.contains('show-sidebar') || document.body.classList.contains('show-members'); }
