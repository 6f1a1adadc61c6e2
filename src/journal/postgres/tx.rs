//! The writer's transaction: the group's ops run in it, each statement prepared once per
//! connection.

use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};
use std::collections::HashMap;

type Sql<T> = Result<T, postgres::Error>;

pub(crate) fn now_ms() -> i64 {
    crate::clock::now().timestamp_millis()
}

/// The group's transaction, with the writer's statements prepared once per connection: each
/// statement is then one round trip to the server, not two.
pub(crate) struct Tx<'a, 'c> {
    pub tx: Transaction<'c>,
    pub prepared: &'a mut HashMap<&'static str, Statement>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl Tx<'_, '_> {
    fn statement(&mut self, sql: &'static str) -> Sql<Statement> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql)?;
        self.prepared.insert(sql, statement.clone());
        Ok(statement)
    }

    pub(super) fn query_opt(&mut self, sql: &'static str, params: Params<'_>) -> Sql<Option<Row>> {
        let statement = self.statement(sql)?;
        self.tx.query_opt(&statement, params)
    }

    pub(super) fn query_one(&mut self, sql: &'static str, params: Params<'_>) -> Sql<Row> {
        let statement = self.statement(sql)?;
        self.tx.query_one(&statement, params)
    }

    pub(super) fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Sql<u64> {
        let statement = self.statement(sql)?;
        self.tx.execute(&statement, params)
    }
}
