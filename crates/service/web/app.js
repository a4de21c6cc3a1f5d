// The web page: browse, search and change the signed-in user's collection and playlists
// through the server's public API. Plain modules, no build step, no inline script.

import * as auth from './auth.js';
import * as api from './api.js';

const $ = (id) => document.getElementById(id);

const ORDERS = {
  tracks: ['TrackTitle', 'AlbumTitle', 'ArtistName', 'GenreName', 'ReleaseDate', 'CollectionDate', 'TrackNumber'],
  albums: ['AlbumTitle', 'ArtistName', 'GenreName', 'ReleaseDate', 'CollectionDate'],
  artists: ['ArtistName', 'CollectionDate'],
  playlists: ['CollectionDate'],
};
const ORDER_LABELS = {
  TrackTitle: 'Title', AlbumTitle: 'Album', ArtistName: 'Artist', GenreName: 'Genre',
  ReleaseDate: 'Release date', CollectionDate: 'Date added', TrackNumber: 'Track number',
};
const TITLES = {
  tracks: 'Tracks', albums: 'Albums', artists: 'Artists', playlists: 'Playlists', deleted: 'Recently deleted', search: 'Search',
};
/** What an opened item shows, and the words for it. */
const OPENED = {
  playlist: { title: 'Playlist', back: '← All playlists' },
  album: { title: 'Album', back: '← All albums' },
  artist: { title: 'Artist', back: '← All artists' },
};
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const ui = {
  view: 'tracks',
  order: {},
  continuation: null,
  /** Which list is on the page: loads of an older list are dropped. */
  generation: 0,
  /** The generation whose page is being loaded, if one is. */
  loading: -1,
  selected: new Set(),
  /** An item opened from a list: { kind: 'playlist' | 'album' | 'artist', id, name, parent }. */
  open: null,
  playlists: [],
  /** What the Recently deleted view shows: 'tracks' or 'playlists'. */
  deletedKind: 'tracks',
  /** The last delete, while it can be undone: { kind: 'tracks' | 'playlists', items: [{ id, name }] }. */
  undo: null,
};

/**
 * Called after every successful delete with what it removed: offers to undo it. The server
 * keeps deleted tracks and playlists for a while (`collection/restore`), and the Recently
 * deleted view lists them.
 */
export const deletedHook = {
  onDeleted(items, kind = 'tracks') {
    if (!items.length) return;
    ui.undo = { kind, items };
    const one = items.length === 1 ? `“${items[0].name}”` : null;
    const several = `${items.length} ${kind === 'playlists' ? 'playlists' : 'tracks'}`;
    $('undo-text').textContent = `Deleted ${one ? `${kind === 'playlists' ? 'the playlist ' : ''}${one}` : several}.`;
    $('undo').hidden = false;
    document.body.classList.add('with-toast');
    // The control that deleted is gone with its row: keyboard focus goes to Undo.
    if (!document.activeElement || document.activeElement === document.body || !document.activeElement.isConnected) {
      $('undo-button').focus();
    }
  },
};

function hideUndo() {
  ui.undo = null;
  const hadFocus = $('undo').contains(document.activeElement);
  $('undo').hidden = true;
  document.body.classList.remove('with-toast');
  if (hadFocus) $('view-title').focus();
}

// --- status, progress and errors ---------------------------------------------------------

let statusTimer = 0;
function status(text, { done = false } = {}) {
  clearTimeout(statusTimer);
  $('status').textContent = text;
  if (done) statusTimer = setTimeout(() => { $('status').textContent = ''; }, 6000);
}

function showError(message) {
  $('error-text').textContent = message;
  $('error').hidden = !message;
}

/**
 * Runs an action with progress shown and the control disabled; errors become messages.
 * A `quiet` action (loading a list) does not replace the message of another action.
 */
async function act(control, progress, fn, { quiet = false } = {}) {
  if (!quiet) showError('');
  const mine = () => !quiet || $('status').textContent === '' || $('status').textContent === progress;
  if (mine()) status(progress);
  if (control) { control.disabled = true; control.setAttribute('aria-busy', 'true'); }
  document.body.classList.add('busy');
  try {
    const message = await fn();
    if (mine()) status(message || 'Done.', { done: true });
  } catch (e) {
    if (mine()) status('');
    if (e instanceof api.SessionEnded) { await showSignedOut(e.message); return; }
    showError(e.message || String(e));
  } finally {
    document.body.classList.remove('busy');
    if (control) { control.disabled = false; control.removeAttribute('aria-busy'); }
  }
}

// --- rendering helpers --------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, '');
    else if (v !== false && v != null) node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function artistOf(item) {
  const a = (item.Artists || []).find((x) => x.Role === 'Main') || (item.Artists || [])[0];
  return a && a.Artist ? a.Artist.Name : '';
}

function duration(d) {
  const m = /PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?/.exec(d || '');
  if (!m) return '';
  const h = Number(m[1] || 0); const min = Number(m[2] || 0); const s = Math.round(Number(m[3] || 0));
  const mm = h ? String(min).padStart(2, '0') : String(min);
  return `${h ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

function describe(item, kind) {
  if (kind === 'tracks') return [item.Name, [artistOf(item), item.Album && item.Album.Name].filter(Boolean).join(' · ')];
  if (kind === 'albums') return [item.Name, [artistOf(item), (item.ReleaseDate || '').slice(0, 4)].filter(Boolean).join(' · ')];
  if (kind === 'artists') return [item.Name, ''];
  return [item.Name, item.TrackCount != null ? `${item.TrackCount} tracks` : ''];
}

// --- counts -------------------------------------------------------------------------------

async function refreshCounts() {
  try {
    const p = await api.profile();
    const c = p.Collection || {};
    $('counts').textContent = `${c.TrackCount ?? 0} tracks · ${c.PlaylistCount ?? 0} playlists`;
  } catch (e) {
    if (e instanceof api.SessionEnded) await showSignedOut(e.message);
  }
}

// --- views --------------------------------------------------------------------------------

function setView(view) {
  ui.view = view;
  ui.open = null;
  ui.selected.clear();
  if (ui.undo) hideUndo();
  for (const tab of document.querySelectorAll('[role=tab]')) {
    const on = tab.dataset.view === view;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
  }
  $('view-title').textContent = TITLES[view];
  if (view === 'search') renderSearch();
  else startList();
  // The collection may have changed elsewhere (another device, an app).
  refreshCounts();
}

/** The current list again from its first page (after a restore, for example). */
function reload() {
  if (ui.open) openItem(ui.open, { focus: false });
  else if (ui.view !== 'search') startList();
}

function orderSelect(kind) {
  const select = el('select', { id: 'order', name: 'order' });
  for (const o of ORDERS[kind]) {
    select.append(el('option', { value: o, text: ORDER_LABELS[o], selected: (ui.order[kind] || ORDERS[kind][0]) === o }));
  }
  select.addEventListener('change', () => { ui.order[kind] = select.value; startList(); });
  return el('label', { class: 'inline', for: 'order' }, 'Order by ', select);
}

/** Delete and add-to-playlist for the selected tracks. */
function selectionControls() {
  const del = el('button', { type: 'button', id: 'delete-selected', disabled: true, text: 'Delete selected' });
  del.addEventListener('click', () => deleteTracks([...ui.selected], del));
  const target = el('select', { id: 'playlist-target', 'aria-label': 'Playlist to add the selected tracks to' });
  const add = el('button', { type: 'button', id: 'add-selected-to-playlist', disabled: true, text: 'Add selected to playlist' });
  add.addEventListener('click', () => addToPlaylist(target.value, [...ui.selected], add));
  loadPlaylistTargets(target);
  return [del, target, add];
}

function listToolbar(kind) {
  const bar = $('toolbar');
  bar.replaceChildren();
  if (kind === 'deleted') { deletedToolbar(bar); return; }
  if (kind !== 'playlists') bar.append(orderSelect(kind));
  if (kind === 'tracks') bar.append(...selectionControls());
  if (kind === 'playlists') {
    const name = el('input', { id: 'new-playlist-name', name: 'name', required: true, maxlength: '256', autocomplete: 'off' });
    const form = el('form', { class: 'inline-form', id: 'new-playlist' },
      el('label', { for: 'new-playlist-name', text: 'New playlist' }), name,
      el('button', { type: 'submit', text: 'Create' }));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const button = form.querySelector('button');
      act(button, 'Creating the playlist…', async () => {
        const r = await api.createPlaylist(name.value.trim());
        if (r.Error) throw new Error(r.Error.Description || 'The playlist could not be created.');
        name.value = '';
        await refreshCounts();
        startList();
        return 'Playlist created.';
      });
    });
    bar.append(form);
  }
}

async function loadPlaylistTargets(select) {
  try {
    const r = await api.browse('playlists');
    ui.playlists = (r.Playlists && r.Playlists.Items) || [];
    select.replaceChildren(...ui.playlists.map((p) => el('option', { value: p.Id, text: p.Name })));
    if (!ui.playlists.length) select.append(el('option', { value: '', text: 'No playlists yet' }));
  } catch { /* shown when used */ }
}

function updateSelectionControls() {
  const n = ui.selected.size;
  for (const id of ['delete-selected', 'add-selected-to-playlist', 'restore-selected']) {
    const b = $(id);
    if (b) b.disabled = n === 0;
  }
  const d = $('delete-selected');
  if (d) d.textContent = n ? `Delete selected (${n})` : 'Delete selected';
  const r = $('restore-selected');
  if (r) r.textContent = n ? `Restore selected (${n})` : 'Restore selected';
}

/** Starts a new list in the view: older loads are dropped. */
function newList(list) {
  ui.generation += 1;
  ui.loading = -1;
  ui.continuation = null;
  ui.selected.clear();
  $('view').replaceChildren(list);
}

function startList() {
  const kind = ui.view;
  listToolbar(kind);
  const label = kind === 'deleted' ? (ui.deletedKind === 'tracks' ? 'Deleted tracks' : 'Deleted playlists') : TITLES[kind];
  newList(el('ul', { class: 'items', id: 'list', 'aria-label': label }));
  loadMore(true);
}

/** One page of the list on the page: its items, the next page's token, and how a row looks. */
async function fetchPage() {
  const open = ui.open;
  const first = (list) => (list && list.Items && list.Items[0]) || {};
  if (open && open.kind === 'playlist') {
    const r = await api.playlistTracks(open.id, ui.continuation);
    return { page: first(r.Playlists).Tracks, render: entryRow, empty: 'This playlist is empty.' };
  }
  if (open && open.kind === 'album') {
    const r = await api.albumTracks(open.id, 'collection', ui.continuation);
    return { page: first(r.Albums).Tracks, render: (t) => row(t, 'tracks'), empty: 'None of this album’s tracks is in your collection.' };
  }
  if (open && open.kind === 'artist') {
    const r = await api.artistAlbums(open.id, ui.continuation);
    return { page: first(r.Artists).Albums, render: (a) => row(a, 'albums'), empty: 'None of this artist’s albums is in your collection.' };
  }
  if (ui.view === 'deleted') {
    const r = await api.deleted(ui.deletedKind, ui.continuation);
    const tracks = ui.deletedKind === 'tracks';
    return {
      page: tracks ? r.Tracks : r.Playlists,
      render: (item) => deletedRow(item, ui.deletedKind),
      empty: tracks ? 'No recently deleted tracks.' : 'No recently deleted playlists.',
    };
  }
  const kind = ui.view;
  const r = await api.browse(kind, ui.order[kind] || ORDERS[kind][0], ui.continuation);
  const key = { tracks: 'Tracks', albums: 'Albums', artists: 'Artists', playlists: 'Playlists' }[kind];
  return { page: r[key], render: (item) => row(item, kind), empty: 'Nothing here yet. Use Search to add music.' };
}

async function loadMore(first = false) {
  const generation = ui.generation;
  if (ui.loading === generation || (!first && !ui.continuation)) return;
  if (ui.view === 'search') return;
  ui.loading = generation;
  const more = $('load-more');
  const what = ui.open ? `${OPENED[ui.open.kind].title.toLowerCase()} ${ui.open.name}` : TITLES[ui.view].toLowerCase();
  await act(more, first ? `Loading ${what}…` : 'Loading more…', async () => {
    const { page, render, empty } = await fetchPage();
    const list = $('list');
    // Another list took this one's place while the page came.
    if (generation !== ui.generation || !list) return '';
    const items = (page && page.Items) || [];
    ui.continuation = (page && page.ContinuationToken) || null;
    for (const item of items) list.append(render(item));
    if (first && !items.length) list.append(el('li', { class: 'empty', text: empty }));
    $('more').hidden = !ui.continuation;
    return `${list.querySelectorAll('li[data-id]').length} shown${ui.continuation ? ', more below' : ''}.`;
  }, { quiet: true });
  if (ui.loading === generation) ui.loading = -1;
}

function row(item, kind) {
  const [title, sub] = describe(item, kind);
  const li = el('li', { 'data-id': item.Id, class: 'item' });
  if (kind === 'tracks') {
    const box = el('input', { type: 'checkbox', id: `sel-${item.Id}`, 'aria-label': `Select ${title}` });
    box.addEventListener('change', () => {
      if (box.checked) ui.selected.add(item.Id); else ui.selected.delete(item.Id);
      li.classList.toggle('selected', box.checked);
      updateSelectionControls();
    });
    li.append(box);
  }
  li.append(el('div', { class: 'text' }, el('span', { class: 'title', text: title }), el('span', { class: 'sub', text: sub })));
  if (kind === 'tracks') {
    li.append(el('span', { class: 'duration', text: duration(item.Duration) }));
    const del = el('button', { type: 'button', class: 'small', text: 'Delete', 'aria-label': `Delete ${title}` });
    del.addEventListener('click', () => deleteTracks([item.Id], del));
    li.append(del);
  }
  if (kind === 'albums' || kind === 'artists') {
    const what = kind === 'albums' ? 'album' : 'artist';
    const open = el('button', { type: 'button', class: 'small open', text: 'Open', 'aria-label': `Open ${what} ${title}` });
    open.addEventListener('click', () => openItem({ kind: what, id: item.Id, name: title, parent: ui.open }));
    li.append(open);
  }
  if (kind === 'playlists') {
    const open = el('button', { type: 'button', class: 'small open', text: 'Open', 'aria-label': `Open ${title}` });
    open.addEventListener('click', () => openItem({ kind: 'playlist', id: item.Id, name: item.Name }));
    const rename = el('button', { type: 'button', class: 'small', text: 'Rename', 'aria-label': `Rename ${title}` });
    rename.addEventListener('click', () => renamePlaylist(item, li));
    const del = el('button', { type: 'button', class: 'small danger', text: 'Delete', 'aria-label': `Delete playlist ${title}` });
    del.addEventListener('click', () => deletePlaylist(item, del));
    li.append(open, rename, del);
  }
  return li;
}

async function deleteTracks(ids, control) {
  if (!ids.length) return;
  await act(control, `Deleting ${ids.length} track${ids.length > 1 ? 's' : ''}…`, async () => {
    const names = new Map(ids.map((id) => {
      const t = document.querySelector(`li[data-id="${CSS.escape(id)}"] .title`);
      return [id, t ? t.textContent : id];
    }));
    const r = await api.deleteTracks(ids);
    const failed = api.failures(r.TrackActionResults);
    const removed = (r.TrackActionResults || []).filter((x) => !x.Error).map((x) => x.InputId);
    for (const id of removed) {
      const li = document.querySelector(`li[data-id="${CSS.escape(id)}"]`);
      if (li) li.remove();
      ui.selected.delete(id);
    }
    updateSelectionControls();
    deletedHook.onDeleted(removed.map((id) => ({ id, name: names.get(id) })), 'tracks');
    await refreshCounts();
    if (failed.length) throw new Error(`Deleted ${removed.length}; not deleted: ${failed.join(' ')}`);
    return `Deleted ${removed.length} track${removed.length === 1 ? '' : 's'}.`;
  });
}

async function addToPlaylist(playlistId, trackIds, control) {
  if (!playlistId) { showError('Create a playlist first (Playlists tab).'); return; }
  await act(control, 'Adding to the playlist…', async () => {
    const r = await api.updatePlaylist({ Id: playlistId, TrackActions: trackIds.map((id) => ({ Id: id, Action: 'Add' })) });
    const res = r.PlaylistActionResult || {};
    const failed = api.failures(res.TrackActionResults);
    if (r.Error && !res.TrackActionResults) throw new Error(r.Error.Description || 'The playlist could not be changed.');
    if (failed.length) throw new Error(failed.join(' '));
    return `Added ${trackIds.length} track${trackIds.length === 1 ? '' : 's'} to the playlist.`;
  });
}

async function renamePlaylist(item, li) {
  const input = el('input', { value: item.Name, maxlength: '256', 'aria-label': `New name for ${item.Name}` });
  const save = el('button', { type: 'submit', class: 'small', text: 'Save' });
  const cancel = el('button', { type: 'button', class: 'small secondary', text: 'Cancel' });
  const form = el('form', { class: 'inline-form rename' }, input, save, cancel);
  const text = li.querySelector('.text');
  text.replaceWith(form);
  input.focus();
  input.select();
  cancel.addEventListener('click', () => { form.replaceWith(text); });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(save, 'Renaming…', async () => {
      const r = await api.updatePlaylist({ Id: item.Id, Name: input.value.trim() });
      if (r.Error) throw new Error(r.Error.Description || 'The playlist could not be renamed.');
      item.Name = input.value.trim();
      startList();
      return 'Playlist renamed.';
    });
  });
}

async function deletePlaylist(item, control) {
  await act(control, 'Deleting the playlist…', async () => {
    const r = await api.deletePlaylist(item.Id);
    if (r && r.Error) throw new Error(r.Error.Description || 'The playlist could not be deleted.');
    const li = document.querySelector(`li[data-id="${CSS.escape(item.Id)}"]`);
    if (li) li.remove();
    deletedHook.onDeleted([{ id: item.Id, name: item.Name }], 'playlists');
    await refreshCounts();
    return 'Playlist deleted.';
  });
}

// --- a playlist's tracks: remove, reorder by drag and drop and by keyboard -----------------

/**
 * Opens an item of a list: a playlist's tracks (to reorder and remove), an album's tracks in
 * the collection, or an artist's albums in the collection (each of which opens in turn).
 * `open.parent` is where "back" goes; without one, back to the whole list.
 */
function openItem(open, { focus = true } = {}) {
  ui.open = open;
  const words = OPENED[open.kind];
  $('view-title').textContent = `${words.title}: ${open.name}`;
  const parent = open.parent;
  const back = el('button', { type: 'button', id: 'back', text: parent ? `← ${OPENED[parent.kind].title}: ${parent.name}` : words.back });
  back.addEventListener('click', () => {
    if (parent) openItem(parent);
    else setView(ui.view);
    focusOpenButton(open.id);
  });
  const bar = $('toolbar');
  bar.replaceChildren(back);
  let list;
  if (open.kind === 'playlist') {
    bar.append(el('p', { class: 'hint', id: 'reorder-hint', text: 'Drag a track, or focus its handle and press Alt+↑ / Alt+↓ (or use the Up/Down buttons), to reorder.' }));
    list = el('ol', { class: 'items entries', id: 'list', 'aria-label': `Tracks of ${open.name}`, 'aria-describedby': 'reorder-hint' });
  } else if (open.kind === 'album') {
    bar.append(...selectionControls());
    list = el('ul', { class: 'items', id: 'list', 'aria-label': `Tracks of ${open.name}` });
  } else {
    list = el('ul', { class: 'items', id: 'list', 'aria-label': `Albums of ${open.name}` });
  }
  newList(list);
  if (focus) $('view-title').focus();
  loadMore(true);
}

/** Back from an opened item: its Open button gets the focus once its row is on the page. */
function focusOpenButton(id) {
  const generation = ui.generation;
  let tries = 0;
  const attempt = () => {
    if (generation !== ui.generation) return;
    const b = document.querySelector(`#list li[data-id="${CSS.escape(id)}"] button.open`);
    if (b) b.focus();
    else if (tries++ < 50 && ui.loading === generation) setTimeout(attempt, 100);
    else $('view-title').focus();
  };
  setTimeout(attempt, 0);
}

function entryRow(entry) {
  const title = entry.Name;
  const li = el('li', { 'data-id': entry.Id, class: 'item entry', draggable: 'true' });
  const handle = el('button', { type: 'button', class: 'handle', 'aria-label': `Move ${title}: Alt+Up or Alt+Down`, text: '⠿' });
  handle.addEventListener('keydown', (ev) => {
    if (ev.altKey && (ev.key === 'ArrowUp' || ev.key === 'ArrowDown')) {
      ev.preventDefault();
      moveBy(li, ev.key === 'ArrowUp' ? -1 : 1, handle);
    }
  });
  const up = el('button', { type: 'button', class: 'small', text: 'Up', 'aria-label': `Move ${title} up` });
  up.addEventListener('click', () => moveBy(li, -1, up));
  const down = el('button', { type: 'button', class: 'small', text: 'Down', 'aria-label': `Move ${title} down` });
  down.addEventListener('click', () => moveBy(li, 1, down));
  const remove = el('button', { type: 'button', class: 'small', text: 'Remove', 'aria-label': `Remove ${title} from the playlist` });
  remove.addEventListener('click', () => removeEntry(li, remove));
  li.append(handle, el('div', { class: 'text' }, el('span', { class: 'title', text: title }), el('span', { class: 'sub', text: artistOf(entry) })), up, down, remove);
  li.addEventListener('dragstart', (ev) => {
    ev.dataTransfer.setData('text/plain', entry.Id);
    ev.dataTransfer.effectAllowed = 'move';
    li.classList.add('dragging');
  });
  li.addEventListener('dragend', () => li.classList.remove('dragging'));
  li.addEventListener('dragover', (ev) => { ev.preventDefault(); li.classList.add('drop-target'); });
  li.addEventListener('dragleave', () => li.classList.remove('drop-target'));
  li.addEventListener('drop', (ev) => {
    ev.preventDefault();
    li.classList.remove('drop-target');
    const moved = ev.dataTransfer.getData('text/plain');
    const source = document.querySelector(`li[data-id="${CSS.escape(moved)}"]`);
    if (!source || source === li) return;
    // Dropped on a row: the moved track goes before it, or after it when it came from above.
    const rows = [...$('list').children];
    const after = rows.indexOf(source) < rows.indexOf(li);
    const before = after ? li.nextElementSibling : li;
    move(source, before, null);
  });
  return li;
}

function moveBy(li, delta, control) {
  const list = $('list');
  const rows = [...list.children];
  const i = rows.indexOf(li);
  const j = i + delta;
  if (j < 0 || j >= rows.length) { status(delta < 0 ? 'Already first.' : 'Already last.', { done: true }); return; }
  const before = delta < 0 ? rows[j] : rows[j].nextElementSibling;
  move(li, before, control);
}

/** Moves `li` before `before` (null: to the end), on the server then on the page. */
function move(li, before, control) {
  const body = { Id: ui.open.id, TrackActions: [{ Id: li.dataset.id, Action: 'Move' }] };
  if (before) body.InsertBeforeTrackId = before.dataset.id;
  const title = li.querySelector('.title').textContent;
  act(control, `Moving ${title}…`, async () => {
    const r = await api.updatePlaylist(body);
    if (r.Error) throw new Error(r.Error.Description || 'The track could not be moved.');
    $('list').insertBefore(li, before);
    const pos = [...$('list').children].indexOf(li) + 1;
    const focus = li.querySelector('.handle');
    if (control && control.classList.contains('handle')) focus.focus();
    else if (control) control.focus();
    return `${title} moved to position ${pos}.`;
  });
}

async function removeEntry(li, control) {
  const title = li.querySelector('.title').textContent;
  await act(control, `Removing ${title}…`, async () => {
    const r = await api.updatePlaylist({ Id: ui.open.id, TrackActions: [{ Id: li.dataset.id, Action: 'Delete' }] });
    const res = r.PlaylistActionResult || {};
    const failed = api.failures(res.TrackActionResults);
    if (failed.length) throw new Error(failed.join(' '));
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    if (next) next.querySelector('.handle').focus();
    return `${title} removed from the playlist.`;
  });
}

// --- recently deleted: restore, and undo -------------------------------------------------------

function deletedToolbar(bar) {
  const show = el('select', { id: 'deleted-kind', name: 'deleted-kind' },
    el('option', { value: 'tracks', text: 'Deleted tracks', selected: ui.deletedKind === 'tracks' }),
    el('option', { value: 'playlists', text: 'Deleted playlists', selected: ui.deletedKind === 'playlists' }));
  show.addEventListener('change', () => { ui.deletedKind = show.value; startList(); });
  const restore = el('button', { type: 'button', id: 'restore-selected', disabled: true, text: 'Restore selected' });
  restore.addEventListener('click', () => restoreItems(ui.deletedKind, [...ui.selected].map(deletedItem), restore));
  bar.append(el('label', { class: 'inline', for: 'deleted-kind' }, 'Show ', show), restore,
    el('p', { class: 'hint', id: 'deleted-hint', text: 'Newest deletion first. Deleted items stay here for a limited time.' }));
}

/** `{ id, name }` of a row of the list. */
function deletedItem(id) {
  const t = document.querySelector(`#list li[data-id="${CSS.escape(id)}"] .title`);
  return { id, name: t ? t.textContent : id };
}

function deletedRow(item, kind) {
  const tracks = kind === 'tracks';
  const [title, sub] = describe(item, kind);
  const li = el('li', { 'data-id': item.Id, class: 'item' });
  const box = el('input', { type: 'checkbox', id: `sel-${item.Id}`, 'aria-label': `Select ${title}` });
  box.addEventListener('change', () => {
    if (box.checked) ui.selected.add(item.Id); else ui.selected.delete(item.Id);
    li.classList.toggle('selected', box.checked);
    updateSelectionControls();
  });
  const when = new Date(item.DeletedDate);
  const deletedAt = Number.isNaN(when.getTime())
    ? null
    : el('time', { class: 'deleted-date', datetime: item.DeletedDate, text: `Deleted ${dateFormat.format(when)}` });
  li.append(box, el('div', { class: 'text' },
    el('span', { class: 'title', text: title }),
    el('span', { class: 'sub', text: sub }),
    deletedAt));
  if (tracks) li.append(el('span', { class: 'duration', text: duration(item.Duration) }));
  const restore = el('button', { type: 'button', class: 'small', text: 'Restore', 'aria-label': `Restore ${tracks ? '' : 'playlist '}${title}` });
  restore.addEventListener('click', () => restoreItems(kind, [{ id: item.Id, name: title }], restore));
  li.append(restore);
  return li;
}

/**
 * Restores deleted tracks or playlists (`collection/restore`). Rows of the Recently deleted
 * view that came back leave it; any other list is loaded again, where they reappear.
 */
async function restoreItems(kind, items, control) {
  if (!items.length) return;
  const tracks = kind === 'tracks';
  const noun = (n) => (tracks ? `track${n === 1 ? '' : 's'}` : `playlist${n === 1 ? '' : 's'}`);
  await act(control, `Restoring ${items.length} ${noun(items.length)}…`, async () => {
    const ids = items.map((i) => i.id);
    const r = await api.restore(tracks ? { TrackIds: ids } : { PlaylistIds: ids });
    const results = r.TrackActionResults || [];
    const names = new Map(items.map((i) => [i.id, i.name]));
    const failed = api.restoreFailures(results, (id) => names.get(id) || id);
    const restored = results.filter((x) => !x.Error).map((x) => x.InputId);
    if (ui.view === 'deleted' && !ui.open) {
      // Restored, and no longer restorable (restored elsewhere, expired): not in the list.
      const gone = results.filter((x) => !x.Error || api.noLongerDeleted(x.Error)).map((x) => x.InputId);
      for (const id of gone) {
        const li = document.querySelector(`#list li[data-id="${CSS.escape(id)}"]`);
        if (li) li.remove();
        ui.selected.delete(id);
      }
      updateSelectionControls();
      const list = $('list');
      if (list && !ui.continuation && !list.querySelector('li')) {
        list.append(el('li', { class: 'empty', text: tracks ? 'No recently deleted tracks.' : 'No recently deleted playlists.' }));
      }
    } else if (restored.length) {
      reload();
    }
    await refreshCounts();
    const done = `Restored ${restored.length} ${noun(restored.length)}.`;
    if (failed.length) throw new Error(`${restored.length ? `${done} ` : ''}Not restored: ${failed.join(' ')}`);
    return done;
  });
  if (!control.isConnected) $('view-title').focus();
}

/** "Undo": restores what the last delete removed. */
function undoLastDelete() {
  const last = ui.undo;
  if (!last) return;
  const button = $('undo-button');
  hideUndo();
  restoreItems(last.kind, last.items, button);
}

// --- search: the catalog and the collection, and adding --------------------------------------

function renderSearch() {
  $('more').hidden = true;
  const input = el('input', { type: 'search', id: 'search-q', name: 'q', required: true, maxlength: '256', autocomplete: 'off' });
  const source = el('select', { id: 'search-source', name: 'source' },
    el('option', { value: 'catalog', text: 'Catalog' }), el('option', { value: 'collection', text: 'My collection' }));
  const go = el('button', { type: 'submit', id: 'search-go', text: 'Search' });
  const form = el('form', { class: 'inline-form', role: 'search', id: 'search-form' },
    el('label', { for: 'search-q', text: 'Search for' }), input,
    el('label', { for: 'search-source', text: 'in' }), source, go);
  $('toolbar').replaceChildren(form);
  $('view').replaceChildren(el('div', { id: 'results' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(go, 'Searching…', async () => {
      const r = await api.search(input.value.trim(), source.value);
      renderResults(r, source.value);
      const n = ['Tracks', 'Albums', 'Artists'].reduce((s, k) => s + ((r[k] && r[k].Items) || []).length, 0);
      return `${n} results.`;
    });
  });
  input.focus();
}

function renderResults(r, source) {
  const out = $('results');
  out.replaceChildren();
  const tracks = (r.Tracks && r.Tracks.Items) || [];
  const albums = (r.Albums && r.Albums.Items) || [];
  const artists = (r.Artists && r.Artists.Items) || [];
  const catalog = source === 'catalog';
  if (!tracks.length && !albums.length && !artists.length) {
    out.append(el('p', { class: 'empty', text: 'Nothing found.' }));
    return;
  }
  if (tracks.length) {
    const head = el('div', { class: 'section-head' }, el('h3', { text: 'Tracks' }));
    if (catalog) {
      const all = el('button', { type: 'button', class: 'small', id: 'add-all-results', text: 'Add all these tracks' });
      all.addEventListener('click', () => addTracks(tracks.map((t) => t.Id), all));
      head.append(all);
    }
    const ul = el('ul', { class: 'items', 'aria-label': 'Tracks found' });
    for (const t of tracks) {
      const [title, sub] = describe(t, 'tracks');
      const li = el('li', { class: 'item', 'data-result': t.Id },
        el('div', { class: 'text' }, el('span', { class: 'title', text: title }), el('span', { class: 'sub', text: sub })),
        el('span', { class: 'duration', text: duration(t.Duration) }));
      if (catalog) {
        const add = el('button', { type: 'button', class: 'small', text: 'Add', 'aria-label': `Add ${title} to my collection` });
        add.addEventListener('click', () => addTracks([t.Id], add));
        li.append(add);
      }
      ul.append(li);
    }
    out.append(head, ul);
  }
  if (albums.length) {
    const ul = el('ul', { class: 'items', 'aria-label': 'Albums found' });
    for (const a of albums) {
      const [title, sub] = describe(a, 'albums');
      const li = el('li', { class: 'item', 'data-result': a.Id },
        el('div', { class: 'text' }, el('span', { class: 'title', text: title }), el('span', { class: 'sub', text: sub })));
      if (catalog) {
        const add = el('button', { type: 'button', class: 'small', text: 'Add album', 'aria-label': `Add album ${title} to my collection` });
        add.addEventListener('click', () => act(add, `Adding the tracks of ${title}…`, async () => {
          const tr = await api.albumTracks(a.Id, 'catalog');
          const album = (tr.Albums && tr.Albums.Items[0]) || {};
          const ids = ((album.Tracks && album.Tracks.Items) || []).map((t) => t.Id);
          if (!ids.length) throw new Error('This album has no tracks to add.');
          return addTracksNow(ids);
        }));
        li.append(add);
      }
      ul.append(li);
    }
    out.append(el('h3', { text: 'Albums' }), ul);
  }
  if (artists.length) {
    const ul = el('ul', { class: 'items', 'aria-label': 'Artists found' });
    for (const a of artists) ul.append(el('li', { class: 'item' }, el('div', { class: 'text' }, el('span', { class: 'title', text: a.Name }))));
    out.append(el('h3', { text: 'Artists' }), ul);
  }
}

async function addTracksNow(ids) {
  const r = await api.addTracks(ids);
  const results = r.TrackActionResults || [];
  const failed = api.failures(results);
  const added = results.filter((x) => !x.Error).length;
  await refreshCounts();
  if (failed.length) throw new Error(`Added ${added}; not added: ${[...new Set(failed)].join(' ')}`);
  return `Added ${added} track${added === 1 ? '' : 's'} to your collection.`;
}

function addTracks(ids, control) {
  return act(control, `Adding ${ids.length} track${ids.length > 1 ? 's' : ''}…`, () => addTracksNow(ids));
}

// --- signed in and out -----------------------------------------------------------------------

async function showSignedOut(message) {
  if (ui.undo) hideUndo();
  $('app').hidden = true;
  $('account').hidden = true;
  $('counts').textContent = '';
  $('signed-out').hidden = false;
  if (message) showError(message);
}

function showSignedIn() {
  $('signed-out').hidden = true;
  $('app').hidden = false;
  $('account').hidden = false;
  $('who').textContent = `Signed in as ${auth.userName()}`;
  setView('tracks');
}

function wire() {
  $('sign-in-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('sign-in').disabled = true;
    status('Going to the sign-in page…');
    auth.signIn($('remember').checked);
  });
  $('sign-out').addEventListener('click', async () => {
    status('Signing out…');
    await auth.signOut();
    status('Signed out.', { done: true });
    showSignedOut('');
  });
  const tabs = [...document.querySelectorAll('[role=tab]')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => setView(tab.dataset.view));
    tab.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(tab);
      const j = ev.key === 'ArrowRight' ? (i + 1) % tabs.length : ev.key === 'ArrowLeft' ? (i + tabs.length - 1) % tabs.length : -1;
      if (j >= 0) { ev.preventDefault(); tabs[j].focus(); setView(tabs[j].dataset.view); }
    });
  }
  $('load-more').addEventListener('click', () => loadMore());
  $('dismiss-error').addEventListener('click', () => showError(''));
  $('undo-button').addEventListener('click', undoLastDelete);
  $('undo-dismiss').addEventListener('click', hideUndo);
  // Continuation paging as the user scrolls: the "Load more" button doubles as the sentinel.
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { rootMargin: '200px' }).observe($('more'));
}

async function start() {
  wire();
  try {
    await auth.completeSignIn();
  } catch (e) {
    await showSignedOut(e.message);
    return;
  }
  if (auth.tokens()) showSignedIn();
  else showSignedOut('');
}

start();
