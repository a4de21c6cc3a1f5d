//! Sign-in storage on PostgreSQL: the statements of [`rules::accounts`], each in its own
//! transaction.

use super::{Mode, PostgresStore, Tx, column, now_millis};
use crate::rules::accounts as sql;
use crate::{Grant, StoreError, StoreResult, User, UserSummary};
use tokio_postgres::Row;

fn grant_from(row: &Row, key: [u8; 32]) -> StoreResult<Grant> {
    sql::GrantColumns {
        kind: column(row, 0)?,
        family: column(row, 1)?,
        client_id: column(row, 2)?,
        user_id: column(row, 3)?,
        user_name: column(row, 4)?,
        redirect_uri: column(row, 5)?,
        code_challenge: column(row, 6)?,
        expires_at: column(row, 7)?,
        used_at: column(row, 8)?,
    }
    .into_grant(key)
}

async fn grant_in(tx: &Tx<'_>, key: [u8; 32]) -> Result<Option<Grant>, super::Fail> {
    let row = tx.query_opt(sql::GRANT, &[&key.as_slice()]).await?;
    Ok(row.map(|r| grant_from(&r, key)).transpose()?)
}

#[async_trait::async_trait]
impl crate::Accounts for PostgresStore {
    async fn set_password_hash(&self, name: &str, hash: String) -> StoreResult<()> {
        let n: u64 = run!(self, Mode::Write, |tx| tx.execute(sql::SET_PASSWORD, &[&hash, &name]).await?)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {name:?}")));
        }
        Ok(())
    }

    async fn password_hash(&self, name: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let Some(row) = self.query_opt(sql::PASSWORD, &[&name]).await? else { return Ok(None) };
        Ok(Some((User { id: column(&row, 0)?, name: name.to_owned() }, column(&row, 1)?)))
    }

    async fn list_users(&self) -> StoreResult<Vec<UserSummary>> {
        let rows: Vec<Row> = run!(self, Mode::Read, |tx| tx.query(sql::LIST_USERS, &[]).await?)?;
        rows.iter()
            .map(|r| {
                Ok(sql::summary(
                    column(r, 0)?,
                    column(r, 1)?,
                    column(r, 2)?,
                    column(r, 3)?,
                    column(r, 4)?,
                    column(r, 5)?,
                ))
            })
            .collect()
    }

    async fn delete_user(&self, name: &str) -> StoreResult<()> {
        let found: bool = run!(self, Mode::Write, |tx| {
            // The user's row lock orders this after any write to the collection under way.
            match tx.query_opt("SELECT id FROM users WHERE name = $1 FOR UPDATE", &[&name]).await? {
                None => false,
                Some(row) => {
                    let id: i64 = row.try_get(0)?;
                    for statement in sql::DELETE_USER {
                        tx.execute(*statement, &[&id]).await?;
                    }
                    true
                }
            }
        })?;
        if !found {
            return Err(StoreError::NotFound(format!("user {name:?}")));
        }
        Ok(())
    }

    async fn set_redirect_uris(&self, client_id: &str, uris: Vec<String>) -> StoreResult<()> {
        let joined = sql::join_uris(&uris);
        let n: u64 =
            run!(self, Mode::Write, |tx| tx.execute(sql::SET_REDIRECT_URIS, &[&joined, &client_id]).await?)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("application {client_id:?}")));
        }
        Ok(())
    }

    async fn redirect_uris(&self, client_id: &str) -> StoreResult<Option<Vec<String>>> {
        let Some(row) = self.query_opt(sql::REDIRECT_URIS, &[&client_id]).await? else { return Ok(None) };
        let stored: String = column(&row, 0)?;
        Ok(Some(sql::split_uris(&stored)))
    }

    async fn put_grant(&self, grant: Grant) -> StoreResult<()> {
        let now = now_millis();
        run!(self, Mode::Write, |tx| {
            tx.execute(sql::PURGE_GRANTS, &[&now]).await?;
            tx.execute(
                sql::INSERT_GRANT,
                &[
                    &grant.key_sha256.as_slice(),
                    &grant.kind.as_str(),
                    &grant.family,
                    &grant.client_id,
                    &grant.user.id,
                    &grant.redirect_uri,
                    &grant.code_challenge,
                    &grant.expires_at_ms,
                ],
            )
            .await?;
        })
    }

    async fn grant(&self, key: [u8; 32]) -> StoreResult<Option<Grant>> {
        let Some(row) = self.query_opt(sql::GRANT, &[&key.as_slice()]).await? else { return Ok(None) };
        Ok(Some(grant_from(&row, key)?))
    }

    async fn use_grant(&self, key: [u8; 32], now: i64) -> StoreResult<Option<Grant>> {
        run!(self, Mode::Write, |tx| {
            // Of two concurrent marks, the second waits on the first's row lock, then finds
            // `used_at` set and marks nothing.
            let first = tx.execute(sql::USE_GRANT, &[&now, &key.as_slice()]).await?;
            grant_in(&tx, key).await?.map(|g| sql::as_before_use(g, first))
        })
    }

    async fn revoke_ids(&self, ids: Vec<String>, expires_at: i64) -> StoreResult<()> {
        let now = now_millis();
        run!(self, Mode::Write, |tx| {
            tx.execute(sql::PURGE_REVOCATIONS, &[&now]).await?;
            for id in &ids {
                tx.execute(sql::INSERT_REVOCATION, &[id, &expires_at]).await?;
            }
        })
    }

    async fn any_revoked(&self, ids: Vec<String>) -> StoreResult<bool> {
        for id in &ids {
            if self.query_opt(sql::REVOKED, &[id]).await?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn identity_user(&self, issuer: &str, subject: &str) -> StoreResult<Option<User>> {
        let Some(row) = self.query_opt(sql::IDENTITY_USER, &[&issuer, &subject]).await? else {
            return Ok(None);
        };
        Ok(Some(User { id: column(&row, 0)?, name: column(&row, 1)? }))
    }

    async fn link_identity(&self, issuer: &str, subject: &str, name: &str) -> StoreResult<User> {
        let now = now_millis();
        let outcome: Result<User, StoreError> = run!(self, Mode::Write, |tx| {
            match tx.query_opt("SELECT id FROM users WHERE name = $1 FOR UPDATE", &[&name]).await? {
                None => Err(StoreError::NotFound(format!("user {name:?}"))),
                Some(row) => {
                    let user = User { id: row.try_get(0)?, name: name.to_owned() };
                    tx.execute(sql::INSERT_IDENTITY, &[&issuer, &subject, &user.id, &now]).await?;
                    // Linked now, by this statement or before it (committed: this statement sees it).
                    let linked: i64 = tx
                        .query_one(
                            "SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2",
                            &[&issuer, &subject],
                        )
                        .await?
                        .try_get(0)?;
                    if linked == user.id {
                        Ok(user)
                    } else {
                        let other: String = tx
                            .query_one("SELECT name FROM users WHERE id = $1", &[&linked])
                            .await?
                            .try_get(0)?;
                        Err(StoreError::AlreadyExists(format!("this identity is linked to user {other:?}")))
                    }
                }
            }
        })?;
        outcome
    }

    async fn create_identity_user(&self, issuer: &str, subject: &str, name: &str) -> StoreResult<User> {
        if let Some(user) = self.identity_user(issuer, subject).await? {
            return Ok(user);
        }
        let now = now_millis();
        let user: Option<User> = run!(self, Mode::Write, |tx| {
            let mut created = None;
            for candidate in sql::user_name_candidates(name) {
                let row = tx
                    .query_opt(
                        "INSERT INTO users (name, created_at) VALUES ($1, $2)
                         ON CONFLICT (name) DO NOTHING RETURNING id",
                        &[&candidate, &now],
                    )
                    .await?;
                if let Some(row) = row {
                    created = Some(User { id: row.try_get(0)?, name: candidate });
                    break;
                }
            }
            match created {
                None => None,
                Some(user) => {
                    let linked =
                        tx.execute(sql::INSERT_IDENTITY, &[&issuer, &subject, &user.id, &now]).await?;
                    if linked == 1 {
                        Some(user)
                    } else {
                        // Another process linked the identity meanwhile: its user is the one.
                        tx.execute("DELETE FROM users WHERE id = $1", &[&user.id]).await?;
                        let row = tx.query_one(sql::IDENTITY_USER, &[&issuer, &subject]).await?;
                        Some(User { id: row.try_get(0)?, name: row.try_get(1)? })
                    }
                }
            }
        })?;
        user.ok_or_else(|| StoreError::AlreadyExists(format!("every name like {name:?} is taken")))
    }
}
