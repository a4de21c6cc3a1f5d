//! The answers of keyed writes ([`crate::rules::idempotency`]) on SQLite.

use super::unavailable;
use crate::rules::idempotency::{FIND, KEEP, USED, window_start};
use crate::{Answer, Idempotent, KeptAnswer, StoreError, StoreResult, UserId};
use rusqlite::{Connection, OptionalExtension, params};

/// The kept answer of a user's key, if it is within the window of a request at `at`.
pub(super) fn kept_answer(
    conn: &Connection,
    user: UserId,
    key: &str,
    at: i64,
) -> StoreResult<Option<KeptAnswer>> {
    let row = conn
        .prepare_cached(FIND)
        .and_then(|mut st| {
            st.query_row(params![user, key, window_start(at)], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .optional()
        })
        .map_err(|e| unavailable(&e))?;
    row.map(|(fingerprint, status, content_type, body)| {
        let fingerprint = fingerprint
            .try_into()
            .map_err(|_| StoreError::Internal("a kept answer's fingerprint is not 32 bytes".into()))?;
        let status =
            u16::try_from(status).map_err(|_| StoreError::Internal("a kept answer's status".into()))?;
        Ok(KeptAnswer { fingerprint, answer: Answer { status, content_type, body } })
    })
    .transpose()
}

pub(super) fn key_used(conn: &Connection, user: UserId, key: &str, since: i64) -> StoreResult<bool> {
    conn.prepare_cached(USED)
        .and_then(|mut st| st.exists(params![user, key, since]))
        .map_err(|e| unavailable(&e))
}

pub(super) fn keep_answer<O>(
    conn: &Connection,
    user: UserId,
    keyed: &Idempotent<O>,
    answer: &Answer,
) -> StoreResult<()> {
    conn.prepare_cached(KEEP)
        .and_then(|mut st| {
            st.execute(params![
                user,
                keyed.key,
                keyed.fingerprint.as_slice(),
                answer.status,
                answer.content_type,
                answer.body,
                keyed.at
            ])
        })
        .map(|_| ())
        .map_err(|e| unavailable(&e))
}
