// Sign-in: the page is an OAuth client of its own server (client_id "groove-web"),
// authorization code with PKCE (S256). Tokens live in sessionStorage (gone when the tab
// closes) unless the user chose "Remember me", then in localStorage.

const CLIENT_ID = 'groove-web';
const KEY = 'groove.tokens';
const PENDING = 'groove.pending';

function redirectUri() {
  return `${location.origin}/`;
}

function b64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(n) {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return b64url(bytes);
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return b64url(digest);
}

function store() {
  return localStorage.getItem(KEY) ? localStorage : sessionStorage;
}

export function tokens() {
  const raw = store().getItem(KEY);
  try { return raw ? JSON.parse(raw) : null; } catch { return null; }
}

function saveTokens(t, remember) {
  const where = remember ? localStorage : sessionStorage;
  (remember ? sessionStorage : localStorage).removeItem(KEY);
  where.setItem(KEY, JSON.stringify(t));
}

function clearTokens() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

/** Sends the browser to the sign-in page. */
export async function signIn(remember) {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, remember }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  });
  location.assign(`/oauth/authorize?${q}`);
}

async function tokenRequest(form) {
  const r = await fetch('/oauth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    throw new Error(body.error_description || `Sign-in failed (${r.status})`);
  }
  return body;
}

/** Completes a sign-in when the page comes back with a code; removes it from the address. */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', '/');
  if (params.has('error')) {
    throw new Error(params.get('error') === 'access_denied'
      ? 'Sign-in was cancelled.'
      : (params.get('error_description') || 'Sign-in failed.'));
  }
  if (!pending || pending.state !== params.get('state')) {
    throw new Error('This sign-in did not start on this page; please sign in again.');
  }
  const t = await tokenRequest({
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: redirectUri(),
    client_id: CLIENT_ID,
    code_verifier: pending.verifier,
  });
  saveTokens({ access: t.access_token, refresh: t.refresh_token }, pending.remember);
  return true;
}

/** A new access token from the refresh token; false when the session is over. */
export async function refresh() {
  const t = tokens();
  if (!t) return false;
  try {
    const fresh = await tokenRequest({ grant_type: 'refresh_token', refresh_token: t.refresh, client_id: CLIENT_ID });
    saveTokens({ access: fresh.access_token, refresh: fresh.refresh_token }, store() === localStorage);
    return true;
  } catch {
    clearTokens();
    return false;
  }
}

/** Revokes the session on the server (its refresh token and every token of it). */
export async function signOut() {
  const t = tokens();
  clearTokens();
  if (t) {
    await fetch('/oauth/revoke', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: t.refresh, token_type_hint: 'refresh_token', client_id: CLIENT_ID }),
    }).catch(() => {});
  }
}

/** The user name in the access token (display only; the server checks the token). */
export function userName() {
  const t = tokens();
  if (!t) return '';
  try {
    const payload = t.access.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(payload)))).sub || '';
  } catch {
    return '';
  }
}
