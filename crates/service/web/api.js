// The server's public API with the signed-in user's token. Error answers become readable
// messages; a 401 refreshes the token once and tries again.

import { tokens, refresh } from './auth.js';

const MESSAGES = {
  'COLLECTION-FULL': 'Your collection is full: delete some tracks or playlists before adding more.',
  'COLLECTION-PLAYLIST-FULL': 'This playlist is full: remove some tracks before adding more.',
  'COLLECTION-INVALID-PLAYLIST-REORDER': 'The playlist changed; reload it and try again.',
  'COLLECTION-CONCURRENT-UPDATE': 'Your collection changed elsewhere; the list was reloaded.',
  'COLLECTION-INVALID-ID': 'That item is no longer in your collection.',
  'CATALOG-INVALID-ID': 'That item is not in the catalog.',
  'COLLECTION-INVALID-PLAYLIST-INFO': 'A playlist name must have 1 to 256 characters.',
  'TOO-MANY-REQUESTS': 'Too many requests: wait a moment and try again.',
  'AUTHORIZATION-TOKEN-EXPIRED': 'Your session has expired; please sign in again.',
  'INVALID-AUTHORIZATION-HEADER': 'Your session has ended; please sign in again.',
};

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function readable(status, body) {
  const err = body && body.Error;
  const code = err && (err.ErrorCode || '').replace(/_/g, '-');
  if (code && MESSAGES[code]) return new ApiError(MESSAGES[code], code, status);
  if (err && err.Description) return new ApiError(err.Description, code, status);
  if (status === 507) return new ApiError('The server has no storage space left; nothing was changed.', code, status);
  if (status >= 500) return new ApiError('The server could not do this now; try again later.', code, status);
  return new ApiError(`The request failed (${status}).`, code, status);
}

export class SessionEnded extends Error {}

async function call(method, path, body, retried = false) {
  const t = tokens();
  if (!t) throw new SessionEnded('Please sign in.');
  const headers = { Authorization: `Bearer ${t.access}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError('The server cannot be reached; check your connection.', 'NETWORK', 0);
  }
  const data = await r.json().catch(() => null);
  if (r.status === 401 && !retried) {
    if (await refresh()) return call(method, path, body, true);
    throw new SessionEnded('Your session has ended; please sign in again.');
  }
  if (!r.ok) throw readable(r.status, data);
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);

export function profile() {
  return get('/1/user/music/profile');
}

export function browse(kind, orderBy, continuation) {
  const q = new URLSearchParams({ maxItems: '25' });
  if (orderBy) q.set('orderBy', orderBy);
  if (continuation) q.set('continuationToken', continuation);
  return get(`/1/content/music/collection/${kind}/browse?${q}`);
}

export function playlistTracks(id, continuation) {
  return get(`/1/content/${encodeURIComponent(id)}/collection/playlist/tracks/browse?${paged(continuation)}`);
}

/** A page of `q` (maxItems and a continuation token, if there is one). */
function paged(continuation) {
  const q = new URLSearchParams({ maxItems: '25' });
  if (continuation) q.set('continuationToken', continuation);
  return q;
}

/** The tracks of an album (`uri-browse-sub-items.md`): `catalog`, or `collection` for the user's own. */
export function albumTracks(id, source, continuation) {
  return get(`/1/content/${encodeURIComponent(id)}/${source}/album/tracks/browse?${paged(continuation)}`);
}

/** The albums of an artist of the user's collection (`uri-browse-sub-items.md`). */
export function artistAlbums(id, continuation) {
  return get(`/1/content/${encodeURIComponent(id)}/collection/artist/albums/browse?${paged(continuation)}`);
}

/** Recently deleted `tracks` or `playlists`, newest deletion first (the server's extension). */
export function deleted(kind, continuation) {
  return get(`/1/content/music/collection/deleted/${kind}/browse?${paged(continuation)}`);
}

/** Restores deleted tracks (`TrackIds`) or playlists (`PlaylistIds`). */
export function restore(body) {
  return post('/1/content/music/collection/restore', body);
}

export function search(q, source) {
  const p = new URLSearchParams({ q, source, maxItems: '25' });
  return get(`/1/content/music/search?${p}`);
}

export function addTracks(ids) {
  return post('/1/content/music/collection/add', { TrackIds: ids });
}

export function deleteTracks(ids) {
  return post('/1/content/music/collection/delete', { TrackIds: ids });
}

export function createPlaylist(name) {
  return post('/1/content/music/collection/playlists/create', { Name: name, IsPublished: false });
}

export function updatePlaylist(body) {
  return post('/1/content/music/collection/playlists/update', body);
}

export function deletePlaylist(id) {
  return post('/1/content/music/collection/playlists/delete', { Id: id });
}

/** The failed items of a TrackActionResponse / PlaylistActionResponse, as messages. */
export function failures(results) {
  return (results || []).filter((r) => r.Error).map((r) => readable(400, { Error: r.Error }).message);
}

/**
 * The failed items of a restore, as messages naming each item (`nameOf(inputId)`). An item
 * that cannot come back is told apart from a full collection.
 */
export function restoreFailures(results, nameOf) {
  return (results || []).filter((r) => r.Error).map((r) => {
    const name = `“${nameOf(r.InputId)}”`;
    if (noLongerDeleted(r.Error)) {
      return `${name} can no longer be restored: it was restored already, or it was deleted too long ago.`;
    }
    if (codeOf(r.Error) === 'COLLECTION-INVALID-ID') {
      return `${name} is in your collection again: it was added since it was deleted.`;
    }
    return `${name}: ${readable(400, { Error: r.Error }).message}`;
  });
}

function codeOf(error) {
  return (error.ErrorCode || '').replace(/_/g, '-');
}

/**
 * Whether a restore's item error says the item is not among the deleted items any more
 * (restored already, or past the retention period), rather than that its track is in the
 * collection again under another ID (which the server's message says).
 */
export function noLongerDeleted(error) {
  return codeOf(error) === 'COLLECTION-INVALID-ID' && !/again/.test(error.Message || '');
}
