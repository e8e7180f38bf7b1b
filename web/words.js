// modchat web client: Error codes in plain words.
import { fmtWhen, untilWords, reasonWords } from './util.js';

// ---------------------------------------------------------------- plain words

export function errText(err, ctx) {
  const code = err && err.code;
  const c = ctx || {};
  switch (code) {
    case 'not_connected': return 'Not connected: your text is kept, send it again once the connection is back.';
    case 'muted': return 'You are muted ' + untilWords(err.until) + reasonWords(err.reason) + '.';
    case 'rate_limited': return 'Slow down: try again in ' + Math.max(1, Math.ceil((err.retry_after_ms || 1000) / 1000)) + ' s.';
    case 'blocked': return 'Blocked: your message contains a filtered word.';
    case 'not_in_room': return c.room ? 'You are not in #' + c.room + ' any more.' : (c.user ? c.user + ' is not in that room.' : 'You are not in that room.');
    case 'room_full': return '#' + (c.room || 'that room') + ' is full.';
    case 'no_such_room': return 'There is no room called #' + (c.room || '?') + '.';
    case 'room_exists': return 'A room called #' + (c.room || '?') + ' already exists: join it instead.';
    case 'forbidden': return c.user ? 'You may not do that to ' + c.user + ' (their role is not below yours).' : 'You are not allowed to do that.';
    case 'no_such_user': return 'There is no user called ' + (c.user || 'that') + '.';
    case 'user_offline': return (c.user || 'That user') + ' is offline right now.';
    case 'cannot_whisper_self': return 'You cannot whisper to yourself.';
    case 'not_muted': return (c.user || 'That user') + ' is not muted there.';
    case 'not_banned': return (c.user || 'That user') + ' is not banned.';
    case 'no_such_message': return 'That message no longer exists.';
    case 'not_logged_in': return 'You are not logged in.';
    case 'unavailable': return 'The server cannot reach its database right now. Try again in a moment.';
    case 'internal': return 'Something went wrong on the server. Try again.';
    case 'bad_request':
      if (err.field === 'text') return 'That text cannot be sent (empty, too long, or with control characters).';
      if (err.field === 'room') return 'Room names are 1 to 64 of a-z, 0-9, _ and -.';
      if (err.field === 'reason') return 'That reason is too long (500 characters at most).';
      if (err.field === 'word') return 'A filter word needs a letter or digit and at most 64 characters.';
      return 'The server refused that: ' + (err.message || 'bad request') + '.';
    default: return (err && err.message) ? 'Error: ' + err.message : 'Something went wrong.';
  }
}

export function loginErrText(err) {
  switch (err && err.code) {
    case 'bad_credentials': return 'Wrong username or password.';
    case 'username_taken': return 'That name is taken. If it is yours, press Log in instead.';
    case 'registration_closed': return 'This server does not let people create accounts. Ask an admin for one.';
    case 'banned': return 'This account is banned ' + (err.until ? 'until ' + fmtWhen(err.until) : 'until further notice') + reasonWords(err.reason) + '.';
    case 'rate_limited': return 'Too many failed logins from here. Try again in ' + Math.max(1, Math.ceil((err.retry_after_ms || 1000) / 1000)) + ' s.';
    case 'bad_token': return 'Your session has ended. Please log in again.';
    case 'not_connected': return 'Cannot reach the server. It will keep trying; press Log in again in a moment.';
    case 'bad_request':
      if (err.field === 'username') return 'Usernames are 1 to 32 letters, digits, _ . or -.';
      if (err.field === 'password') return 'Passwords need at least 8 characters (and at most 72 bytes).';
      return 'The server refused that: ' + (err.message || 'bad request') + '.';
    default: return errText(err);
  }
}
