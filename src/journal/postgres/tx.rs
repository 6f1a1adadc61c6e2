//! The writer's transaction: the group's ops run in it, each statement prepared once per
//! connection. It is begun and ended by hand so that its commit and the freeing of the locks
//! it ended go to the server in one round trip.

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};
use std::collections::HashMap;

type Sql<T> = Result<T, postgres::Error>;

pub(crate) fn now_ms() -> i64 {
    crate::clock::now().timestamp_millis()
}

/// The group's transaction, with the writer's statements prepared once per connection: each
/// statement is then one round trip to the server, not two.
pub(crate) struct Tx<'a, 'c> {
    client: &'c mut Client,
    prepared: &'a mut HashMap<&'static str, Statement>,
}

impl<'a, 'c> Tx<'a, 'c> {
    pub fn begin(
        client: &'c mut Client,
        prepared: &'a mut HashMap<&'static str, Statement>,
    ) -> Sql<Tx<'a, 'c>> {
        client.batch_execute("BEGIN")?;
        Ok(Tx { client, prepared })
    }

    /// Commits, then frees the advisory locks of `ids` (only once what ended their claims is
    /// visible to others).
    pub fn commit_and_unlock(self, ids: &[i64]) -> Sql<()> {
        self.client
            .batch_execute(&format!("COMMIT;{}", unlock_sql(ids)))
    }
}

/// Rolls back the group's transaction, if one is open, and frees the locks of `ids`; a
/// connection that failed has freed them already.
pub(crate) fn roll_back(client: &mut Client, ids: &[i64]) {
    let _ = client.batch_execute(&format!("ROLLBACK;{}", unlock_sql(ids)));
}

/// A statement freeing the advisory locks of `ids` (numbers, so written in the SQL itself),
/// or nothing.
pub(crate) fn unlock_sql(ids: &[i64]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!(
        "SELECT pg_advisory_unlock(id) FROM unnest('{{{}}}'::bigint[]) AS id",
        list.join(",")
    )
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl Tx<'_, '_> {
    fn statement(&mut self, sql: &'static str) -> Sql<Statement> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.prepared.insert(sql, statement.clone());
        Ok(statement)
    }

    pub(super) fn query_opt(&mut self, sql: &'static str, params: Params<'_>) -> Sql<Option<Row>> {
        let statement = self.statement(sql)?;
        self.client.query_opt(&statement, params)
    }

    pub(super) fn query_one(&mut self, sql: &'static str, params: Params<'_>) -> Sql<Row> {
        let statement = self.statement(sql)?;
        self.client.query_one(&statement, params)
    }

    pub(super) fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Sql<u64> {
        let statement = self.statement(sql)?;
        self.client.execute(&statement, params)
    }
}
