//! The administration commands of sign-in: passwords, `user delete`, `user list` and
//! `token revoke`.

use crate::args::UserCommand;
use anyhow::{Context as _, bail};
use groove_service::auth::TokenAuthority;
use groove_service::signin;
use groove_store::{Store, StoreError};
use std::io::{BufRead as _, IsTerminal as _};

/// Reads a new password for `name` (asked twice on a terminal; one line of standard input
/// otherwise) and returns its Argon2id hash.
pub fn new_password_hash(name: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {name}: "))
            .context("cannot read the password")?;
        let again = rpassword::prompt_password("Again: ").context("cannot read the password")?;
        if first != again {
            bail!("the two passwords differ; nothing was changed");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.strip_suffix('\n').map_or(&line[..], |l| l.strip_suffix('\r').unwrap_or(l)).to_owned()
    };
    signin::check_password_shape(&password).map_err(|e| anyhow::anyhow!("{e}; nothing was changed"))?;
    signin::hash_password(&password).map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// `user passwd`, `user delete`, `user list`, `user link`.
pub async fn user_command(store: &dyn Store, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Passwd { name } => {
            if store.find_user(&name).await?.is_none() {
                bail!("no user named {name:?}");
            }
            let hash = new_password_hash(&name)?;
            match store.set_password_hash(&name, hash).await {
                Ok(()) => Ok(()),
                Err(StoreError::NotFound(_)) => bail!("no user named {name:?}"),
                Err(e) => Err(e.into()),
            }
        }
        UserCommand::Delete { name } => match store.delete_user(&name).await {
            Ok(()) => {
                eprintln!("deleted user {name:?} with the collection, playlists and sign-ins");
                Ok(())
            }
            Err(StoreError::NotFound(_)) => bail!("no user named {name:?}"),
            Err(e) => Err(e.into()),
        },
        UserCommand::List => {
            let users = store.list_users().await?;
            println!("NAME\tTRACKS\tPLAYLISTS\tPASSWORD\tCREATED");
            for u in users {
                let created = u.created_at_ms / 1000;
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.user.name,
                    u.track_count,
                    u.playlist_count,
                    if u.has_password { "yes" } else { "no" },
                    format_utc(created)
                );
            }
            Ok(())
        }
        UserCommand::Link { name, subject, issuer } => {
            match store.link_identity(&issuer, &subject, &name).await {
                Ok(_) => {
                    eprintln!("user {name:?} is linked to {subject:?} of {issuer}");
                    Ok(())
                }
                Err(StoreError::NotFound(_)) => bail!("no user named {name:?}"),
                Err(StoreError::AlreadyExists(why)) => bail!("{why}; nothing was changed"),
                Err(e) => Err(e.into()),
            }
        }
        UserCommand::Create { .. } => Ok(()),
    }
}

/// `token revoke`.
pub async fn revoke_token(store: &dyn Store, authority: &TokenAuthority, token: &str) -> anyhow::Result<()> {
    let token = if token == "-" {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the token from standard input")?;
        line.trim().to_owned()
    } else {
        token.trim().to_owned()
    };
    if signin::revoke_any(store, authority, &token).await? {
        eprintln!("revoked");
        Ok(())
    } else {
        bail!(
            "not a revocable token of this server (expired, not signed with this server's key, \
             issued before tokens had an ID, or an unknown refresh token)"
        )
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time (the civil-from-days algorithm of H. Hinnant).
fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc() {
        assert_eq!(super::format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::format_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::format_utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
