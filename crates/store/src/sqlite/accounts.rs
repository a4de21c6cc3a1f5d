//! Sign-in storage on SQLite: the statements of [`rules::accounts`] run on the writer or a
//! reader.

use super::{SqliteStore, unavailable};
use crate::rules::accounts as sql;
use crate::{Grant, StoreError, StoreResult, User, UserSummary};
use rusqlite::{Connection, OptionalExtension, params};

fn now_ms() -> i64 {
    super::now_millis()
}

fn identity_user(conn: &Connection, issuer: &str, subject: &str) -> StoreResult<Option<User>> {
    conn.prepare_cached(sql::IDENTITY_USER)
        .and_then(|mut st| {
            st.query_row([issuer, subject], |r| Ok(User { id: r.get(0)?, name: r.get(1)? })).optional()
        })
        .map_err(|e| unavailable(&e))
}

fn insert_identity(conn: &Connection, issuer: &str, subject: &str, user: i64) -> StoreResult<usize> {
    conn.execute(sql::INSERT_IDENTITY, params![issuer, subject, user, now_ms()]).map_err(|e| unavailable(&e))
}

fn read_grant(conn: &Connection, key: [u8; 32]) -> StoreResult<Option<Grant>> {
    let row = conn
        .prepare_cached(sql::GRANT)
        .and_then(|mut st| {
            st.query_row([key.as_slice()], |r| {
                Ok(sql::GrantColumns {
                    kind: r.get(0)?,
                    family: r.get(1)?,
                    client_id: r.get(2)?,
                    user_id: r.get(3)?,
                    user_name: r.get(4)?,
                    redirect_uri: r.get(5)?,
                    code_challenge: r.get(6)?,
                    expires_at: r.get(7)?,
                    used_at: r.get(8)?,
                })
            })
            .optional()
        })
        .map_err(|e| unavailable(&e))?;
    row.map(|c| c.into_grant(key)).transpose()
}

#[async_trait::async_trait]
impl crate::Accounts for SqliteStore {
    async fn set_password_hash(&self, name: &str, hash: String) -> StoreResult<()> {
        let name = name.to_owned();
        self.writer
            .run(move |conn| {
                let n = conn.execute(sql::SET_PASSWORD, params![hash, name]).map_err(|e| unavailable(&e))?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("user {name:?}")));
                }
                Ok(())
            })
            .await
    }

    async fn password_hash(&self, name: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let name = name.to_owned();
        self.readers
            .run(move |conn| {
                conn.prepare_cached(sql::PASSWORD)
                    .and_then(|mut st| {
                        st.query_row([&name], |r| {
                            Ok((User { id: r.get(0)?, name: name.clone() }, r.get::<_, Option<String>>(1)?))
                        })
                        .optional()
                    })
                    .map_err(|e| unavailable(&e))
            })
            .await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserSummary>> {
        self.readers
            .run(|conn| {
                let mut st = conn.prepare(sql::LIST_USERS).map_err(|e| unavailable(&e))?;
                let rows = st
                    .query_map([], |r| {
                        Ok(sql::summary(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                    })
                    .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                    .map_err(|e| unavailable(&e))?;
                Ok(rows)
            })
            .await
    }

    async fn delete_user(&self, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        self.writer
            .run(move |conn| {
                let id: Option<i64> = conn
                    // The writer runs one write at a time: no lock to take (PostgreSQL locks the row).
                    .query_row("SELECT id FROM users WHERE name = ?1", [&name], |r| r.get(0))
                    .optional()
                    .map_err(|e| unavailable(&e))?;
                let Some(id) = id else { return Err(StoreError::NotFound(format!("user {name:?}"))) };
                for statement in sql::DELETE_USER {
                    conn.execute(statement, [id]).map_err(|e| unavailable(&e))?;
                }
                Ok(())
            })
            .await
    }

    async fn set_redirect_uris(&self, client_id: &str, uris: Vec<String>) -> StoreResult<()> {
        let client_id = client_id.to_owned();
        self.writer
            .run(move |conn| {
                let n = conn
                    .execute(sql::SET_REDIRECT_URIS, params![sql::join_uris(&uris), client_id])
                    .map_err(|e| unavailable(&e))?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("application {client_id:?}")));
                }
                Ok(())
            })
            .await
    }

    async fn redirect_uris(&self, client_id: &str) -> StoreResult<Option<Vec<String>>> {
        let client_id = client_id.to_owned();
        self.readers
            .run(move |conn| {
                let stored: Option<String> = conn
                    .query_row(sql::REDIRECT_URIS, [&client_id], |r| r.get(0))
                    .optional()
                    .map_err(|e| unavailable(&e))?;
                Ok(stored.map(|s| sql::split_uris(&s)))
            })
            .await
    }

    async fn put_grant(&self, grant: Grant) -> StoreResult<()> {
        self.writer
            .run(move |conn| {
                conn.execute(sql::PURGE_GRANTS, [now_ms()]).map_err(|e| unavailable(&e))?;
                conn.execute(
                    sql::INSERT_GRANT,
                    params![
                        grant.key_sha256.as_slice(),
                        grant.kind.as_str(),
                        grant.family,
                        grant.client_id,
                        grant.user.id,
                        grant.redirect_uri,
                        grant.code_challenge,
                        grant.expires_at_ms,
                    ],
                )
                .map_err(|e| unavailable(&e))?;
                Ok(())
            })
            .await
    }

    async fn grant(&self, key: [u8; 32]) -> StoreResult<Option<Grant>> {
        self.readers.run(move |conn| read_grant(conn, key)).await
    }

    async fn use_grant(&self, key: [u8; 32], now: i64) -> StoreResult<Option<Grant>> {
        self.writer
            .run(move |conn| {
                let first = conn
                    .execute(sql::USE_GRANT, params![now, key.as_slice()])
                    .map_err(|e| unavailable(&e))?;
                Ok(read_grant(conn, key)?.map(|g| sql::as_before_use(g, u64::try_from(first).unwrap_or(0))))
            })
            .await
    }

    async fn revoke_ids(&self, ids: Vec<String>, expires_at: i64) -> StoreResult<()> {
        self.writer
            .run(move |conn| {
                conn.execute(sql::PURGE_REVOCATIONS, [now_ms()]).map_err(|e| unavailable(&e))?;
                for id in &ids {
                    conn.execute(sql::INSERT_REVOCATION, params![id, expires_at])
                        .map_err(|e| unavailable(&e))?;
                }
                Ok(())
            })
            .await
    }

    async fn any_revoked(&self, ids: Vec<String>) -> StoreResult<bool> {
        self.readers
            .run(move |conn| {
                let mut st = conn.prepare_cached(sql::REVOKED).map_err(|e| unavailable(&e))?;
                for id in &ids {
                    if st.exists([id]).map_err(|e| unavailable(&e))? {
                        return Ok(true);
                    }
                }
                Ok(false)
            })
            .await
    }

    async fn identity_user(&self, issuer: &str, subject: &str) -> StoreResult<Option<User>> {
        let (issuer, subject) = (issuer.to_owned(), subject.to_owned());
        self.readers.run(move |conn| identity_user(conn, &issuer, &subject)).await
    }

    async fn link_identity(&self, issuer: &str, subject: &str, name: &str) -> StoreResult<User> {
        let (issuer, subject, name) = (issuer.to_owned(), subject.to_owned(), name.to_owned());
        self.writer
            .run(move |conn| {
                // The writer runs one write at a time: what is read here stays true.
                let Some(user) = super::read_user(conn, &name)? else {
                    return Err(StoreError::NotFound(format!("user {name:?}")));
                };
                match identity_user(conn, &issuer, &subject)? {
                    Some(linked) if linked.id == user.id => Ok(user),
                    Some(linked) => Err(StoreError::AlreadyExists(format!(
                        "this identity is linked to user {:?}",
                        linked.name
                    ))),
                    None => {
                        insert_identity(conn, &issuer, &subject, user.id)?;
                        Ok(user)
                    }
                }
            })
            .await
    }

    async fn create_identity_user(&self, issuer: &str, subject: &str, name: &str) -> StoreResult<User> {
        if let Some(user) = self.identity_user(issuer, subject).await? {
            return Ok(user);
        }
        let (issuer, subject, name) = (issuer.to_owned(), subject.to_owned(), name.to_owned());
        self.writer
            .run(move |conn| {
                if let Some(user) = identity_user(conn, &issuer, &subject)? {
                    return Ok(user);
                }
                for candidate in sql::user_name_candidates(&name) {
                    if super::read_user(conn, &candidate)?.is_none() {
                        let user = super::insert_user(conn, &candidate)?;
                        insert_identity(conn, &issuer, &subject, user.id)?;
                        return Ok(user);
                    }
                }
                Err(StoreError::AlreadyExists(format!("every name like {name:?} is taken")))
            })
            .await
    }
}
