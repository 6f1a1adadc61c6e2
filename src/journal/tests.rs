//! The journal's behaviour, over its SQLite backend, through the seam. The handles' methods
//! below spell each write operation as the tests use it; the program sends the operations
//! themselves ([`Journal::run`]).

use super::owner;
use super::sqlite::schema;
use super::*;
use crate::notice::Outcome;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// What the journal holds for one notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
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

impl From<RecordView<'_>> for Recorded {
    fn from(view: RecordView<'_>) -> Recorded {
        let own = |t: Option<&str>| t.map(str::to_owned);
        Recorded {
            order_no: view.order_no.to_owned(),
            state: view.state,
            attempts: view.attempts,
            deal_code: own(view.deal_code),
            deal_desc: own(view.deal_desc),
            accepted_order_no: own(view.accepted_order_no),
            accepted_at: view.accepted_at,
            accepted_deal_code: own(view.accepted_deal_code),
            accepted_deal_desc: own(view.accepted_deal_desc),
            content: own(view.content),
            content_fp: own(view.content_fp),
            last_sent_at: view.last_sent_at,
        }
    }
}

/// Each write operation as a method, as the tests use them.
impl Journal {
    pub async fn claim(
        &self,
        key: NoticeKey,
        given: Option<String>,
        generated: Option<String>,
        force: bool,
        content: Option<rule::Content>,
    ) -> Result<Claim, JournalError> {
        let resend = rule::Resend {
            force,
            retry_rejected: false,
        };
        self.claim_sending(key, given, generated, resend, content, None)
            .await
    }

    pub async fn claim_sending(
        &self,
        key: NoticeKey,
        given: Option<String>,
        generated: Option<String>,
        resend: rule::Resend,
        content: Option<rule::Content>,
        first: Option<FirstAttempt>,
    ) -> Result<Claim, JournalError> {
        self.run(ClaimNotice {
            key,
            given,
            generated,
            resend,
            content,
            first,
        })
        .await
    }

    pub async fn begin_attempt(
        &self,
        notice_id: i64,
        uuid: String,
        req_time: String,
        request: Vec<u8>,
        content: Option<rule::Content>,
    ) -> Result<i64, JournalError> {
        self.run(BeginAttempt {
            notice_id,
            uuid,
            req_time,
            request,
            content,
        })
        .await
    }

    pub async fn finish_attempt(
        &self,
        attempt_id: i64,
        end: AttemptEnd,
    ) -> Result<(), JournalError> {
        self.run(FinishAttempt { attempt_id, end }).await
    }

    pub async fn finish_notice(
        &self,
        notice_id: i64,
        last_attempt: Option<(i64, AttemptEnd)>,
        outcome: Outcome,
        deal_code: Option<String>,
        deal_desc: Option<String>,
        http_status: Option<u16>,
    ) -> Result<(), JournalError> {
        self.run(FinishNotice {
            notice_id,
            last_attempt,
            outcome,
            deal_code,
            deal_desc,
            http_status,
        })
        .await
    }

    pub async fn release(&self, notice_id: i64) -> Result<(), JournalError> {
        self.run(Release { notice_id }).await
    }

    pub async fn withdraw(&self, notice_id: i64, attempt_id: i64) -> Result<(), JournalError> {
        self.run(Withdraw {
            notice_id,
            attempt_id,
        })
        .await
    }

    /// Stops the backend once this is the last clone, releasing the claims it still holds.
    pub fn close(self) -> Result<(), JournalError> {
        if std::sync::Arc::strong_count(&self.backend) == 1 {
            self.backend.shut_down()
        } else {
            Ok(())
        }
    }

    /// Who this handle's claims name as their owner (host, pid, run id).
    pub fn owner(&self) -> String {
        owner::describe(&owner::host(), std::process::id(), self.run_id())
    }
}

impl JournalReader {
    pub fn lookup(&self, key: &NoticeKey) -> Result<Option<Recorded>, JournalError> {
        let key = (
            key.endpoint.as_str(),
            key.policy_source.as_str(),
            key.policy_no.as_str(),
        );
        self.lookups()?
            .look_at(key, false, |found| found.map(Recorded::from))
    }

    pub fn history(&self, filter: &HistoryFilter) -> Result<Vec<NoticeRow>, JournalError> {
        let mut all = Vec::new();
        self.each_notice(filter, |r| {
            all.push(r);
            ControlFlow::Continue(())
        })?;
        Ok(all)
    }

    pub fn attempts(&self, filter: &HistoryFilter) -> Result<Vec<AttemptRow>, JournalError> {
        let mut all = Vec::new();
        self.each_attempt(filter, |r| {
            all.push(r);
            ControlFlow::Continue(())
        })?;
        Ok(all)
    }

    pub fn runs(&self, filter: &HistoryFilter) -> Result<Vec<RunRow>, JournalError> {
        let mut all = Vec::new();
        self.each_run(filter, |r| {
            all.push(r);
            ControlFlow::Continue(())
        })?;
        Ok(all)
    }
}

fn key(policy: &str) -> NoticeKey {
    NoticeKey {
        endpoint: "https://avatar.example".into(),
        policy_source: "CH".into(),
        policy_no: policy.into(),
    }
}

#[path = "../../tests/pg/testdb.rs"]
mod testdb;

/// Where a test keeps its journal: a SQLite file in a temporary directory, or a PostgreSQL
/// database of its own (see `testdb`), dropped with it.
pub(crate) struct Place {
    pub at: Location,
    _dir: Option<tempfile::TempDir>,
    _db: Option<testdb::TestDb>,
}

impl Place {
    fn sqlite() -> Place {
        let (dir, path) = tmp();
        Place {
            at: Location::File(path),
            _dir: Some(dir),
            _db: None,
        }
    }

    fn postgres() -> Place {
        let db = testdb::TestDb::create();
        Place {
            at: Location::Postgres(PgLocation::parse(&db.url).unwrap()),
            _dir: None,
            _db: Some(db),
        }
    }
}

/// Each test in it runs twice, once per backend: `mod NAME { fn sqlite, fn postgres }`.
macro_rules! both {
    ($flavor:ident, async fn $name:ident($at:ident) $body:block) => {
        mod $name {
            use super::*;

            async fn body($at: &Location) $body

            both!(@test $flavor, sqlite, Place::sqlite);
            both!(@test $flavor, postgres, Place::postgres);
        }
    };
    (@test current, $backend:ident, $place:path) => {
        #[tokio::test]
        async fn $backend() {
            let place = $place();
            body(&place.at).await;
            drop(place);
        }
    };
    (@test multi, $backend:ident, $place:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $backend() {
            let place = $place();
            body(&place.at).await;
            drop(place);
        }
    };
}

/// A journal's place as the tests give it: a path (SQLite) or a [`Location`].
pub(crate) trait At {
    fn at(&self) -> Location;
}

impl At for Location {
    fn at(&self) -> Location {
        self.clone()
    }
}

impl At for Path {
    fn at(&self) -> Location {
        Location::File(self.to_path_buf())
    }
}

impl At for PathBuf {
    fn at(&self) -> Location {
        Location::File(self.clone())
    }
}

impl<T: At + ?Sized> At for &T {
    fn at(&self) -> Location {
        (**self).at()
    }
}

fn reader(at: &(impl At + ?Sized)) -> JournalReader {
    JournalReader::open_existing(&at.at()).unwrap().unwrap()
}

/// The first column of `sql`'s one row, read past the journal (either backend's SQL).
fn count(at: &(impl At + ?Sized), sql: &str) -> i64 {
    match at.at() {
        Location::File(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap(),
        Location::Postgres(pg) => {
            let (url, sql) = (pg.url().to_string(), sql.to_string());
            std::thread::spawn(move || {
                let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
                client.query_one(&sql, &[]).unwrap().get::<_, i64>(0)
            })
            .join()
            .unwrap()
        }
    }
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    (dir, path)
}

fn open(at: &(impl At + ?Sized)) -> Journal {
    Journal::open(&at.at(), JournalSync::Normal).unwrap()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn answer(code: &str) -> AttemptEnd {
    AttemptEnd {
        http_status: Some(200),
        deal_code: s(code),
        deal_desc: s("ok"),
        error: None,
        elapsed_ms: 12,
        ..AttemptEnd::default()
    }
}

async fn claimed(j: &Journal, k: NoticeKey, given: Option<String>) -> (i64, String) {
    match j.claim(k, given, s("GEN"), false, None).await.unwrap() {
        Claim::Claimed {
            notice_id,
            order_no,
            ..
        } => (notice_id, order_no),
        other => panic!("expected Claimed, got {other:?}"),
    }
}

/// Claim, one attempt, final outcome: what the engine does for each notice.
async fn send(j: &Journal, k: NoticeKey, given: Option<String>, outcome: Outcome) -> String {
    let (id, order_no) = claimed(j, k, given).await;
    let attempt = j
        .begin_attempt(id, "uuid-1".into(), "t".into(), Vec::new(), None)
        .await
        .unwrap();
    let code = if outcome == Outcome::Accepted {
        "1"
    } else {
        "0"
    };
    j.finish_notice(
        id,
        Some((attempt, answer(code))),
        outcome,
        s(code),
        s("desc"),
        Some(200),
    )
    .await
    .unwrap();
    order_no
}

fn lookup(at: &(impl At + ?Sized), k: &NoticeKey) -> Option<Recorded> {
    reader(at).lookup(k).unwrap()
}

/// Rewrites a notice's claim as if another process had left it, bypassing the journal.
fn set_claim(path: &Path, k: &NoticeKey, host: &str, pid: i64, start: Option<i64>, at: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let n = conn
        .execute(
            "UPDATE notices SET claim_host = ?1, claim_pid = ?2, claim_start = ?3,
                 claim_run = 'otherrun', claimed_at = ?4 WHERE policy_no = ?5",
            rusqlite::params![host, pid, start, at, k.policy_no],
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn creates_directories_and_a_0600_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/journal.sqlite3");
    let j = open(&path);
    send(&j, key("P1"), s("O1"), Outcome::Accepted).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        // SQLite gives the WAL the database's permissions.
        let wal = path.with_file_name("journal.sqlite3-wal");
        let mode = std::fs::metadata(wal).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    j.close().unwrap();
    let full = Journal::open(&path.at(), JournalSync::Full).unwrap();
    assert_eq!(lookup(&path, &key("P1")).unwrap().state, State::Accepted);
    full.close().unwrap();
}

both! { current, async fn order_number_given_then_journal_then_generated(path) {
    let j = open(&path);
    assert_eq!(
        j.claim(key("P1"), None, None, false, None).await.unwrap(),
        Claim::NeedsOrderNo
    );
    // Generated when nothing else; recorded before claim returns.
    let (id, order) = claimed(&j, key("P1"), None).await;
    assert_eq!(order, "GEN");
    let rec = lookup(&path, &key("P1")).unwrap();
    assert_eq!((rec.order_no.as_str(), rec.state), ("GEN", State::NotSent));
    j.release(id).await.unwrap();
    // Never sent: a given one replaces it.
    let (id, order) = claimed(&j, key("P1"), s("GIVEN")).await;
    assert_eq!(order, "GIVEN");
    j.release(id).await.unwrap();
    // The journal's beats a generated one.
    let (id, order) = claimed(&j, key("P1"), None).await;
    assert_eq!(order, "GIVEN");
    j.release(id).await.unwrap();
}}

both! { current, async fn accepted_is_skipped_on_the_next_run_unless_forced(path) {
    let j = open(&path);
    send(&j, key("P1"), s("O1"), Outcome::Accepted).await;
    j.close().unwrap();

    let j = open(&path);
    let expected = Claim::AlreadyAccepted {
        order_no: "O1".into(),
        deal_code: s("1"),
        deal_desc: s("desc"),
    };
    assert_eq!(
        j.claim(key("P1"), None, None, false, None).await.unwrap(),
        expected
    );
    // A different orderNo now does not unlock it either: it is refused, naming both.
    assert_eq!(
        j.claim(key("P1"), s("O2"), None, false, None)
            .await
            .unwrap(),
        Claim::Conflict {
            journal_order_no: "O1".into(),
            given: "O2".into()
        }
    );
    // Force without an orderNo: the journal's.
    match j.claim(key("P1"), None, None, true, None).await.unwrap() {
        Claim::Claimed {
            notice_id,
            order_no,
            in_doubt,
            previous,
            ..
        } => {
            assert_eq!(order_no, "O1");
            assert!(!in_doubt);
            assert_eq!(previous, Some(State::Accepted));
            j.release(notice_id).await.unwrap();
        }
        other => panic!("{other:?}"),
    }
    // Force with another orderNo takes it; if that send is rejected, the earlier acceptance
    // still keeps a plain run from sending again.
    match j.claim(key("P1"), s("O2"), None, true, None).await.unwrap() {
        Claim::Claimed {
            notice_id,
            order_no,
            ..
        } => {
            assert_eq!(order_no, "O2");
            let a = j
                .begin_attempt(notice_id, "u2".into(), "t".into(), Vec::new(), None)
                .await
                .unwrap();
            j.finish_notice(
                notice_id,
                Some((a, answer("0"))),
                Outcome::Rejected,
                s("0"),
                s("dup"),
                Some(200),
            )
            .await
            .unwrap();
        }
        other => panic!("{other:?}"),
    }
    let rec = lookup(&path, &key("P1")).unwrap();
    assert_eq!(
        (rec.state, rec.accepted_order_no.is_some(), rec.attempts),
        (State::Rejected, true, 2)
    );
    assert_eq!(
        j.claim(key("P1"), None, None, false, None).await.unwrap(),
        expected
    );
}}

both! { current, async fn an_attempt_is_committed_before_it_returns_and_in_doubt_after_a_dropped_handle(path) {
    let j = open(&path);
    let (id, _) = claimed(&j, key("P1"), s("O1")).await;
    j.begin_attempt(id, "u1".into(), "t1".into(), Vec::new(), None)
        .await
        .unwrap();
    // Another connection already sees the attempt, and no outcome for it.
    let rec = lookup(&path, &key("P1")).unwrap();
    assert_eq!((rec.state, rec.attempts), (State::InDoubt, 1));
    // A second handle is kept out while the first lives.
    let other = open(&path);
    assert!(matches!(
        other
            .claim(key("P1"), None, None, false, None)
            .await
            .unwrap(),
        Claim::Busy { .. }
    ));
    drop(j); // as if the run died mid-request

    match other
        .claim(key("P1"), s("O1"), None, false, None)
        .await
        .unwrap()
    {
        Claim::Claimed {
            order_no,
            in_doubt,
            previous,
            ..
        } => {
            assert_eq!(order_no, "O1");
            assert!(in_doubt);
            assert_eq!(previous, Some(State::InDoubt));
        }
        other => panic!("{other:?}"),
    }
}}

#[tokio::test]
async fn a_claim_left_by_a_dead_process_does_not_block() {
    let (_d, path) = tmp();
    let j = open(&path);
    let (id, _) = claimed(&j, key("P1"), s("O1")).await;
    j.begin_attempt(id, "u1".into(), "t1".into(), Vec::new(), None)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let here = owner::host();

    // Same host, a pid that cannot exist.
    set_claim(&path, &key("P1"), &here, i64::from(i32::MAX), Some(1), now);
    match j.claim(key("P1"), None, None, false, None).await.unwrap() {
        Claim::Claimed { in_doubt, .. } => assert!(in_doubt),
        other => panic!("{other:?}"),
    }
    // Same host, a live pid (1) with another start time: the pid was reused.
    if cfg!(target_os = "linux") {
        let start = owner::process_start(1).unwrap();
        set_claim(&path, &key("P1"), &here, 1, Some(start + 1), now);
        assert!(matches!(
            j.claim(key("P1"), None, None, false, None).await.unwrap(),
            Claim::Claimed { .. }
        ));
        // …and with its real start time it is alive.
        set_claim(&path, &key("P1"), &here, 1, Some(start), now);
        match j.claim(key("P1"), None, None, false, None).await.unwrap() {
            Claim::Busy { owner } => assert!(owner.contains("pid 1 "), "{owner}"),
            other => panic!("{other:?}"),
        }
    }
    // Another host: fresh blocks, older than 15 minutes is stale.
    set_claim(&path, &key("P1"), "elsewhere", 42, None, now);
    assert!(matches!(
        j.claim(key("P1"), None, None, false, None).await.unwrap(),
        Claim::Busy { .. }
    ));
    set_claim(
        &path,
        &key("P1"),
        "elsewhere",
        42,
        None,
        now - 16 * 60 * 1000,
    );
    assert!(matches!(
        j.claim(key("P1"), None, None, false, None).await.unwrap(),
        Claim::Claimed { in_doubt: true, .. }
    ));
}

both! { current, async fn one_notice_is_never_sent_under_two_order_numbers(path) {
    let j = open(&path);
    send(&j, key("P1"), s("O1"), Outcome::Failed).await;
    assert_eq!(
        j.claim(key("P1"), s("O2"), None, false, None)
            .await
            .unwrap(),
        Claim::Conflict {
            journal_order_no: "O1".into(),
            given: "O2".into()
        }
    );
    // Force does not help a notice that was never accepted.
    assert!(matches!(
        j.claim(key("P1"), s("O2"), None, true, None).await.unwrap(),
        Claim::Conflict { .. }
    ));
    // In doubt: the same.
    let (id, _) = claimed(&j, key("P2"), s("O3")).await;
    j.begin_attempt(id, "u".into(), "t".into(), Vec::new(), None)
        .await
        .unwrap();
    j.release(id).await.unwrap();
    assert_eq!(lookup(&path, &key("P2")).unwrap().state, State::InDoubt);
    assert!(matches!(
        j.claim(key("P2"), s("O4"), None, false, None)
            .await
            .unwrap(),
        Claim::Conflict { .. }
    ));
    // The same orderNo again is fine, and the failed notice is re-sent.
    let (_, order) = claimed(&j, key("P1"), s("O1")).await;
    assert_eq!(order, "O1");
}}

both! { current, async fn a_failed_attempt_then_a_stop_between_retries_reads_as_failed(path) {
    let j = open(&path);
    let (id, _) = claimed(&j, key("P1"), s("O1")).await;
    let a = j
        .begin_attempt(id, "u".into(), "t".into(), Vec::new(), None)
        .await
        .unwrap();
    let end = AttemptEnd {
        http_status: Some(503),
        elapsed_ms: 5,
        ..AttemptEnd::default()
    };
    j.finish_attempt(a, end).await.unwrap();
    j.release(id).await.unwrap();
    let rec = lookup(&path, &key("P1")).unwrap();
    assert_eq!((rec.state, rec.attempts), (State::Failed, 1));
}}

both! { current, async fn an_attempt_that_may_have_arrived_keeps_the_notice_in_doubt_until_an_answer(path) {
    let j = open(&path);
    let (id, _) = claimed(&j, key("P1"), s("O1")).await;
    let attempt = |n: &str| j.begin_attempt(id, format!("u{n}"), "t".into(), Vec::new(), None);
    let timed_out = AttemptEnd {
        error: s("timed out waiting for the answer"),
        may_have_arrived: true,
        ..AttemptEnd::default()
    };
    let turned_away = AttemptEnd {
        http_status: Some(503),
        ..AttemptEnd::default()
    };
    let a = attempt("1").await.unwrap();
    j.finish_attempt(a, timed_out).await.unwrap();
    let state = || lookup(&path, &key("P1")).unwrap().state;
    assert_eq!(state(), State::InDoubt);
    // A later attempt turned away does not end the doubt about the first.
    let a = attempt("2").await.unwrap();
    j.finish_attempt(a, turned_away).await.unwrap();
    j.release(id).await.unwrap();
    assert_eq!(state(), State::InDoubt);
    match j.claim(key("P1"), None, None, false, None).await.unwrap() {
        Claim::Claimed { in_doubt, .. } => assert!(in_doubt),
        other => panic!("{other:?}"),
    }
    // An answer read whole decides.
    let a = attempt("3").await.unwrap();
    j.finish_notice(
        id,
        Some((a, answer("1"))),
        Outcome::Accepted,
        s("1"),
        s("ok"),
        Some(200),
    )
    .await
    .unwrap();
    assert_eq!(state(), State::Accepted);
}}

both! { current, async fn handles_exclude_each_other_and_a_handle_excludes_itself(path) {
    let a = open(&path);
    let b = open(&path);
    let (id, _) = claimed(&a, key("P1"), s("O1")).await;
    match b.claim(key("P1"), None, None, false, None).await.unwrap() {
        Claim::Busy { owner } => assert_eq!(owner, a.owner()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        a.clone()
            .claim(key("P1"), None, None, false, None)
            .await
            .unwrap(),
        Claim::Busy { .. }
    ));
    // Only the holder may record a send.
    assert!(matches!(
        b.begin_attempt(id, "u".into(), "t".into(), Vec::new(), None)
            .await,
        Err(JournalError::NotClaimed { .. })
    ));
    b.release(id).await.unwrap(); // not b's: does nothing
    assert!(matches!(
        b.claim(key("P1"), None, None, false, None).await.unwrap(),
        Claim::Busy { .. }
    ));
    a.release(id).await.unwrap();
    assert!(matches!(
        b.claim(key("P1"), None, None, false, None).await.unwrap(),
        Claim::Claimed { .. }
    ));
}}

both! { current, async fn closing_releases_what_the_handle_still_holds(path) {
    let a = open(&path);
    claimed(&a, key("P1"), s("O1")).await;
    a.close().unwrap();
    let held = count(&path, "SELECT count(*) FROM notices WHERE claim_run IS NOT NULL");
    assert_eq!(held, 0);
}}

both! { current, async fn a_failing_op_does_not_spoil_its_group(path) {
    let j = open(&path);
    let (id, _) = claimed(&j, key("P1"), s("O1")).await;
    let (bad, good) = tokio::join!(
        j.finish_attempt(9999, AttemptEnd::default()),
        j.begin_attempt(id, "u".into(), "t".into(), Vec::new(), None)
    );
    assert!(matches!(bad, Err(JournalError::NotFound { .. })));
    assert!(good.is_ok());
    assert_eq!(lookup(&path, &key("P1")).unwrap().attempts, 1);
}}

both! { current, async fn an_outcome_for_an_unknown_notice_or_attempt_writes_nothing(path) {
    let j = open(&path);
    let (id, _) = claimed(&j, key("P1"), s("O1")).await;
    let last = Some((9999, AttemptEnd::default()));
    let unknown_attempt = j
        .finish_notice(id, last, Outcome::Accepted, None, None, Some(200))
        .await;
    assert!(matches!(
        unknown_attempt,
        Err(JournalError::NotFound { what: "attempt", id: 9999 })
    ));
    let unknown_notice = j
        .finish_notice(id + 1000, None, Outcome::Accepted, None, None, Some(200))
        .await;
    assert!(matches!(
        unknown_notice,
        Err(JournalError::NotFound { what: "notice", .. })
    ));
    // Still held, and not accepted: the refused outcomes wrote nothing.
    let held = count(&path, "SELECT count(*) FROM notices WHERE claim_run IS NOT NULL");
    assert_eq!(held, 1);
    let accepted_rows = count(&path, "SELECT count(*) FROM notices WHERE state = 'accepted'");
    assert_eq!(accepted_rows, 0);
}}

#[test]
fn garbage_and_truncated_files_are_corrupt() {
    let (_d, path) = tmp();
    std::fs::write(&path, "policyNo,orderNo\nP1,O1\n".repeat(20)).unwrap();
    let err = Journal::open(&path.at(), JournalSync::Normal)
        .err()
        .unwrap();
    assert!(matches!(err, JournalError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    assert!(matches!(
        JournalReader::open_existing(&path.at()),
        Err(JournalError::Corrupt { .. })
    ));

    // A real journal cut short, as by a full disk or an interrupted copy.
    let (_d2, good) = tmp();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let j = open(&good);
    rt.block_on(async {
        for i in 0..2000 {
            send(
                &j,
                key(&format!("P{i}")),
                s(&format!("O{i}")),
                Outcome::Accepted,
            )
            .await;
        }
    });
    j.close().unwrap();
    let bytes = std::fs::read(&good).unwrap();
    assert!(bytes.len() > 64 * 1024, "{}", bytes.len());
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = Journal::open(&path.at(), JournalSync::Normal)
        .err()
        .unwrap();
    assert!(matches!(err, JournalError::Corrupt { .. }), "{err}");

    // Someone else's SQLite database.
    let (_d3, foreign) = tmp();
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = Journal::open(&foreign.at(), JournalSync::Normal)
        .err()
        .unwrap();
    assert!(matches!(err, JournalError::Corrupt { .. }), "{err}");
}

#[test]
fn unwritable_places_are_reported_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let err = Journal::open(&file.join("journal.sqlite3").at(), JournalSync::Normal)
        .err()
        .unwrap();
    assert!(matches!(err, JournalError::Unwritable { .. }), "{err}");
    assert!(err.to_string().contains("--journal"), "{err}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
        // root ignores directory permissions; the check only means something for others.
        if std::fs::write(ro.join("probe"), "x").is_err() {
            let err = Journal::open(&ro.join("journal.sqlite3").at(), JournalSync::Normal)
                .err()
                .unwrap();
            assert!(matches!(err, JournalError::Unwritable { .. }), "{err}");
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[test]
fn a_journal_locked_by_another_program_is_reported() {
    let (_d, path) = tmp();
    open(&path).close().unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err =
        super::sqlite::open_write_waiting(&path, JournalSync::Normal, Duration::from_millis(100))
            .err()
            .unwrap();
    assert!(matches!(err, JournalError::Locked { .. }), "{err}");
    other.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn open_existing_on_a_missing_path_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/journal.sqlite3");
    assert!(JournalReader::open_existing(&path.at()).unwrap().is_none());
    assert!(!dir.path().join("sub").exists());
}

/// Five notices in five states (one under another endpoint); returns a time before them all.
async fn seed_history(j: &Journal) -> chrono::DateTime<chrono::Utc> {
    let t0 = chrono::Utc::now();
    send(j, key("P1"), s("O1"), Outcome::Accepted).await;
    send(j, key("P2"), s("O2"), Outcome::Rejected).await;
    let other = NoticeKey {
        endpoint: "https://test.example".into(),
        ..key("P1")
    };
    send(j, other, s("O9"), Outcome::Failed).await;
    let (id, _) = claimed(j, key("P3"), s("O3")).await;
    j.begin_attempt(id, "u3".into(), "t3".into(), Vec::new(), None)
        .await
        .unwrap();
    j.release(id).await.unwrap();
    claimed(j, key("P4"), s("O4")).await;
    t0
}

both! { current, async fn history_filters_and_rows(path) {
    let j = open(&path);
    let t0 = seed_history(&j).await;
    let r = reader(&path);
    let all = r.history(&HistoryFilter::default()).unwrap();
    let names: Vec<_> = all.iter().map(|n| n.policy_no.as_str()).collect();
    assert_eq!(names, ["P4", "P3", "P1", "P2", "P1"]); // newest first
    let f = HistoryFilter::default;
    let hour = chrono::Duration::hours(1);
    let cases = [
        (
            HistoryFilter {
                policy_no: s("P1"),
                ..f()
            },
            2,
        ),
        (
            HistoryFilter {
                endpoint: s("https://test.example"),
                ..f()
            },
            1,
        ),
        (
            HistoryFilter {
                state: Some(State::InDoubt),
                ..f()
            },
            1,
        ),
        (
            HistoryFilter {
                state: Some(State::Accepted),
                ..f()
            },
            1,
        ),
        (
            HistoryFilter {
                limit: Some(2),
                ..f()
            },
            2,
        ),
        (
            HistoryFilter {
                since: Some(t0),
                ..f()
            },
            5,
        ),
        (
            HistoryFilter {
                since: Some(chrono::Utc::now() + hour),
                ..f()
            },
            0,
        ),
        (
            HistoryFilter {
                until: Some(t0 - hour),
                ..f()
            },
            0,
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(r.history(&filter).unwrap().len(), want, "{filter:?}");
    }
}}

both! { current, async fn history_attempts_and_the_fields_of_each_row(path) {
    let j = open(&path);
    seed_history(&j).await;
    let r = reader(&path);
    let all = r.history(&HistoryFilter::default()).unwrap();
    let states: Vec<_> = all.iter().map(|n| n.state).collect();
    assert_eq!(
        states,
        [
            State::NotSent,
            State::InDoubt,
            State::Failed,
            State::Rejected,
            State::Accepted
        ]
    );
    let attempts = r.attempts(&HistoryFilter::default()).unwrap();
    assert_eq!(attempts.len(), 4);
    let first = &attempts[0];
    assert_eq!((first.policy_no.as_str(), first.attempt), ("P3", 1));
    assert_eq!(first.state, State::InDoubt);
    assert!(first.finished_at.is_none());
    let accepted = r
        .attempts(&HistoryFilter {
            state: Some(State::Accepted),
            ..HistoryFilter::default()
        })
        .unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].deal_code.as_deref(), Some("1"));
    assert_eq!(accepted[0].elapsed_ms, Some(12));

    let json = serde_json::to_value(&all[4]).unwrap();
    for field in [
        "endpoint",
        "policySource",
        "policyNo",
        "orderNo",
        "state",
        "dealCode",
        "dealDesc",
        "httpStatus",
        "attempts",
        "firstSentAt",
        "lastSentAt",
        "osUser",
        "host",
    ] {
        assert!(json.get(field).is_some(), "{field} missing in {json}");
    }
    assert_eq!(json["state"], "accepted");
    assert_eq!(json["osUser"], owner::user());
    let sent = json["lastSentAt"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(sent).is_ok(), "{sent}");
    assert_eq!(serde_json::to_value(State::InDoubt).unwrap(), "inDoubt");
    let json = serde_json::to_value(&attempts[0]).unwrap();
    let fields = [
        "attempt",
        "uuid",
        "reqTime",
        "startedAt",
        "finishedAt",
        "error",
        "elapsedMs",
    ];
    for field in fields {
        assert!(json.get(field).is_some(), "{field} missing in {json}");
    }
}}

/// The engine's loop: claim, wait on Busy, send once.
async fn worker(j: Journal, keys: Arc<Vec<NoticeKey>>) -> usize {
    let mut sent = 0;
    for k in keys.iter() {
        loop {
            match j.claim(k.clone(), None, s("G"), false, None).await.unwrap() {
                Claim::Claimed { notice_id, .. } => {
                    let a = j
                        .begin_attempt(notice_id, "u".into(), "t".into(), Vec::new(), None)
                        .await
                        .unwrap();
                    j.finish_notice(
                        notice_id,
                        Some((a, answer("1"))),
                        Outcome::Accepted,
                        s("1"),
                        None,
                        Some(200),
                    )
                    .await
                    .unwrap();
                    sent += 1;
                    break;
                }
                Claim::AlreadyAccepted { .. } => break,
                Claim::Busy { .. } => tokio::task::yield_now().await,
                other => panic!("{other:?}"),
            }
        }
    }
    sent
}

both! { multi, async fn sixteen_workers_on_two_handles_send_each_notice_once(path) {
    let handles = [open(&path), open(&path)];
    let keys: Arc<Vec<NoticeKey>> = Arc::new((0..500).map(|i| key(&format!("P{i}"))).collect());
    let tasks: Vec<_> = (0..16)
        .map(|t| tokio::spawn(worker(handles[t % 2].clone(), keys.clone())))
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 500);
    let notices = count(&path, "SELECT count(*) FROM notices");
    let attempts = count(&path, "SELECT count(*) FROM attempts");
    let held = count(&path, "SELECT count(*) FROM notices WHERE claim_run IS NOT NULL");
    assert_eq!((notices, attempts, held), (500, 500, 0));
}}

/// Throughput of the engine's per-notice sequence, 16 workers on one handle. Run with
/// `cargo test --lib journal::tests::bench -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore]
async fn bench_100k_notices_16_workers() {
    let (_d, path) = tmp();
    let j = open(&path);
    const N: usize = 100_000;
    const WORKERS: usize = 16;
    let started = Instant::now();
    let tasks: Vec<_> = (0..WORKERS)
        .map(|w| {
            let keys: Arc<Vec<NoticeKey>> = Arc::new(
                (0..N / WORKERS)
                    .map(|i| key(&format!("P{w}-{i}")))
                    .collect(),
            );
            tokio::spawn(worker(j.clone(), keys))
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(total, N);
    println!(
        "journal bench: {N} notices (claim + begin_attempt + finish_notice) in {secs:.2} s: \
         {:.0} notices/s, {:.0} ops/s",
        N as f64 / secs,
        3.0 * N as f64 / secs
    );
    j.close().unwrap();
}

/// Not a test on its own: the other process of `a_claim_held_by_a_live_process_blocks_until_it_dies`.
#[tokio::test]
#[ignore]
async fn child_process_holds_a_claim() {
    let Some(path) = std::env::var_os("AVATAR_JOURNAL_TEST_CHILD") else {
        return;
    };
    let j = open(Path::new(&path));
    let (id, _) = claimed(&j, key("P1"), s("O1")).await;
    j.begin_attempt(id, "u".into(), "t".into(), Vec::new(), None)
        .await
        .unwrap();
    println!("CHILD-CLAIMED");
    tokio::time::sleep(Duration::from_secs(120)).await;
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_claim_held_by_a_live_process_blocks_until_it_dies() {
    use std::io::BufRead;
    let (_d, path) = tmp();
    open(&path).close().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "journal::tests::child_process_holds_a_claim",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("AVATAR_JOURNAL_TEST_CHILD", &path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.unwrap().contains("CHILD-CLAIMED")));

    let j = open(&path);
    match j.claim(key("P1"), None, None, false, None).await.unwrap() {
        Claim::Busy { owner } => assert!(owner.contains(&format!("pid {} ", child.id()))),
        other => panic!("{other:?}"),
    }
    child.kill().unwrap();
    child.wait().unwrap();
    match j.claim(key("P1"), None, None, false, None).await.unwrap() {
        Claim::Claimed {
            order_no, in_doubt, ..
        } => assert_eq!((order_no.as_str(), in_doubt), ("O1", true)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wal_sync_level_and_busy_timeout_are_set() {
    let (_d, path) = tmp();
    for (sync, level) in [(JournalSync::Normal, 1), (JournalSync::Full, 2)] {
        let conn = schema::open_write(&path, sync, schema::BUSY_TIMEOUT).unwrap();
        let get = |pragma: &str| -> i64 {
            conn.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(get("synchronous"), level);
        assert_eq!(get("busy_timeout"), 10_000);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

#[tokio::test]
async fn readers_leave_the_journal_as_they_found_it() {
    let (_d, path) = tmp();
    let j = open(&path);
    send(&j, key("P1"), s("O1"), Outcome::Accepted).await;
    j.close().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let r = reader(&path);
    assert_eq!(
        r.lookup(&key("P1")).unwrap().unwrap().state,
        State::Accepted
    );
    assert_eq!(r.history(&HistoryFilter::default()).unwrap().len(), 1);
    drop(r);
    // SQLite's WAL index files may appear, empty of records; the journal itself is untouched.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let wal = path.with_file_name("journal.sqlite3-wal");
    assert_eq!(std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0), 0);
}

#[test]
fn a_journal_another_process_is_still_creating_reads_as_none() {
    // Another process has created the file and switched it to WAL but not yet written the
    // schema: a reader must see "no journal yet", not "another program's database".
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    assert!(JournalReader::open_existing(&path.at()).unwrap().is_none());
    // Once written by a journal, it reads as one.
    drop(conn);
    let journal = Journal::open(&path.at(), JournalSync::Normal).unwrap();
    assert!(JournalReader::open_existing(&path.at()).unwrap().is_some());
    journal.close().unwrap();
}

fn sqlite_error(code: i32, message: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message.into()))
}

#[test]
fn a_full_disk_is_told_apart_from_permissions_and_io() {
    use rusqlite::ffi;
    let path = Path::new("/j/journal.sqlite3");
    let kind = |code, errno| schema::classify_errno(path, sqlite_error(code, "x"), errno);
    assert!(matches!(
        kind(ffi::SQLITE_FULL, 0),
        JournalError::DiskFull { .. }
    ));
    // ENOSPC behind an I/O error (growing the WAL index, syncing) or a failed open.
    for code in [
        ffi::SQLITE_IOERR_SHMSIZE,
        ffi::SQLITE_IOERR_WRITE,
        ffi::SQLITE_CANTOPEN,
    ] {
        assert!(
            matches!(kind(code, 28), JournalError::DiskFull { .. }),
            "{code}"
        );
    }
    assert!(matches!(
        kind(ffi::SQLITE_IOERR_WRITE, 5),
        JournalError::Write { .. }
    ));
    assert!(matches!(
        kind(ffi::SQLITE_READONLY_ROLLBACK, 0),
        JournalError::Unclean { .. }
    ));
    assert!(matches!(
        kind(ffi::SQLITE_READONLY_RECOVERY, 0),
        JournalError::Unclean { .. }
    ));
    assert!(matches!(
        kind(ffi::SQLITE_READONLY, 13),
        JournalError::Unwritable { .. }
    ));
    let full = kind(ffi::SQLITE_FULL, 0).to_string();
    assert_eq!(
        full,
        "the disk holding the journal /j/journal.sqlite3 is full; free space, then run again \
         (the journal resolves what was in flight)"
    );
    let unclean = kind(ffi::SQLITE_READONLY_ROLLBACK, 0).to_string();
    assert!(unclean.contains("/j/journal.sqlite3-journal"), "{unclean}");
    assert!(!unclean.contains("permissions"), "{unclean}");
}

#[test]
fn the_schema_version_is_the_last_upgrade_step() {
    assert_eq!(schema::SCHEMA_VERSION, 6);
    let (_d, path) = tmp();
    open(&path).close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::SCHEMA_VERSION);
}

#[tokio::test]
async fn upgrading_merges_spellings_and_leaves_what_does_not_parse() {
    let (_d, path) = tmp();
    let j = open(&path);
    let at = |endpoint: &str, policy: &str| NoticeKey {
        endpoint: endpoint.into(),
        policy_source: "HN".into(),
        policy_no: policy.into(),
    };
    // Written as version 1 did: whatever spelling the run was given.
    send(&j, at("https://a.example/", "P1"), s("O1"), Outcome::Failed).await;
    send(
        &j,
        at("https://A.example:443", "P1"),
        s("O2"),
        Outcome::Rejected,
    )
    .await;
    send(&j, at("https://a.example", "P1"), s("O3"), Outcome::Failed).await;
    send(&j, at("not a url", "P2"), s("O4"), Outcome::Accepted).await;
    send(
        &j,
        at("https://a.example.", "P3"),
        s("O5"),
        Outcome::Accepted,
    )
    .await;
    j.close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    drop(conn);

    open(&path).close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: Vec<(String, String, String, i64)> = conn
        .prepare("SELECT endpoint, policy_no, order_no, attempts FROM notices ORDER BY policy_no")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // None accepted: the most recent activity (O3) is kept, the others' attempts follow it.
    assert_eq!(
        rows,
        [
            ("https://a.example".into(), "P1".into(), "O3".into(), 3),
            ("not a url".into(), "P2".into(), "O4".into(), 1),
            ("https://a.example".into(), "P3".into(), "O5".into(), 1),
        ]
    );
    let numbers: Vec<(i64, String)> = conn
        .prepare(
            "SELECT a.number, a.order_no FROM attempts a JOIN notices n ON n.id = a.notice_id
             WHERE n.policy_no = 'P1' ORDER BY a.number",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        numbers,
        [(1, "O3".into()), (2, "O1".into()), (3, "O2".into())]
    );
    drop(conn);
    // The merged notice carries on: its next attempt is number 4.
    let j = open(&path);
    send(&j, at("https://a.example", "P1"), None, Outcome::Accepted).await;
    j.close().unwrap();
    assert_eq!(
        lookup(&path, &at("https://a.example", "P1"))
            .unwrap()
            .attempts,
        4
    );
}

/// Puts the notice of `k` into a recorded state by the journal's own operations.
async fn record_state(j: &Journal, k: &NoticeKey, state: &str) {
    match state {
        "none" => {}
        "notSent" => {
            let (id, _) = claimed(j, k.clone(), s("REC")).await;
            j.release(id).await.unwrap();
        }
        "failed" => drop(send(j, k.clone(), s("REC"), Outcome::Failed).await),
        "rejected" => drop(send(j, k.clone(), s("REC"), Outcome::Rejected).await),
        "accepted" => drop(send(j, k.clone(), s("REC"), Outcome::Accepted).await),
        "inDoubt" => {
            let (id, _) = claimed(j, k.clone(), s("REC")).await;
            j.begin_attempt(id, "u".into(), "t".into(), Vec::new(), None)
                .await
                .unwrap();
            j.release(id).await.unwrap();
        }
        "accepted-then-forced" => {
            send(j, k.clone(), s("ACC"), Outcome::Accepted).await;
            let Claim::Claimed { notice_id, .. } = j
                .claim(k.clone(), s("REC"), None, true, None)
                .await
                .unwrap()
            else {
                panic!("a forced claim of an accepted notice is granted");
            };
            let attempt = j
                .begin_attempt(notice_id, "u2".into(), "t".into(), Vec::new(), None)
                .await
                .unwrap();
            j.finish_notice(
                notice_id,
                Some((attempt, answer("0"))),
                Outcome::Failed,
                None,
                None,
                None,
            )
            .await
            .unwrap();
        }
        other => panic!("no such state {other}"),
    }
}

// The first pass (a read-only lookup, then the rule) and the writer's claim reach the same
// verdict on every recorded state × given orderNo × generation × force.
both! { current, async fn the_first_pass_and_the_claim_agree_on_every_case(path) {
    use rule::{Decision, OrderNo};
    let j = open(&path);
    let states = [
        "none",
        "notSent",
        "failed",
        "rejected",
        "inDoubt",
        "accepted",
        "accepted-then-forced",
    ];
    let mut n = 0;
    for state in states {
        for given in [None, Some("REC"), Some("NEW")] {
            for generate in [false, true] {
                for force in [false, true] {
                    n += 1;
                    let k = key(&format!("P{n}"));
                    record_state(&j, &k, state).await;
                    let case =
                        format!("{state}, given {given:?}, generate {generate}, force {force}");
                    let recorded = lookup(&path, &k);
                    if state == "none" {
                        assert!(recorded.is_none(), "{case}");
                    }
                    let first_pass = rule::decide(
                        recorded.as_ref().map(Recorded::known),
                        rule::Ask {
                            given,
                            can_generate: generate,
                            force,
                            ..rule::Ask::default()
                        },
                    );
                    let claim = j
                        .claim(
                            k.clone(),
                            given.map(String::from),
                            generate.then(|| "GEN".into()),
                            force,
                            None,
                        )
                        .await
                        .unwrap();
                    let agree = match (&first_pass, &claim) {
                        (Decision::Send(o), Claim::Claimed { order_no, .. }) => {
                            o.known().unwrap_or("GEN") == order_no
                                && (o == &OrderNo::Generate) == (order_no == "GEN")
                        }
                        (
                            Decision::Skip { accepted_order_no },
                            Claim::AlreadyAccepted { order_no, .. },
                        ) => accepted_order_no == order_no,
                        (
                            Decision::Conflict { recorded, given },
                            Claim::Conflict {
                                journal_order_no,
                                given: claimed_given,
                            },
                        ) => recorded == journal_order_no && given == claimed_given,
                        (Decision::NeedsOrderNo, Claim::NeedsOrderNo) => true,
                        (Decision::SkipRejected(r), Claim::RejectedEarlier(c)) => r == c,
                        _ => false,
                    };
                    assert!(agree, "{case}: first pass {first_pass:?}, claim {claim:?}");
                    if let Claim::Claimed { notice_id, .. } = claim {
                        j.release(notice_id).await.unwrap();
                    }
                }
            }
        }
    }
    assert_eq!(n, 84);
}}

fn first(order_no: &str) -> FirstAttempt {
    FirstAttempt {
        order_no: order_no.into(),
        uuid: "uuid-first".into(),
        req_time: "2026-11-29 12:00:00".into(),
        body: b"{\"head\":{}}".to_vec(),
    }
}

/// A new notice claimed with its first attempt recorded: the notice's and the attempt's ids.
async fn claimed_with_first(j: &Journal, policy: &str) -> (i64, i64) {
    let claim = j
        .claim_sending(
            key(policy),
            None,
            s("GEN"),
            rule::Resend::default(),
            None,
            Some(first("GEN")),
        )
        .await
        .unwrap();
    match claim {
        Claim::Claimed {
            notice_id,
            first_attempt: Some(attempt),
            ..
        } => (notice_id, attempt),
        other => panic!("no first attempt recorded: {other:?}"),
    }
}

both! { current, async fn a_new_notice_is_claimed_with_its_first_attempt_in_one_transaction(path) {
    let j = open(&path);
    let (notice_id, attempt) = claimed_with_first(&j, "P1").await;
    // The claim's one commit holds the attempt: the notice is in doubt until it finishes.
    let recorded = lookup(&path, &key("P1")).unwrap();
    assert_eq!((recorded.state, recorded.attempts), (State::InDoubt, 1));
    j.finish_notice(
        notice_id,
        Some((attempt, answer("1"))),
        Outcome::Accepted,
        s("1"),
        s("ok"),
        Some(200),
    )
    .await
    .unwrap();
    assert_eq!(lookup(&path, &key("P1")).unwrap().state, State::Accepted);
}}

both! { current, async fn a_first_attempt_for_another_order_number_is_not_recorded(path) {
    let j = open(&path);
    send(&j, key("P1"), s("O1"), Outcome::Failed).await;
    // Recorded already: sent again under O1, so an envelope built for GEN must not be kept.
    let claim = j
        .claim_sending(
            key("P1"),
            None,
            s("GEN"),
            rule::Resend::default(),
            None,
            Some(first("GEN")),
        )
        .await
        .unwrap();
    assert!(
        matches!(&claim, Claim::Claimed { order_no, first_attempt: None, .. } if order_no == "O1"),
        "{claim:?}"
    );
    assert_eq!(count(&path, "SELECT count(*) FROM attempts"), 1);
}}

both! { current, async fn a_first_attempt_never_sent_is_withdrawn_with_its_notice(path) {
    let j = open(&path);
    let (notice_id, attempt) = claimed_with_first(&j, "P1").await;
    j.withdraw(notice_id, attempt).await.unwrap();
    assert_eq!(lookup(&path, &key("P1")), None);
    assert_eq!(count(&path, "SELECT count(*) FROM attempts"), 0);
    // A notice with a sent attempt is never withdrawn, only released.
    let (id, _) = claimed(&j, key("P2"), s("O2")).await;
    let sent = j
        .begin_attempt(id, "u".into(), "t".into(), Vec::new(), None)
        .await
        .unwrap();
    j.finish_attempt(sent, answer("0")).await.unwrap();
    let again = j
        .begin_attempt(id, "u2".into(), "t".into(), Vec::new(), None)
        .await
        .unwrap();
    j.withdraw(id, again).await.unwrap();
    assert_eq!(lookup(&path, &key("P2")).unwrap().attempts, 2);
}}

/// A run as the tests record it: `notices` to send to `endpoint`, under channel CH.
fn run_details(endpoint: &str, notices: u64) -> RunDetails {
    RunDetails {
        started_at: chrono::Utc::now(),
        command: "avatar-cli batch c.csv".into(),
        input: s("/tmp/c.csv"),
        env: None,
        endpoint: endpoint.into(),
        production: false,
        policy_source: "CH".into(),
        notices,
    }
}

/// Its end, with these counts and exit code.
fn run_end(run: RunDetails, counts: RunCounts, exit_code: u8) -> FinishRun {
    FinishRun {
        run,
        ended_at: chrono::Utc::now(),
        counts,
        interrupted: false,
        exit_code,
        error: None,
    }
}

both! { current, async fn each_run_is_recorded_with_its_attempts_and_an_unfinished_one_stays_so(path) {
    // The first run sends P1 (accepted) and P2 (failed) and ends.
    let first = open(&path);
    let run = run_details("https://avatar.example", 2);
    first.run(StartRun { run: run.clone() }).await.unwrap();
    send(&first, key("P1"), s("O1"), Outcome::Accepted).await;
    send(&first, key("P2"), s("O2"), Outcome::Failed).await;
    let counts = RunCounts {
        accepted: 1,
        failed: 1,
        ..RunCounts::default()
    };
    first.run(run_end(run, counts, 1)).await.unwrap();
    let first_id = first.run_id().to_string();
    first.close().unwrap();
    // The second sends P2 again and P3 and never ends (its handle closes without a finish,
    // as a killed process's never does).
    let second = open(&path);
    let run = run_details("https://other.example", 3);
    second.run(StartRun { run }).await.unwrap();
    send(&second, key("P2"), s("O2"), Outcome::Accepted).await;
    send(&second, key("P3"), s("O3"), Outcome::Failed).await;
    let second_id = second.run_id().to_string();
    second.close().unwrap();

    let r = reader(&path);
    let runs = r.runs(&HistoryFilter::default()).unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, [second_id.as_str(), first_id.as_str()], "newest first");
    let (newer, older) = (&runs[0], &runs[1]);
    assert_eq!(older.state, RunState::Finished);
    assert_eq!(older.counts, Some(counts));
    assert_eq!((older.exit_code, older.interrupted), (Some(1), Some(false)));
    assert_eq!((older.notices, older.sent), (2, 2));
    assert!(older.ended_at.is_some());
    assert_eq!(older.command, "avatar-cli batch c.csv");
    assert_eq!(older.input.as_deref(), Some("/tmp/c.csv"));
    assert_eq!(older.os_user, owner::user());
    assert_eq!(older.host, owner::host());
    // No end recorded, and its process (this test's) is alive: running, as far as a reader
    // can tell.
    assert_eq!(newer.state, RunState::Running);
    assert_eq!((newer.counts, newer.exit_code), (None, None));
    assert_eq!((newer.notices, newer.sent), (3, 2));

    // Filters: the run's platform and channel, a policy it sent, the run itself.
    let only = |filter: HistoryFilter| -> Vec<String> {
        r.runs(&filter)
            .unwrap()
            .into_iter()
            .map(|r| r.run_id)
            .collect()
    };
    let f = HistoryFilter::default;
    assert_eq!(
        only(HistoryFilter {
            endpoint: s("https://avatar.example"),
            ..f()
        }),
        [first_id.as_str()]
    );
    assert_eq!(
        only(HistoryFilter {
            policy_no: s("P3"),
            ..f()
        }),
        [second_id.as_str()]
    );
    assert_eq!(
        only(HistoryFilter {
            policy_no: s("P2"),
            ..f()
        }),
        [second_id.as_str(), first_id.as_str()]
    );
    assert_eq!(
        only(HistoryFilter {
            run: Some(first_id.clone()),
            ..f()
        }),
        [first_id.as_str()]
    );
    assert!(only(HistoryFilter {
        policy_source: s("ELSE"),
        ..f()
    })
    .is_empty());

    // A run's notices and attempts: those it sent, whatever happened to them since.
    let by = |run: &str| HistoryFilter { run: s(run), ..f() };
    let notices: Vec<String> = r
        .history(&by(&first_id))
        .unwrap()
        .into_iter()
        .map(|n| n.policy_no)
        .collect();
    assert_eq!(notices, ["P2", "P1"]);
    let attempts = r.attempts(&by(&second_id)).unwrap();
    let sent: Vec<(&str, Option<&str>)> = attempts
        .iter()
        .map(|a| (a.policy_no.as_str(), a.run_id.as_deref()))
        .collect();
    assert_eq!(
        sent,
        [
            ("P3", Some(second_id.as_str())),
            ("P2", Some(second_id.as_str()))
        ]
    );
    assert!(r.history(&by("no-such-run")).unwrap().is_empty());
}}

both! { current, async fn a_run_that_claimed_nothing_is_recorded_whole_at_its_end(path) {
    let j = open(&path);
    let counts = RunCounts {
        skipped: 3,
        ..RunCounts::default()
    };
    let run = run_details("https://avatar.example", 3);
    j.run(run_end(run.clone(), counts, 0)).await.unwrap();
    let id = j.run_id().to_string();
    j.close().unwrap();
    let r = reader(&path);
    let runs = r.runs(&HistoryFilter::default()).unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let recorded = &runs[0];
    assert_eq!(recorded.run_id, id);
    assert_eq!(recorded.state, RunState::Finished);
    assert_eq!(recorded.counts, Some(counts));
    assert_eq!((recorded.notices, recorded.sent), (3, 0));
    assert_eq!(recorded.command, run.command);
}}
