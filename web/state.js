// modchat web client: The one state object S that the other modules read and write, and lookups on it.
import { TOKEN_KEY, RANK, sameName } from './util.js';

// ---------------------------------------------------------------- state

export function newList(name) {
  return {
    name, capacity: null, items: [], ids: new Set(), loaded: false, loading: false,
    hasMore: true, unread: 0, members: new Map(), membersLoaded: false,
    scrollTop: null, atBottom: true,
  };
}

export const S = {
  ws: null,
  connState: 'connecting',   // connecting | connected | reconnecting | offline
  socketOpen: false,
  loggedIn: false,
  everConnected: false,
  holdOff: null,             // set after a kick or ban: do not reconnect by ourselves
  retryDelay: 500,
  retryAt: 0,
  retryTimer: null,
  openWaiters: [],
  pending: new Map(),
  nextId: 1,
  seq: 0,
  latency: null,
  pingTimer: null,
  token: sessionStorage.getItem(TOKEN_KEY),
  me: null,
  role: 'user',
  rooms: new Map(),          // joined rooms: name -> list
  roomInfo: new Map(),       // from `rooms`: name -> {members, online, capacity}
  whispers: newList('@whispers'),
  whisperTo: null,
  view: null,                // {kind: 'room', room} | {kind: 'whispers'} | {kind: 'modlog'} | {kind: 'filter'}
  mutes: { global: null, rooms: new Map() },
  muteTimer: null,
  lastSent: '',
  modlog: { entries: [], hasMore: false, loading: false, user: '', action: '' },
  filterWords: null,
};
S.whispers.loaded = true;
S.whispers.hasMore = false;

export function currentRoom() {
  return S.view && S.view.kind === 'room' ? S.rooms.get(S.view.room) || null : null;
}
export function currentList() {
  if (!S.view) return null;
  if (S.view.kind === 'whispers') return S.whispers;
  return currentRoom();
}
export function isMod() { return RANK[S.role] >= 1; }
export function isAdmin() { return S.role === 'admin'; }
export function roleOf(name) {
  const room = currentRoom();
  const m = room && findMember(room, name);
  if (m) return m.role;
  for (const r of S.rooms.values()) { const x = findMember(r, name); if (x) return x.role; }
  return null;
}
export function findMember(room, name) {
  if (room.members.has(name)) return room.members.get(name);
  for (const m of room.members.values()) if (sameName(m.name, name)) return m;
  return null;
}
