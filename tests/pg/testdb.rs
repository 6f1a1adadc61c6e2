//! A PostgreSQL database of its own for one test, on the server `AVATAR_TEST_PG` names (a base
//! URL such as `postgres://postgres@127.0.0.1:5432/`, or `postgresql:///?host=/run/postgresql`):
//! created with a random name, dropped at the end. Without the variable, or with the server
//! out of reach, the test fails saying how to start one: it never passes without running.
//! Shared by the unit tests (src/journal/tests.rs) and the integration tests.

/// The variable naming the test server.
pub const VARIABLE: &str = "AVATAR_TEST_PG";

const HOW: &str = "start a throwaway server with `sudo tests/pg/start.sh` (or `eval \"$(tests/pg/start.sh)\"` as root) and export the AVATAR_TEST_PG line it prints, e.g. AVATAR_TEST_PG=postgres://postgres@127.0.0.1:55432/";

pub struct TestDb {
    admin: String,
    name: String,
    /// The database's URL, for `--journal`.
    pub url: String,
}

impl TestDb {
    pub fn create() -> TestDb {
        let base = std::env::var(VARIABLE).unwrap_or_else(|_| {
            panic!("{VARIABLE} is not set: the PostgreSQL journal tests need a server; {HOW}")
        });
        let name = format!(
            "avatar_test_{}",
            std::iter::repeat_with(fastrand::lowercase)
                .take(12)
                .collect::<String>()
        );
        let db = TestDb {
            url: with_database(&base, &name),
            admin: base,
            name,
        };
        if let Err(e) = db.admin(format!("CREATE DATABASE {}", db.name)) {
            panic!("the PostgreSQL server at {VARIABLE} cannot be used ({e}); {HOW}");
        }
        db
    }

    /// Runs `sql` on the server's default database, on a thread of its own: the synchronous
    /// client must not run on a test's runtime thread.
    fn admin(&self, sql: String) -> Result<(), String> {
        let url = self.admin.clone();
        std::thread::spawn(move || {
            let mut client =
                ::postgres::Client::connect(&url, ::postgres::NoTls).map_err(|e| e.to_string())?;
            client.batch_execute(&sql).map_err(|e| e.to_string())
        })
        .join()
        .unwrap_or_else(|_| Err("the admin connection panicked".into()))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = self.admin(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// `base` with its database replaced by `name` (its query, such as `host=`, kept).
fn with_database(base: &str, name: &str) -> String {
    let (url, query) = match base.split_once('?') {
        Some((url, query)) => (url, Some(query)),
        None => (base, None),
    };
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let authority = rest.split('/').next().unwrap_or("");
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}
