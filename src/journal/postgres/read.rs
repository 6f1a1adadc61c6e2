//! Reading a PostgreSQL journal: the first pass's lookups and the rows `history` prints, with
//! the same filters and order as SQLite's (`sqlite/read.rs`). A reader never writes.

use super::conn::{Connection, Session};
use crate::journal::location::PgLocation;
use crate::journal::owner;
use crate::journal::read::{LookupsBackend, Reader};
use crate::journal::state::{derive_state, STATE_SQL};
use crate::journal::{
    AttemptRow, Health, HistoryFilter, Holder, JournalError, NoticeRow, RecordView, RunCounts,
    RunRow, RunState, State,
};
use crate::protocol::format_time;
use postgres::types::ToSql;
use postgres::Row;
use std::ops::ControlFlow;

type Arg = Box<dyn ToSql + Sync + Send>;

pub(crate) struct PgReader {
    conn: Connection,
    version: i64,
}

impl PgReader {
    /// `None` when the database has no journal yet (or does not exist).
    pub(crate) fn open(at: &PgLocation) -> Result<Option<PgReader>, JournalError> {
        let conn = match Connection::open(at) {
            Ok(conn) => conn,
            // No database yet: no journal yet, as a file not made yet (a role or host that
            // does not exist is an error still).
            Err(JournalError::Postgres { reason, .. })
                if reason.starts_with("FATAL: database ") && reason.ends_with("does not exist") =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        let place = at.clone();
        let version = conn
            .call(move |s| Ok(super::schema::version(&mut s.client, &place)))
            .and_then(|v| v)?;
        Ok(version.map(|version| PgReader { conn, version }))
    }

    /// Runs `sql` with `args` on the connection's thread, each row mapped there and handed to
    /// `each` here.
    fn stream<T: Send + 'static>(
        &self,
        sql: String,
        args: Vec<Arg>,
        map: fn(&Row) -> T,
        each: &mut dyn FnMut(T) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        self.conn.stream(
            move |s: &mut Session, give: &mut dyn FnMut(T) -> bool| {
                let params: Vec<&(dyn ToSql + Sync)> = args
                    .iter()
                    .map(|a| a.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                let statement = s.prepared(&sql)?;
                let mut rows = s.client.query_raw(&statement, params)?;
                while let Some(row) =
                    postgres::fallible_iterator::FallibleIterator::next(&mut rows)?
                {
                    if !give(map(&row)) {
                        break;
                    }
                }
                Ok(())
            },
            each,
        )
    }

    fn notices(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(NoticeRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let (conditions, mut args) = conditions(filter, Rows::Notices);
        let sql = format!(
            "SELECT n.endpoint, n.policy_source, n.policy_no, n.order_no, {STATE_SQL},
                    n.deal_code, n.deal_desc, n.http_status, n.attempts, n.created_at,
                    n.first_sent_at, n.last_sent_at, n.os_user, n.host, la.error, n.content
             FROM notices n LEFT JOIN attempts la ON la.id = n.last_attempt_id
             {conditions}
             ORDER BY n.touched_at DESC, n.id DESC LIMIT ${}",
            args.len() + 1
        );
        args.push(Box::new(limit(filter)));
        self.stream(sql, args, notice_row, each)
    }

    fn attempt_rows(
        &self,
        tail: String,
        args: Vec<Arg>,
        bodies: bool,
        each: &mut dyn FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let bodies = if bodies {
            "a.request, a.answer, coalesce(a.answer_cut, false)"
        } else {
            "NULL::bytea, NULL::bytea, false"
        };
        let sql = format!(
            "SELECT n.endpoint, n.policy_source, n.policy_no, a.order_no, {STATE_SQL},
                    a.deal_code, a.deal_desc, a.http_status, n.attempts,
                    n.first_sent_at, n.last_sent_at, a.os_user, a.host,
                    a.number, a.uuid, a.req_time, a.started_at, a.finished_at, a.error,
                    a.elapsed_ms, {bodies}, a.run_id
             FROM attempts a JOIN notices n ON n.id = a.notice_id
                  LEFT JOIN attempts la ON la.id = n.last_attempt_id
             {tail}"
        );
        self.stream(sql, args, attempt_row, each)
    }

    fn runs(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(RunRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let (conditions, mut args) = conditions(filter, Rows::Runs);
        let sql = format!(
            "SELECT r.id, r.started_at, r.ended_at, r.os_user, r.host, r.pid, r.pid_start,
                    r.command, r.input, r.env, r.endpoint, r.production, r.policy_source,
                    r.notices,
                    (SELECT count(DISTINCT a.notice_id) FROM attempts a WHERE a.run_id = r.id),
                    r.accepted, r.rejected, r.failed, r.in_doubt, r.skipped, r.not_sent,
                    r.rejected_earlier, r.interrupted, r.exit_code, r.error
             FROM runs r
             {conditions}
             ORDER BY r.started_at DESC, r.id DESC LIMIT ${}",
            args.len() + 1
        );
        args.push(Box::new(limit(filter)));
        self.stream(sql, args, run_row, each)
    }
}

fn opt_time(ms: Option<i64>) -> Option<String> {
    ms.map(format_time)
}

fn count(v: Option<i64>) -> u64 {
    v.unwrap_or(0).max(0) as u64
}

fn state_of(r: &Row, i: usize) -> State {
    State::parse(r.get::<_, &str>(i)).unwrap_or(State::Failed)
}

fn body(r: &Row, i: usize) -> Option<String> {
    r.get::<_, Option<&[u8]>>(i)
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

fn notice_row(r: &Row) -> NoticeRow {
    NoticeRow {
        endpoint: r.get(0),
        policy_source: r.get(1),
        policy_no: r.get(2),
        order_no: r.get(3),
        state: state_of(r, 4),
        deal_code: r.get(5),
        deal_desc: r.get(6),
        http_status: r
            .get::<_, Option<i64>>(7)
            .and_then(|s| u16::try_from(s).ok()),
        attempts: u32::try_from(r.get::<_, i64>(8)).unwrap_or(u32::MAX),
        created_at: format_time(r.get(9)),
        first_sent_at: opt_time(r.get(10)),
        last_sent_at: opt_time(r.get(11)),
        os_user: r.get(12),
        host: r.get(13),
        error: r.get(14),
        content: r.get(15),
    }
}

fn attempt_row(r: &Row) -> AttemptRow {
    AttemptRow {
        endpoint: r.get(0),
        policy_source: r.get(1),
        policy_no: r.get(2),
        order_no: r.get(3),
        state: state_of(r, 4),
        deal_code: r.get(5),
        deal_desc: r.get(6),
        http_status: r
            .get::<_, Option<i64>>(7)
            .and_then(|s| u16::try_from(s).ok()),
        attempts: u32::try_from(r.get::<_, i64>(8)).unwrap_or(u32::MAX),
        first_sent_at: opt_time(r.get(9)),
        last_sent_at: opt_time(r.get(10)),
        os_user: r.get(11),
        host: r.get(12),
        attempt: u32::try_from(r.get::<_, i64>(13)).unwrap_or(u32::MAX),
        uuid: r.get(14),
        req_time: r.get(15),
        started_at: format_time(r.get(16)),
        finished_at: opt_time(r.get(17)),
        error: r.get(18),
        elapsed_ms: r.get::<_, Option<i64>>(19).map(|v| v.max(0) as u64),
        request: body(r, 20),
        answer: body(r, 21),
        answer_cut: r.get(22),
        run_id: r.get(23),
        // `journal prune` works on SQLite journals only; PostgreSQL keeps every body.
        bodies_pruned_at: None,
    }
}

fn run_row(r: &Row) -> RunRow {
    let ended_at: Option<i64> = r.get(2);
    let host: String = r.get(4);
    let counts = ended_at.map(|_| RunCounts {
        accepted: count(r.get(15)),
        rejected: count(r.get(16)),
        failed: count(r.get(17)),
        in_doubt: count(r.get(18)),
        skipped: count(r.get(19)),
        not_sent: count(r.get(20)),
        rejected_earlier: count(r.get(21)),
    });
    let pid = r
        .get::<_, Option<i64>>(5)
        .and_then(|p| u32::try_from(p).ok());
    let state = match pid {
        _ if ended_at.is_some() => RunState::Finished,
        Some(pid) if owner::is_alive(&host, pid, r.get(6)) => RunState::Running,
        _ => RunState::Unfinished,
    };
    RunRow {
        run_id: r.get(0),
        state,
        started_at: format_time(r.get(1)),
        ended_at: opt_time(ended_at),
        os_user: r.get(3),
        host,
        command: r.get(7),
        input: r.get(8),
        env: r.get(9),
        endpoint: r.get(10),
        production: r.get(11),
        policy_source: r.get(12),
        notices: count(r.get(13)),
        sent: count(r.get(14)),
        counts,
        interrupted: r.get(22),
        exit_code: r
            .get::<_, Option<i64>>(23)
            .and_then(|c| u8::try_from(c).ok()),
        error: r.get(24),
    }
}

fn limit(filter: &HistoryFilter) -> Option<i64> {
    filter.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX))
}

/// What a query lists: its table's alias is `n`, `a` (joined to its notice `n`) or `r`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    Notices,
    Attempts,
    Runs,
}

/// The WHERE clause for `filter` on `rows`, as SQLite's reader builds it, with numbered
/// parameters.
fn conditions(filter: &HistoryFilter, rows: Rows) -> (String, Vec<Arg>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let arg = |args: &mut Vec<Arg>, value: Arg| {
        args.push(value);
        format!("${}", args.len())
    };
    let (owner, time) = match rows {
        Rows::Notices => ("n", "n.touched_at"),
        Rows::Attempts => ("n", "a.started_at"),
        Rows::Runs => ("r", "r.started_at"),
    };
    if let Some(p) = &filter.policy_no {
        let p = arg(&mut args, Box::new(p.clone()));
        clauses.push(match rows {
            Rows::Notices | Rows::Attempts => format!("n.policy_no = {p}"),
            Rows::Runs => format!(
                "r.id IN (SELECT a.run_id FROM attempts a JOIN notices n ON n.id = a.notice_id
                          WHERE n.policy_no = {p})"
            ),
        });
    }
    if let Some(e) = &filter.endpoint {
        let e = arg(&mut args, Box::new(e.clone()));
        clauses.push(format!("{owner}.endpoint = {e}"));
    }
    if let Some(source) = &filter.policy_source {
        let s = arg(&mut args, Box::new(source.clone()));
        clauses.push(format!("{owner}.policy_source = {s}"));
    }
    if let Some(run) = &filter.run {
        let run = arg(&mut args, Box::new(run.clone()));
        clauses.push(match rows {
            Rows::Notices => {
                format!("n.id IN (SELECT notice_id FROM attempts WHERE run_id = {run})")
            }
            Rows::Attempts => format!("a.run_id = {run}"),
            Rows::Runs => format!("r.id = {run}"),
        });
    }
    if let Some(s) = filter.state.filter(|_| rows != Rows::Runs) {
        let s = arg(&mut args, Box::new(s.as_str()));
        clauses.push(format!("({STATE_SQL}) = {s}"));
    }
    if let Some(t) = filter.since {
        let t = arg(&mut args, Box::new(t.timestamp_millis()));
        clauses.push(format!("{time} >= {t}"));
    }
    if let Some(t) = filter.until {
        let t = arg(&mut args, Box::new(t.timestamp_millis()));
        clauses.push(format!("{time} < {t}"));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (sql, args)
}

/// A notice's record as the lookup reads it, owned: it crosses from the connection's thread.
struct Record {
    order_no: String,
    state: Option<String>,
    attempts: i64,
    last_open: bool,
    deal_code: Option<String>,
    deal_desc: Option<String>,
    accepted_order_no: Option<String>,
    accepted_at: Option<i64>,
    accepted_deal_code: Option<String>,
    accepted_deal_desc: Option<String>,
    content: Option<String>,
    content_fp: Option<String>,
    last_sent_at: Option<i64>,
}

const LOOKUP_SQL: &str = "SELECT n.order_no, n.state, n.attempts,
        coalesce(la.id IS NOT NULL AND la.finished_at IS NULL, false),
        n.deal_code, n.deal_desc, n.accepted_at IS NOT NULL, n.accepted_order_no,
        n.accepted_at, n.accepted_deal_code, n.accepted_deal_desc, n.content, n.content_fp,
        n.last_sent_at
    FROM notices n LEFT JOIN attempts la ON la.id = n.last_attempt_id
    WHERE n.endpoint = $1 AND n.policy_source = $2 AND n.policy_no = $3";

struct PgLookups<'r>(&'r Connection);

impl LookupsBackend for PgLookups<'_> {
    fn look_at(
        &mut self,
        (endpoint, policy_source, policy_no): (&str, &str, &str),
        _for_unforced_rule: bool,
        judge: &mut dyn FnMut(Option<RecordView<'_>>),
    ) -> Result<(), JournalError> {
        let key = [endpoint, policy_source, policy_no].map(str::to_string);
        let found = self.0.call(move |s| {
            let statement = s.prepared(LOOKUP_SQL)?;
            let row = s
                .client
                .query_opt(&statement, &[&key[0], &key[1], &key[2]])?;
            Ok(row.map(|r| {
                let accepted: bool = r.get(6);
                Record {
                    order_no: r.get(0),
                    state: r.get(1),
                    attempts: r.get(2),
                    last_open: r.get(3),
                    deal_code: r.get(4),
                    deal_desc: r.get(5),
                    accepted_order_no: accepted
                        .then(|| r.get::<_, Option<String>>(7).unwrap_or_default()),
                    accepted_at: r.get(8),
                    accepted_deal_code: r.get(9),
                    accepted_deal_desc: r.get(10),
                    content: r.get(11),
                    content_fp: r.get(12),
                    last_sent_at: r.get(13),
                }
            }))
        })?;
        judge(found.as_ref().map(|n| RecordView {
            order_no: &n.order_no,
            state: derive_state(n.state.as_deref(), n.attempts, n.last_open),
            attempts: u32::try_from(n.attempts).unwrap_or(u32::MAX),
            deal_code: n.deal_code.as_deref(),
            deal_desc: n.deal_desc.as_deref(),
            accepted_order_no: n.accepted_order_no.as_deref(),
            accepted_at: n.accepted_at,
            accepted_deal_code: n.accepted_deal_code.as_deref(),
            accepted_deal_desc: n.accepted_deal_desc.as_deref(),
            content: n.content.as_deref(),
            content_fp: n.content_fp.as_deref(),
            last_sent_at: n.last_sent_at,
        }));
        Ok(())
    }

    fn order_no_holder(
        &mut self,
        (endpoint, policy_source, order_no): (&str, &str, &str),
        policy_no: &str,
    ) -> Result<Option<Holder>, JournalError> {
        let args = [order_no, endpoint, policy_source, policy_no].map(str::to_string);
        self.0.call(move |s| {
            let statement = s.prepared(
                "SELECT policy_no, coalesce(last_sent_at, created_at) FROM notices
                 WHERE order_no = $1 AND endpoint = $2 AND policy_source = $3
                   AND policy_no <> $4
                 LIMIT 1",
            )?;
            let row = s
                .client
                .query_opt(&statement, &[&args[0], &args[1], &args[2], &args[3]])?;
            Ok(row.map(|r| Holder {
                policy_no: r.get(0),
                at: r.get(1),
            }))
        })
    }
}

impl Reader for PgReader {
    fn lookups(&self) -> Result<Box<dyn LookupsBackend + '_>, JournalError> {
        Ok(Box::new(PgLookups(&self.conn)))
    }

    /// PostgreSQL has no cheap count of other sessions' commits: nothing judged earlier is
    /// taken as still true.
    fn version(&self) -> Result<Option<i64>, JournalError> {
        Ok(None)
    }

    fn another(&self) -> Option<Box<dyn Reader>> {
        let another = PgReader::open(&self.conn.at).ok().flatten()?;
        Some(Box::new(another))
    }

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
        let (conditions, mut args) = conditions(filter, Rows::Attempts);
        let tail = format!(
            "{conditions} ORDER BY a.started_at DESC, a.id DESC LIMIT ${}",
            args.len() + 1
        );
        args.push(Box::new(limit(filter)));
        self.attempt_rows(tail, args, false, each)
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
        let (conditions, args) = conditions(filter, Rows::Attempts);
        self.attempt_rows(
            format!("{conditions} ORDER BY a.number, a.id"),
            args,
            true,
            each,
        )
    }

    fn health(&self) -> Result<Health, JournalError> {
        super::health::health(&self.conn, self.version)
    }
}
