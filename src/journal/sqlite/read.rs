//! Reading a SQLite journal: the first pass's lookups, and the rows `history` prints. A reader
//! has its own read-only connection and never writes, so `--dry-run` and `history` leave the
//! file as is.

use super::migrate;
use super::ops::{derive_state, STATE_SQL};
use super::schema::{self, classify};
use crate::journal::owner;
use crate::journal::read::{LookupsBackend, Reader};
use crate::journal::{
    AttemptRow, Health, HistoryFilter, Holder, JournalError, NoticeRow, RecordView, RunCounts,
    RunRow, RunState, State,
};
use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

pub(crate) struct SqliteReader {
    conn: Connection,
    path: PathBuf,
    /// Schema version 1, not yet upgraded (only a writer upgrades): endpoints are as typed,
    /// so they are normalised here, as the upgrade would, and one notice may have two rows.
    legacy_endpoints: bool,
    /// The schema version as found (a reader never upgrades).
    version: i64,
    /// The lookup's statement, built once: the first pass asks it per row.
    lookup_sql: String,
}

use crate::protocol::format_time;

fn opt_time(ms: Option<i64>) -> Option<String> {
    ms.map(format_time)
}

/// The columns [`recorded`] reads, for a journal of `version`: content columns are NULLs
/// before version 3 (a reader does not upgrade). `open` is the SQL that says whether the last
/// attempt is still open (in doubt).
fn recorded_columns(version: i64, open: &str) -> String {
    let content = if version >= 3 {
        "n.content, n.content_fp"
    } else {
        "NULL, NULL"
    };
    format!(
        "n.order_no, n.state, n.attempts,
             {open},
             n.deal_code, n.deal_desc, n.accepted_at IS NOT NULL, n.endpoint,
             n.accepted_order_no, n.accepted_at, {content}, n.id, n.accepted_deal_code,
             n.accepted_deal_desc, n.policy_source, n.policy_no, n.last_sent_at"
    )
}

/// The lookup's statements, held for many keys, inside one read transaction: without it each
/// statement takes and drops the file's read lock, which costs more than the lookup itself.
/// The transaction ends when they are dropped.
pub(crate) struct SqliteLookups<'r> {
    reader: &'r SqliteReader,
    statement: rusqlite::CachedStatement<'r>,
    /// [`LookupsBackend::order_no_holder`]'s, once asked; `None` inside when the journal
    /// predates the index by orderNo (the check then waits for the first run that upgrades it).
    holder: Option<Option<rusqlite::CachedStatement<'r>>>,
}

impl Drop for SqliteLookups<'_> {
    fn drop(&mut self) {
        // A read transaction has nothing to lose; failing to end it only keeps a lock until
        // the connection closes.
        let _ = self.reader.conn.execute_batch("COMMIT");
    }
}

impl LookupsBackend for SqliteLookups<'_> {
    /// Without force, a notice accepted earlier decides alone: its last attempt's row is then
    /// not read, and its state never says in doubt.
    fn look_at(
        &mut self,
        (endpoint, policy_source, policy_no): (&str, &str, &str),
        for_unforced_rule: bool,
        judge: &mut dyn FnMut(Option<RecordView<'_>>),
    ) -> Result<(), JournalError> {
        let reader = self.reader;
        let judged = (|| {
            let mut rows = self
                .statement
                .query(params![endpoint, policy_source, policy_no])?;
            while let Some(r) = rows.next()? {
                // From version 2 on the query matched the normalised endpoint exactly.
                if reader.legacy_endpoints {
                    let stored_endpoint: String = r.get(7)?;
                    if migrate::endpoint_key(&stored_endpoint) != endpoint {
                        continue;
                    }
                }
                let accepted: bool = r.get(6)?;
                let last_open = match r.get::<_, Option<i64>>(3)? {
                    Some(_) if accepted && for_unforced_rule => false,
                    Some(attempt) => reader.is_open(attempt)?,
                    None => false,
                };
                judge(Some(view(r, last_open)?));
                return Ok(());
            }
            judge(None);
            Ok(())
        })();
        judged.map_err(|e| reader.err(e))
    }

    fn order_no_holder(
        &mut self,
        (endpoint, policy_source, order_no): (&str, &str, &str),
        policy_no: &str,
    ) -> Result<Option<Holder>, JournalError> {
        let reader = self.reader;
        let statement = self.holder.get_or_insert_with(|| {
            (reader.version >= 4)
                .then(|| {
                    reader
                        .conn
                        .prepare_cached(
                            "SELECT policy_no, coalesce(last_sent_at, created_at) FROM notices
                             WHERE order_no = ?1 AND endpoint = ?2 AND policy_source = ?3
                               AND policy_no <> ?4
                             LIMIT 1",
                        )
                        .ok()
                })
                .flatten()
        });
        let Some(statement) = statement else {
            return Ok(None);
        };
        statement
            .query_row(params![order_no, endpoint, policy_source, policy_no], |r| {
                Ok(Holder {
                    policy_no: r.get(0)?,
                    at: r.get(1)?,
                })
            })
            .optional()
            .map_err(|e| reader.err(e))
    }
}

fn view<'r>(r: &'r Row<'_>, last_open: bool) -> rusqlite::Result<RecordView<'r>> {
    let text = |i: usize| -> rusqlite::Result<Option<&'r str>> {
        r.get_ref(i)?.as_str_or_null().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    let attempts: i64 = r.get(2)?;
    let accepted: bool = r.get(6)?;
    Ok(RecordView {
        order_no: text(0)?.unwrap_or_default(),
        state: derive_state(text(1)?, attempts, last_open),
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        deal_code: text(4)?,
        deal_desc: text(5)?,
        accepted_order_no: if accepted {
            Some(text(8)?.unwrap_or_default())
        } else {
            None
        },
        accepted_at: r.get(9)?,
        accepted_deal_code: text(13)?,
        accepted_deal_desc: text(14)?,
        content: text(10)?,
        content_fp: text(11)?,
        last_sent_at: r.get(17)?,
    })
}

/// The lookup's statement for a journal of `version`: before version 2 every spelling of the
/// endpoint is read.
fn lookup_sql(version: i64) -> String {
    let columns = recorded_columns(version, "n.last_attempt_id");
    if version < 2 {
        // Every spelling of the endpoint, the row the upgrade would keep first.
        format!(
            "SELECT {columns}
             FROM notices n
             WHERE n.policy_source = ?2 AND n.policy_no = ?3 AND ?1 = ?1
             ORDER BY {}",
            migrate::keeper_order()
        )
    } else {
        format!(
            "SELECT {columns}
             FROM notices n
             WHERE n.endpoint = ?1 AND n.policy_source = ?2 AND n.policy_no = ?3"
        )
    }
}

impl SqliteReader {
    /// Read-only; `None` when there is no journal (or an empty file) at `path`. Never creates
    /// the journal or changes a record (SQLite may leave its empty `-wal`/`-shm` index files
    /// beside an existing one, as any reader of a WAL database does, and folds back a rollback
    /// file left by a killed process). A journal on a read-only mount or in a read-only
    /// directory is read as it stands.
    pub(crate) fn open(path: &Path) -> Result<Option<SqliteReader>, JournalError> {
        Ok(
            schema::open_read(path)?.map(|(conn, version)| SqliteReader {
                conn,
                path: path.to_path_buf(),
                legacy_endpoints: version < 2,
                version,
                lookup_sql: lookup_sql(version),
            }),
        )
    }

    fn err(&self, e: rusqlite::Error) -> JournalError {
        classify(&self.path, e)
    }

    fn is_open(&self, attempt_id: i64) -> rusqlite::Result<bool> {
        self.conn
            .prepare_cached("SELECT finished_at IS NULL FROM attempts WHERE id = ?1")?
            .query_row([attempt_id], |r| r.get(0))
            .optional()
            .map(|open| open.unwrap_or(false))
    }

    /// The recorded spellings of `endpoint` in a journal not yet upgraded.
    fn spellings(&self, endpoint: &str) -> Result<Vec<String>, JournalError> {
        let mut all: Vec<String> =
            self.rows("SELECT DISTINCT endpoint FROM notices", &[], |r| r.get(0))?;
        all.retain(|e| migrate::endpoint_key(e) == endpoint);
        Ok(all)
    }

    fn filter_args(
        &self,
        filter: &HistoryFilter,
        rows: Rows,
    ) -> Result<(String, Vec<Box<dyn ToSql>>), JournalError> {
        let endpoints = match &filter.endpoint {
            Some(e) if self.legacy_endpoints => self.spellings(e)?,
            Some(e) => vec![e.clone()],
            None => Vec::new(),
        };
        Ok(conditions(
            filter,
            &endpoints,
            rows,
            self.version >= RUNS_VERSION,
        ))
    }

    fn shown_endpoint(&self, recorded: String) -> String {
        if self.legacy_endpoints {
            migrate::endpoint_key(&recorded)
        } else {
            recorded
        }
    }

    fn notices(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(NoticeRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let (conditions, mut args) = self.filter_args(filter, Rows::Notices)?;
        let content = if self.version >= 3 {
            "n.content"
        } else {
            "NULL"
        };
        let sql = format!(
            "SELECT n.endpoint, n.policy_source, n.policy_no, n.order_no, {STATE_SQL},
                    n.deal_code, n.deal_desc, n.http_status, n.attempts, n.created_at,
                    n.first_sent_at, n.last_sent_at, n.os_user, n.host, la.error, {content}
             FROM notices n LEFT JOIN attempts la ON la.id = n.last_attempt_id
             {conditions}
             ORDER BY n.touched_at DESC, n.id DESC LIMIT ?"
        );
        args.push(Box::new(limit(filter)));
        self.stream(&sql, &args, |r| {
            Ok(each(NoticeRow {
                endpoint: self.shown_endpoint(r.get(0)?),
                policy_source: r.get(1)?,
                policy_no: r.get(2)?,
                order_no: r.get(3)?,
                state: state_of(r, 4)?,
                deal_code: r.get(5)?,
                deal_desc: r.get(6)?,
                http_status: r.get(7)?,
                attempts: r.get(8)?,
                created_at: format_time(r.get(9)?),
                first_sent_at: opt_time(r.get(10)?),
                last_sent_at: opt_time(r.get(11)?),
                os_user: r.get(12)?,
                host: r.get(13)?,
                error: r.get(14)?,
                content: r.get(15)?,
            }))
        })
    }

    fn attempts(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let (conditions, mut args) = self.filter_args(filter, Rows::Attempts)?;
        args.push(Box::new(limit(filter)));
        self.attempt_rows(
            &format!("{conditions} ORDER BY a.started_at DESC, a.id DESC LIMIT ?"),
            &args,
            false,
            each,
        )
    }

    fn runs(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(RunRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        if self.version < RUNS_VERSION {
            return Ok(()); // no run was recorded before
        }
        let (conditions, mut args) = self.filter_args(filter, Rows::Runs)?;
        args.push(Box::new(limit(filter)));
        let sql = format!(
            "SELECT r.id, r.started_at, r.ended_at, r.os_user, r.host, r.pid, r.pid_start,
                    r.command, r.input, r.env, r.endpoint, r.production, r.policy_source,
                    r.notices,
                    (SELECT count(DISTINCT a.notice_id) FROM attempts a WHERE a.run_id = r.id),
                    r.accepted, r.rejected, r.failed, r.in_doubt, r.skipped, r.not_sent,
                    r.rejected_earlier, r.interrupted, r.exit_code, r.error
             FROM runs r
             {conditions}
             ORDER BY r.started_at DESC, r.rowid DESC LIMIT ?"
        );
        self.stream(&sql, &args, |r| {
            let ended_at: Option<i64> = r.get(2)?;
            let host: String = r.get(4)?;
            let count = |i: usize| -> rusqlite::Result<u64> {
                Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
            };
            let counts = match ended_at {
                Some(_) => Some(RunCounts {
                    accepted: count(15)?,
                    rejected: count(16)?,
                    failed: count(17)?,
                    in_doubt: count(18)?,
                    skipped: count(19)?,
                    not_sent: count(20)?,
                    rejected_earlier: count(21)?,
                }),
                None => None,
            };
            Ok(each(RunRow {
                run_id: r.get(0)?,
                state: run_state(ended_at.is_some(), &host, r.get(5)?, r.get(6)?),
                started_at: format_time(r.get(1)?),
                ended_at: opt_time(ended_at),
                os_user: r.get(3)?,
                host,
                command: r.get(7)?,
                input: r.get(8)?,
                env: r.get(9)?,
                endpoint: r.get(10)?,
                production: r.get(11)?,
                policy_source: r.get(12)?,
                notices: count(13)?,
                sent: count(14)?,
                counts,
                interrupted: r.get(22)?,
                exit_code: r.get(23)?,
                error: r.get(24)?,
            }))
        })
    }

    /// Attempts under `tail` (a WHERE clause and an order); with their bodies when `bodies`.
    fn attempt_rows(
        &self,
        tail: &str,
        args: &[Box<dyn ToSql>],
        bodies: bool,
        each: &mut dyn FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let bodies = if bodies && self.version >= 3 {
            "a.request, a.answer, coalesce(a.answer_cut, 0)"
        } else {
            "NULL, NULL, 0"
        };
        let pruned = if self.version >= PACKED_VERSION {
            "a.bodies_pruned_at"
        } else {
            "NULL"
        };
        let packed = self.version >= PACKED_VERSION;
        let run = if self.version >= RUNS_VERSION {
            "a.run_id"
        } else {
            "NULL"
        };
        let sql = format!(
            "SELECT n.endpoint, n.policy_source, n.policy_no, a.order_no, {STATE_SQL},
                    a.deal_code, a.deal_desc, a.http_status, n.attempts,
                    n.first_sent_at, n.last_sent_at, a.os_user, a.host,
                    a.number, a.uuid, a.req_time, a.started_at, a.finished_at, a.error,
                    a.elapsed_ms, {bodies}, {run}, {pruned}
             FROM attempts a JOIN notices n ON n.id = a.notice_id
                  LEFT JOIN attempts la ON la.id = n.last_attempt_id
             {tail}"
        );
        self.stream(&sql, args, |r| {
            let (request, answer) = super::bodies::bodies_of(r, 20, [14, 15, 3], packed)?;
            Ok(each(AttemptRow {
                endpoint: self.shown_endpoint(r.get(0)?),
                policy_source: r.get(1)?,
                policy_no: r.get(2)?,
                order_no: r.get(3)?,
                state: state_of(r, 4)?,
                deal_code: r.get(5)?,
                deal_desc: r.get(6)?,
                http_status: r.get(7)?,
                attempts: r.get(8)?,
                first_sent_at: opt_time(r.get(9)?),
                last_sent_at: opt_time(r.get(10)?),
                os_user: r.get(11)?,
                host: r.get(12)?,
                attempt: r.get(13)?,
                uuid: r.get(14)?,
                req_time: r.get(15)?,
                started_at: format_time(r.get(16)?),
                finished_at: opt_time(r.get(17)?),
                error: r.get(18)?,
                elapsed_ms: r.get::<_, Option<i64>>(19)?.map(|v| v.max(0) as u64),
                request,
                answer,
                answer_cut: r.get(22)?,
                run_id: r.get(23)?,
                bodies_pruned_at: opt_time(r.get(24)?),
            }))
        })
    }

    /// Runs `sql` and hands each row to `map` as it is stepped; `map` may stop early.
    fn stream(
        &self,
        sql: &str,
        args: &[Box<dyn ToSql>],
        mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<ControlFlow<()>>,
    ) -> Result<(), JournalError> {
        let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let mut run = || -> rusqlite::Result<()> {
            let mut stmt = self.conn.prepare(sql)?;
            let mut rows = stmt.query(params.as_slice())?;
            while let Some(r) = rows.next()? {
                if map(r)?.is_break() {
                    break;
                }
            }
            Ok(())
        };
        run().map_err(|e| self.err(e))
    }

    fn rows<T>(
        &self,
        sql: &str,
        args: &[Box<dyn ToSql>],
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, JournalError> {
        let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        self.conn
            .prepare(sql)
            .and_then(|mut s| s.query_map(params.as_slice(), map)?.collect())
            .map_err(|e| self.err(e))
    }
}

fn state_of(r: &Row<'_>, i: usize) -> rusqlite::Result<State> {
    let s: String = r.get(i)?;
    State::parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown notice state '{s}'").into(),
        )
    })
}

fn limit(filter: &HistoryFilter) -> i64 {
    filter
        .limit
        .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX))
}

/// The schema version that records runs (`runs`, `attempts.run_id`).
const RUNS_VERSION: i64 = 5;
/// The schema version that packs bodies and records when they were pruned.
const PACKED_VERSION: i64 = 6;

/// What a query lists: its table's alias is `n` (notices), `a` (attempts, joined to their
/// notice `n`) or `r` (runs).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    Notices,
    Attempts,
    Runs,
}

impl Rows {
    /// The time `since` and `until` bound.
    fn time(self) -> &'static str {
        match self {
            Rows::Notices => "n.touched_at",
            Rows::Attempts => "a.started_at",
            Rows::Runs => "r.started_at",
        }
    }

    /// The platform and the channel: the notice's, or the run's.
    fn owner(self) -> &'static str {
        match self {
            Rows::Notices | Rows::Attempts => "n",
            Rows::Runs => "r",
        }
    }

    /// The rows of one policy: for runs, those that sent it.
    fn of_policy(self) -> &'static str {
        match self {
            Rows::Notices | Rows::Attempts => "n.policy_no = ?",
            Rows::Runs => {
                "r.id IN (SELECT a.run_id FROM attempts a JOIN notices n ON n.id = a.notice_id
                          WHERE n.policy_no = ?)"
            }
        }
    }

    /// The rows of one run: the notices it sent, its attempts, itself.
    fn of_run(self) -> &'static str {
        match self {
            Rows::Notices => "n.id IN (SELECT notice_id FROM attempts WHERE run_id = ?)",
            Rows::Attempts => "a.run_id = ?",
            Rows::Runs => "r.id = ?",
        }
    }
}

/// The WHERE clause for `filter` on `rows`, with `endpoints` the recorded spellings of its
/// endpoint; `has_runs` when the journal records runs (before, no row is any run's).
fn conditions(
    filter: &HistoryFilter,
    endpoints: &[String],
    rows: Rows,
    has_runs: bool,
) -> (String, Vec<Box<dyn ToSql>>) {
    let mut clauses = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let owner = rows.owner();
    if let Some(p) = &filter.policy_no {
        clauses.push(rows.of_policy().to_string());
        args.push(Box::new(p.clone()));
    }
    if filter.endpoint.is_some() {
        if endpoints.is_empty() {
            clauses.push("0".to_string());
        } else {
            clauses.push(format!(
                "{owner}.endpoint IN ({})",
                vec!["?"; endpoints.len()].join(", ")
            ));
            args.extend(
                endpoints
                    .iter()
                    .map(|e| Box::new(e.clone()) as Box<dyn ToSql>),
            );
        }
    }
    if let Some(source) = &filter.policy_source {
        clauses.push(format!("{owner}.policy_source = ?"));
        args.push(Box::new(source.clone()));
    }
    if let Some(run) = &filter.run {
        if has_runs {
            clauses.push(rows.of_run().to_string());
            args.push(Box::new(run.clone()));
        } else {
            clauses.push("0".to_string());
        }
    }
    if let Some(s) = filter.state.filter(|_| rows != Rows::Runs) {
        // The stored column first, so that the (state, touched_at) index finds the few failed
        // notices among a million accepted ones: an open attempt clears the stored state
        // (unless it was in doubt already), so never-final and never-sent notices have none,
        // and in doubt ones none or `inDoubt`.
        let stored = match s {
            State::Accepted | State::Rejected => "n.state = ?",
            State::Failed | State::InDoubt => "(n.state = ? OR n.state IS NULL)",
            State::NotSent => "(n.state IS NULL AND ? IS NOT NULL)",
        };
        clauses.push(format!("{stored} AND ({STATE_SQL}) = ?"));
        args.push(Box::new(s.as_str()));
        args.push(Box::new(s.as_str()));
    }
    let time = rows.time();
    if let Some(t) = filter.since {
        clauses.push(format!("{time} >= ?"));
        args.push(Box::new(t.timestamp_millis()));
    }
    if let Some(t) = filter.until {
        clauses.push(format!("{time} < ?"));
        args.push(Box::new(t.timestamp_millis()));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (sql, args)
}

/// Where a run that recorded no end stands: still going when its process is alive on this
/// host, else unfinished.
fn run_state(ended: bool, host: &str, pid: Option<u32>, start: Option<i64>) -> RunState {
    match pid {
        _ if ended => RunState::Finished,
        Some(pid) if owner::is_alive(host, pid, start) => RunState::Running,
        _ => RunState::Unfinished,
    }
}

impl Reader for SqliteReader {
    fn lookups(&self) -> Result<Box<dyn LookupsBackend + '_>, JournalError> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        // Prepared once for many keys: taking it from the statement cache for each would hash
        // its text every time.
        let statement = match self.conn.prepare_cached(&self.lookup_sql) {
            Ok(statement) => statement,
            Err(e) => {
                let _ = self.conn.execute_batch("COMMIT");
                return Err(self.err(e));
            }
        };
        Ok(Box::new(SqliteLookups {
            reader: self,
            statement,
            holder: None,
        }))
    }

    /// SQLite's count of commits by other connections: equal at two moments, nothing in the
    /// file changed between them.
    fn version(&self) -> Result<Option<i64>, JournalError> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map(Some)
            .map_err(|e| self.err(e))
    }

    fn another(&self) -> Option<Box<dyn Reader>> {
        let another = SqliteReader::open(&self.path).ok().flatten()?;
        Some(Box::new(another))
    }

    /// Newest first, handed on as they are read: a journal of a million notices is never held
    /// in memory.
    fn each_notice(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(NoticeRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        self.notices(filter, each)
    }

    fn each_attempt(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        self.attempts(filter, each)
    }

    fn each_run(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(RunRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        self.runs(filter, each)
    }

    fn each_attempt_in_full(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let (conditions, args) = self.filter_args(filter, Rows::Attempts)?;
        self.attempt_rows(
            &format!("{conditions} ORDER BY a.number, a.id"),
            &args,
            true,
            each,
        )
    }

    fn health(&self) -> Result<Health, JournalError> {
        super::health::health(&self.conn, &self.path, self.version)
    }
}
