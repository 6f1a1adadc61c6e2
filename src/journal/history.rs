//! Reading the journal: preflight lookups, and the rows `history` prints. A reader has its own
//! read-only connection and never writes, so `--dry-run` and `history` leave the file as is.

use super::claim::{derive_state, STATE_SQL};
use super::migrate;
use super::schema::{self, classify};
use super::{JournalError, State};
use crate::protocol::cst;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

pub struct JournalReader {
    conn: Connection,
    path: PathBuf,
    /// Schema version 1, not yet upgraded (only a writer upgrades): endpoints are as typed,
    /// so they are normalised here, as the upgrade would, and one notice may have two rows.
    legacy_endpoints: bool,
    /// The schema version as found (a reader never upgrades).
    version: i64,
    /// [`JournalReader::lookup`]'s statement, built once: the first pass asks it per row.
    lookup_sql: String,
    /// [`JournalReader::recall`]'s, likewise for the second pass.
    recall_sql: String,
}

/// One read transaction over many lookups: without it each statement takes and drops the
/// file's read lock, which costs more than the lookup itself. Ends when dropped.
pub struct Snapshot<'r> {
    reader: &'r JournalReader,
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        self.reader.end_read();
    }
}

/// What the journal holds for one notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The notice's row in the journal: a later look at the same notice goes straight to it.
    pub id: i64,
    pub order_no: String,
    pub state: State,
    pub attempts: u32,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    /// `Some(orderNo)` when an acceptance was recorded at some point, even if a forced
    /// re-send since ended otherwise: without force such a notice is skipped.
    pub accepted_order_no: Option<String>,
    pub accepted_at: Option<i64>,
    /// The answer of that first acceptance.
    pub accepted_deal_code: Option<String>,
    pub accepted_deal_desc: Option<String>,
    /// What was last sent, and its fingerprint (`None` before the journal kept content).
    pub content: Option<String>,
    pub content_fp: Option<String>,
    /// When it was last sent (UTC milliseconds).
    pub last_sent_at: Option<i64>,
}

impl Recorded {
    /// What the notice rule needs of this record.
    pub fn known(&self) -> super::rule::Known<'_> {
        super::rule::Known {
            order_no: &self.order_no,
            attempts: self.attempts,
            accepted_order_no: self.accepted_order_no.as_deref(),
            state: self.state,
            accepted_at: self.accepted_at,
            content: self.content.as_deref(),
            content_fp: self.content_fp.as_deref(),
            deal_code: self.deal_code.as_deref(),
            deal_desc: self.deal_desc.as_deref(),
            last_sent_at: self.last_sent_at,
        }
    }
}

/// Which rows `history` shows. Empty filter = everything, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub policy_no: Option<String>,
    /// The resolved base URL.
    pub endpoint: Option<String>,
    /// The notice's (latest) state; for attempt rows too.
    pub state: Option<State>,
    /// Notices: last sent (or created, if never sent) at or after; attempts: started.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive upper bound, on the same time as `since`.
    pub until: Option<DateTime<Utc>>,
    /// The channel (`head.policySource`).
    pub policy_source: Option<String>,
    pub limit: Option<usize>,
}

/// One notice, in its latest state. Times are RFC 3339 in China Standard Time (+08:00).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeRow {
    pub endpoint: String,
    pub policy_source: String,
    pub policy_no: String,
    pub order_no: String,
    pub state: State,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    pub http_status: Option<u16>,
    pub attempts: u32,
    pub created_at: String,
    pub first_sent_at: Option<String>,
    pub last_sent_at: Option<String>,
    /// Who last sent it (or recorded it, if never sent).
    pub os_user: String,
    pub host: String,
    /// Why the last attempt had no answer (a connection error, an HTTP status), if it had none.
    pub error: Option<String>,
    /// What was last sent (`protocol::notice_content`); `None` before the journal kept it.
    /// For `--output csv`; the JSON view shows the fields through `history show`.
    #[serde(skip)]
    pub content: Option<String>,
}

/// One attempt. `state` is its notice's; the answer fields, `orderNo`, `osUser` and `host` are
/// the attempt's own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRow {
    pub endpoint: String,
    pub policy_source: String,
    pub policy_no: String,
    pub order_no: String,
    pub state: State,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    pub http_status: Option<u16>,
    /// How many attempts its notice has in all.
    pub attempts: u32,
    pub first_sent_at: Option<String>,
    pub last_sent_at: Option<String>,
    pub os_user: String,
    pub host: String,
    /// 1 for the notice's first attempt.
    pub attempt: u32,
    pub uuid: String,
    pub req_time: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    pub elapsed_ms: Option<u64>,
    /// The request body exactly as sent; `None` before the journal kept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The answer body as received, up to 64 KiB (`answerCut` when it was longer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub answer_cut: bool,
}

/// UTC milliseconds as RFC 3339 in China Standard Time: the one offset every time a person
/// reads is shown in (as `reqTime` and order numbers are), whatever this machine's zone.
pub fn format_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&cst())
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}

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

/// A notice's record from a row of [`recorded_columns`], given whether its last attempt is
/// open.
fn recorded(r: &Row<'_>, last_open: bool) -> rusqlite::Result<Recorded> {
    Ok(view(r, last_open)?.to_owned())
}

/// [`Recorded`], borrowed from the row it was read from: the first pass judges a million rows
/// without copying each text out of SQLite.
pub struct RecordView<'r> {
    pub id: i64,
    pub order_no: &'r str,
    pub state: State,
    pub attempts: u32,
    pub deal_code: Option<&'r str>,
    pub deal_desc: Option<&'r str>,
    pub accepted_order_no: Option<&'r str>,
    pub accepted_at: Option<i64>,
    pub accepted_deal_code: Option<&'r str>,
    pub accepted_deal_desc: Option<&'r str>,
    pub content: Option<&'r str>,
    pub content_fp: Option<&'r str>,
    pub last_sent_at: Option<i64>,
}

impl RecordView<'_> {
    /// What the notice rule needs of this record.
    pub fn known(&self) -> super::rule::Known<'_> {
        super::rule::Known {
            order_no: self.order_no,
            attempts: self.attempts,
            accepted_order_no: self.accepted_order_no,
            state: self.state,
            accepted_at: self.accepted_at,
            content: self.content,
            content_fp: self.content_fp,
            deal_code: self.deal_code,
            deal_desc: self.deal_desc,
            last_sent_at: self.last_sent_at,
        }
    }

    fn to_owned(&self) -> Recorded {
        let own = |t: Option<&str>| t.map(str::to_owned);
        Recorded {
            id: self.id,
            order_no: self.order_no.to_owned(),
            state: self.state,
            attempts: self.attempts,
            deal_code: own(self.deal_code),
            deal_desc: own(self.deal_desc),
            accepted_order_no: own(self.accepted_order_no),
            accepted_at: self.accepted_at,
            accepted_deal_code: own(self.accepted_deal_code),
            accepted_deal_desc: own(self.accepted_deal_desc),
            content: own(self.content),
            content_fp: own(self.content_fp),
            last_sent_at: self.last_sent_at,
        }
    }
}

/// The record in a row of [`recorded_columns`], borrowed.
/// The lookup's statement, held for many keys ([`JournalReader::lookups`]).
pub struct Lookups<'r> {
    reader: &'r JournalReader,
    statement: rusqlite::CachedStatement<'r>,
    /// [`Lookups::order_no_holder`]'s, once asked; `None` inside when the journal predates
    /// the index by orderNo (the check then waits for the first run that upgrades it).
    holder: Option<Option<rusqlite::CachedStatement<'r>>>,
}

/// Another policy that an orderNo is recorded for: its number and when it was last sent (or
/// recorded, if never sent), in UTC milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub policy_no: String,
    pub at: i64,
}

impl Lookups<'_> {
    /// A notice's record by its key, lent to `judge` rather than copied: the first pass asks
    /// once per row. `for_unforced_rule`: the record is for the rule without force, which
    /// does not read the state of a notice accepted earlier (`rule::tests::an_acceptance_
    /// decides_whatever_the_state_unless_forced`); such a notice's last attempt is then not
    /// read, and its state is never in doubt. Every other record's state is exact.
    pub fn look_at<T>(
        &mut self,
        (endpoint, policy_source, policy_no): (&str, &str, &str),
        for_unforced_rule: bool,
        judge: impl FnOnce(Option<RecordView<'_>>) -> T,
    ) -> Result<T, JournalError> {
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
                return Ok(judge(Some(view(r, last_open)?)));
            }
            Ok(judge(None))
        })();
        judged.map_err(|e| reader.err(e))
    }

    /// The policy other than `policy_no` that the journal records `order_no` for on this
    /// endpoint and channel, if any.
    pub fn order_no_holder(
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
        id: r.get(12)?,
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

/// [`JournalReader::recall`]'s statement: one notice by its row id, without its last attempt.
fn recall_sql(version: i64) -> String {
    format!(
        "SELECT {} FROM notices n WHERE n.id = ?1",
        recorded_columns(version, "0")
    )
}

/// A notice's key and record, as [`JournalReader::recall`] finds them.
pub struct Recalled {
    /// The endpoint as stored (normalised from schema version 2 on).
    pub endpoint: String,
    pub policy_source: String,
    pub policy_no: String,
    pub recorded: Recorded,
}

impl JournalReader {
    /// Read-only; `None` when there is no journal (or an empty file) at `path`. Never creates
    /// the journal or changes a record (SQLite may leave its empty `-wal`/`-shm` index files
    /// beside an existing one, as any reader of a WAL database does, and folds back a rollback
    /// file left by a killed process). A journal on a read-only mount or in a read-only
    /// directory is read as it stands.
    pub fn open_existing(path: &Path) -> Result<Option<JournalReader>, JournalError> {
        Ok(
            schema::open_read(path)?.map(|(conn, version)| JournalReader {
                conn,
                path: path.to_path_buf(),
                legacy_endpoints: version < 2,
                version,
                lookup_sql: lookup_sql(version),
                recall_sql: recall_sql(version),
            }),
        )
    }

    /// A second reader of the same journal, with a connection of its own; `None` when one
    /// cannot be opened (the caller then makes do with this one).
    pub fn another(&self) -> Option<JournalReader> {
        JournalReader::open_existing(&self.path).ok().flatten()
    }

    fn err(&self, e: rusqlite::Error) -> JournalError {
        classify(&self.path, e)
    }

    /// Holds one read transaction until the guard is dropped, so that a run of lookups sees
    /// one state of the file and locks it once.
    pub fn snapshot(&self) -> Result<Snapshot<'_>, JournalError> {
        self.begin_read()?;
        Ok(Snapshot { reader: self })
    }

    /// Starts the read transaction a [`Snapshot`] holds, for a caller that keeps the reader
    /// and the transaction side by side; [`JournalReader::end_read`] ends it.
    pub fn begin_read(&self) -> Result<(), JournalError> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))
    }

    /// SQLite's count of commits by other connections, read outside a transaction: equal
    /// at two moments, nothing in the file changed between them.
    pub fn data_version(&self) -> Result<i64, JournalError> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    pub fn end_read(&self) {
        // A read transaction has nothing to lose; failing to end it only keeps a lock until
        // the connection closes.
        let _ = self.conn.execute_batch("COMMIT");
    }

    #[cfg(test)]
    pub fn lookup(&self, key: &super::NoticeKey) -> Result<Option<Recorded>, JournalError> {
        let key = (
            key.endpoint.as_str(),
            key.policy_source.as_str(),
            key.policy_no.as_str(),
        );
        self.lookups()?
            .look_at(key, false, |found| found.map(|view| view.to_owned()))
    }

    /// The lookup's statement, prepared once for many keys: taking it from the statement
    /// cache for each would hash its text every time.
    pub fn lookups(&self) -> Result<Lookups<'_>, JournalError> {
        let statement = self
            .conn
            .prepare_cached(&self.lookup_sql)
            .map_err(|e| self.err(e))?;
        Ok(Lookups {
            reader: self,
            statement,
            holder: None,
        })
    }

    /// One notice by its row id (from an earlier [`Lookups::look_at`]), with its key:
    /// a look by row id skips the search by endpoint, channel and policy number. It also skips
    /// the last attempt's row, so its `state` never says in doubt: it is for judging a notice
    /// accepted earlier, whose decision without force does not depend on the state (as
    /// `rule::tests::an_acceptance_decides_whatever_the_state_unless_forced` checks).
    pub fn recall(&self, id: i64) -> Result<Option<Recalled>, JournalError> {
        self.conn
            .prepare_cached(&self.recall_sql)
            .and_then(|mut s| {
                s.query_row([id], |r| {
                    Ok(Recalled {
                        endpoint: r.get(7)?,
                        policy_source: r.get(15)?,
                        policy_no: r.get(16)?,
                        recorded: recorded(r, false)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// Whether an attempt has no end recorded (its notice is then in doubt).
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
        time: &str,
    ) -> Result<(String, Vec<Box<dyn ToSql>>), JournalError> {
        let endpoints = match &filter.endpoint {
            Some(e) if self.legacy_endpoints => self.spellings(e)?,
            Some(e) => vec![e.clone()],
            None => Vec::new(),
        };
        Ok(conditions(filter, &endpoints, time))
    }

    fn shown_endpoint(&self, recorded: String) -> String {
        if self.legacy_endpoints {
            migrate::endpoint_key(&recorded)
        } else {
            recorded
        }
    }

    /// One row per notice, newest first, handed to `each` as it is read (a journal of a
    /// million notices is never held in memory); `each` may stop the reading.
    pub fn each_notice(
        &self,
        filter: &HistoryFilter,
        mut each: impl FnMut(NoticeRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let (conditions, mut args) = self.filter_args(filter, "n.touched_at")?;
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

    /// One row per attempt, newest first, handed to `each` as it is read.
    pub fn each_attempt(
        &self,
        filter: &HistoryFilter,
        each: impl FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let (conditions, mut args) = self.filter_args(filter, "a.started_at")?;
        args.push(Box::new(limit(filter)));
        self.attempt_rows(
            &format!("{conditions} ORDER BY a.started_at DESC, a.id DESC LIMIT ?"),
            &args,
            false,
            each,
        )
    }

    /// Attempts under `tail` (a WHERE clause and an order); with their bodies when `bodies`.
    fn attempt_rows(
        &self,
        tail: &str,
        args: &[Box<dyn ToSql>],
        bodies: bool,
        mut each: impl FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let bodies = if bodies && self.version >= 3 {
            "a.request, a.answer, coalesce(a.answer_cut, 0)"
        } else {
            "NULL, NULL, 0"
        };
        let sql = format!(
            "SELECT n.endpoint, n.policy_source, n.policy_no, a.order_no, {STATE_SQL},
                    a.deal_code, a.deal_desc, a.http_status, n.attempts,
                    n.first_sent_at, n.last_sent_at, a.os_user, a.host,
                    a.number, a.uuid, a.req_time, a.started_at, a.finished_at, a.error,
                    a.elapsed_ms, {bodies}
             FROM attempts a JOIN notices n ON n.id = a.notice_id
                  LEFT JOIN attempts la ON la.id = n.last_attempt_id
             {tail}"
        );
        self.stream(&sql, args, |r| {
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
                request: body_text(r, 20)?,
                answer: body_text(r, 21)?,
                answer_cut: r.get(22)?,
            }))
        })
    }

    /// Every notice of `policy_no` that `filter` lets through (its endpoint and channel), each
    /// with all its attempts, oldest first, bodies included: what `history show` prints.
    pub fn show(
        &self,
        policy_no: &str,
        filter: &HistoryFilter,
    ) -> Result<Vec<(NoticeRow, Vec<AttemptRow>)>, JournalError> {
        let filter = HistoryFilter {
            policy_no: Some(policy_no.to_string()),
            endpoint: filter.endpoint.clone(),
            policy_source: filter.policy_source.clone(),
            ..HistoryFilter::default()
        };
        let mut notices = Vec::new();
        self.each_notice(&filter, |n| {
            notices.push(n);
            ControlFlow::Continue(())
        })?;
        let mut shown = Vec::with_capacity(notices.len());
        for notice in notices {
            // The row's endpoint as recorded: a journal not yet upgraded may spell it otherwise.
            let one = HistoryFilter {
                endpoint: Some(notice.endpoint.clone()),
                policy_source: Some(notice.policy_source.clone()),
                ..filter.clone()
            };
            let (conditions, args) = self.filter_args(&one, "a.started_at")?;
            let mut attempts = Vec::new();
            self.attempt_rows(
                &format!("{conditions} ORDER BY a.number, a.id"),
                &args,
                true,
                |a| {
                    attempts.push(a);
                    ControlFlow::Continue(())
                },
            )?;
            shown.push((notice, attempts));
        }
        Ok(shown)
    }

    /// One row per notice, newest first, collected (for tests).
    #[cfg(test)]
    pub fn history(&self, filter: &HistoryFilter) -> Result<Vec<NoticeRow>, JournalError> {
        let mut all = Vec::new();
        self.each_notice(filter, |r| {
            all.push(r);
            ControlFlow::Continue(())
        })?;
        Ok(all)
    }

    /// One row per attempt, newest first, collected (for tests).
    #[cfg(test)]
    pub fn attempts(&self, filter: &HistoryFilter) -> Result<Vec<AttemptRow>, JournalError> {
        let mut all = Vec::new();
        self.each_attempt(filter, |r| {
            all.push(r);
            ControlFlow::Continue(())
        })?;
        Ok(all)
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

/// A stored body: text, or bytes that were not UTF-8 (shown with U+FFFD where they broke).
fn body_text(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        _ => None,
    })
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

/// The WHERE clause for `filter`, with `time` the column `since`/`until` bound and
/// `endpoints` the recorded spellings of its endpoint.
fn conditions(
    filter: &HistoryFilter,
    endpoints: &[String],
    time: &str,
) -> (String, Vec<Box<dyn ToSql>>) {
    let mut clauses = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(p) = &filter.policy_no {
        clauses.push("n.policy_no = ?".to_string());
        args.push(Box::new(p.clone()));
    }
    if filter.endpoint.is_some() {
        if endpoints.is_empty() {
            clauses.push("0".to_string());
        } else {
            clauses.push(format!(
                "n.endpoint IN ({})",
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
        clauses.push("n.policy_source = ?".to_string());
        args.push(Box::new(source.clone()));
    }
    if let Some(s) = filter.state {
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
