// modchat web client: The one state object S that the other modules read and write, and lookups on it.
import { TOKEN_KEY, RANK, sameName } from './util.js';

// ---------------------------------------------------------------- state

// A timeline: a room (kind 'room', name its name) or a direct-message
// conversation (kind 'dm', name the other person's name).
export function newList(name, kind) {
  return {
    name, kind: kind || 'room', capacity: null, items: [], ids: new Set(), loaded: false, loading: false,
    hasMore: true, unread: 0, mentions: 0, lastRead: null, newFrom: null, lastAt: null,
    members: new Map(), membersLoaded: false, topic: '', topicBy: null, topicAt: null,
    scrollTop: null, atBottom: true,
  };
}
// What `history` and `mark_read` need to name a list.
export function target(list) {
  return list.kind === 'dm' ? { with: list.name } : { room: list.name };
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
  dms: new Map(),            // direct-message conversations: lower-case name -> list
  userRoles: new Map(),      // site roles seen in member lists: lower-case name -> role
  view: null,                // {kind: 'room', room} | {kind: 'dm', with} | {kind: 'modlog'} | {kind: 'filter'} | {kind: 'removed', room, title, text}
  mutes: { global: null, rooms: new Map() },
  muteTimer: null,
  lastSent: '',
  modlog: { entries: [], hasMore: false, loading: false, user: '', action: '' },
  filterWords: null,
};

export function currentRoom() {
  return S.view && S.view.kind === 'room' ? S.rooms.get(S.view.room) || null : null;
}
export function currentDm() {
  return S.view && S.view.kind === 'dm' ? S.dms.get(S.view.with.toLowerCase()) || null : null;
}
export function currentList() {
  return currentRoom() || currentDm();
}
export function dmOf(name) { return S.dms.get(String(name).toLowerCase()) || null; }
export function listOf(t) {
  return t.kind === 'dm' ? dmOf(t.name) : S.rooms.get(t.name) || null;
}
export function isMod() { return RANK[S.role] >= 1; }
export function isAdmin() { return S.role === 'admin'; }
// A site role known for this name: from any member list seen, so a
// message's badge does not depend on which list loaded first.
export function roleOf(name) {
  if (name == null) return null;
  const known = S.userRoles.get(String(name).toLowerCase());
  if (known) return known;
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

// My room role in a room: owner, op or member.
export function myRoomRole(room) {
  const m = room && findMember(room, S.me);
  return (m && m.room_role) || 'member';
}
const ROOM_RANK = { member: 0, op: 1, owner: 2 };
// May I run this room (topic, capacity, room bans)? Its owner and ops, and staff.
export function runsRoom(room) {
  return !!room && (isMod() || ROOM_RANK[myRoomRole(room)] >= 1);
}
export function ownsRoom(room) {
  return !!room && (isMod() || myRoomRole(room) === 'owner');
}
// May I kick, mute or ban this person in this room (the rank rule of
// docs/protocol.md; the server checks again)?
export function canModerateInRoom(room, name) {
  if (!room || sameName(name, S.me)) return false;
  const r = roleOf(name);
  if (isMod()) return isAdmin() || r == null || RANK[r] < RANK[S.role];
  if (r && r !== 'user') return false;
  const m = findMember(room, name);
  return ROOM_RANK[myRoomRole(room)] > ROOM_RANK[(m && m.room_role) || 'member'];
}
export function rememberRoles(members) {
  let changed = false;
  for (const m of members) {
    if (!m || !m.name || !m.role) continue;
    const k = m.name.toLowerCase();
    if (S.userRoles.get(k) !== m.role) { S.userRoles.set(k, m.role); changed = true; }
  }
  return changed;
}
