//! What the store's test binaries share: a PostgreSQL database of a test's own.
#![allow(dead_code, reason = "each test binary uses a part")]

use tokio_postgres::NoTls;

/// The server the PostgreSQL tests run against: `GROOVE_TEST_POSTGRES_URL`, or a local
/// server with trust authentication.
pub fn admin_url() -> String {
    std::env::var("GROOVE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `url` naming database `name` instead of its own.
pub fn with_database(url: &str, name: &str) -> String {
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let (base, query) = rest.split_once('?').map_or((rest, ""), |(b, q)| (b, q));
            let host = base.split_once('/').map_or(base, |(h, _)| h);
            let query = if query.is_empty() { String::new() } else { format!("?{query}") };
            return format!("{scheme}{host}/{name}{query}");
        }
    }
    format!("{url} dbname={name}")
}

pub async fn connect_admin(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url}: {e}: {}\n\
             These tests need a server; set GROOVE_TEST_POSTGRES_URL to one.",
            std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default()
        )
    });
    tokio::spawn(connection);
    client
}

/// An empty database of the test's own, dropped with the value.
pub struct TestDatabase {
    pub name: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let admin = connect_admin(&admin_url()).await;
        let name = format!("groove_test_{}", uuid::Uuid::new_v4().simple());
        // A linguistic default collation, where the server has one, so that an order that
        // does not come from the schema's bytewise (`COLLATE "C"`) sort keys would show.
        let linguistic =
            format!("CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
        if admin.batch_execute(&linguistic).await.is_err() {
            admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
        }
        TestDatabase { name }
    }

    pub fn url(&self) -> String {
        with_database(&admin_url(), &self.name)
    }

    /// A plain connection to the test database, outside any store.
    pub async fn client(&self) -> tokio_postgres::Client {
        connect_admin(&self.url()).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on another: use a thread.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (client, connection) = tokio_postgres::connect(&admin_url(), NoTls).await?;
                tokio::spawn(connection);
                client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}: {dropped:?}", self.name);
        }
    }
}
