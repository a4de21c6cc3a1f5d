//! The token-signing key: `GROOVE_TOKEN_SIGNING_KEY` (hex, at least 32 bytes) if set;
//! otherwise, with PostgreSQL, a key derived from the server-wide secret in the database,
//! and with the embedded store `token-signing.key` in the data directory, created on first
//! use with mode 0600. Every server process that must accept the same tokens needs the
//! same key: those of one database have it without being told.

use crate::args::Global;
use anyhow::{Context as _, bail};
use groove_service::auth::{DEFAULT_ISSUER, TokenAuthority};
use groove_store::Store;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

pub const KEY_FILE: &str = "token-signing.key";
pub const KEY_ENV: &str = "GROOVE_TOKEN_SIGNING_KEY";

fn decode_hex(s: &str) -> anyhow::Result<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("the token-signing key must be hexadecimal");
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(Into::into)).collect()
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

pub fn signing_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let key = if let Ok(hex) = std::env::var(KEY_ENV) {
        decode_hex(&hex).with_context(|| format!("in {KEY_ENV}"))?
    } else {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(hex) => decode_hex(&hex).with_context(|| format!("in {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(&path)?,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    };
    if key.len() < 32 {
        bail!("the token-signing key must be at least 32 bytes");
    }
    Ok(key)
}

/// Writes a fresh key to a temporary file and links it into place, so that a concurrent
/// reader never sees a half-written key and two creators agree on one key.
fn create_key_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let key: [u8; 32] = rand::random();
    let tmp = dir.join(format!(".{KEY_FILE}.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(encode_hex(&key).as_bytes())?;
    f.sync_all()?;
    drop(f);
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key.to_vec()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            decode_hex(&std::fs::read_to_string(path)?).with_context(|| format!("in {}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// What the key of a PostgreSQL deployment is derived from, with the database's server-wide
/// secret: one purpose, one label.
const DERIVATION_LABEL: &[u8] = b"groove-server token-signing key";

/// The key that signs and checks the server's own tokens:
/// - `GROOVE_TOKEN_SIGNING_KEY`, when it is set;
/// - with PostgreSQL, a key derived from the server-wide secret kept in the database
///   ([`Store::token_secret`], created once by whichever process comes first), so that every
///   process of one database signs alike without being told a key;
/// - with the embedded store, `token-signing.key` in the data directory.
pub async fn token_authority(global: &Global, store: &dyn Store) -> anyhow::Result<TokenAuthority> {
    let key = if std::env::var_os(KEY_ENV).is_some() || global.database_url.is_none() {
        signing_key(&global.data_dir)?
    } else {
        let secret = store.token_secret().await.context("cannot read the server-wide secret")?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret).context("cannot derive the key")?;
        mac.update(DERIVATION_LABEL);
        mac.finalize().into_bytes().to_vec()
    };
    Ok(TokenAuthority::new(&key, DEFAULT_ISSUER))
}
