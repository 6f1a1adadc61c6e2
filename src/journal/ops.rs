//! The writes a journal takes, as data: each operation is one struct here (what it needs) and
//! the answer it gets, and each backend runs it once in its own transaction. A caller sends
//! one with [`super::Journal::run`] and gets its answer typed.

use super::rule::{Content, Resend};
use super::{AttemptEnd, Claim, FirstAttempt, NoticeKey, RunCounts};
use crate::notice::Outcome;
use chrono::{DateTime, Utc};

/// An operation and the type of its answer: `Journal::run` gives that answer back.
pub trait Operation: Into<Op> {
    type Answer;
    fn take(answer: Answer) -> Option<Self::Answer>;
}

/// Declares each operation once: its struct, its variant of [`Op`], and its answer.
macro_rules! operations {
    ($(
        $(#[$doc:meta])*
        $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty,)* } -> $answer:ident($out:ty);
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Debug, PartialEq, Eq)]
            pub struct $name { $($(#[$fdoc])* pub $field: $ty,)* }

            impl From<$name> for Op {
                fn from(op: $name) -> Op {
                    Op::$name(op)
                }
            }

            impl Operation for $name {
                type Answer = $out;
                fn take(answer: Answer) -> Option<$out> {
                    match answer {
                        Answer::$answer(a) => Some(a),
                        _ => None,
                    }
                }
            }
        )*

        /// Any one operation, as a backend receives it.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Op {
            $($name($name),)*
        }
    };
}

/// A sending run as the journal records it, what is known of it when it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDetails {
    pub started_at: DateTime<Utc>,
    /// The command line as typed, with every secret taken out (`-H` values, a URL's
    /// userinfo): it is stored and shown as it is.
    pub command: String,
    /// The input file (absolute), `-` for standard input, `None` for `send`.
    pub input: Option<String>,
    /// The environment's name (`test`, `prod`, `sandbox`); `None` for another base URL.
    pub env: Option<String>,
    /// The journal's endpoint key, as the notices have it.
    pub endpoint: String,
    pub production: bool,
    pub policy_source: String,
    /// Notices the run set out to send (the rows found valid).
    pub notices: u64,
}

/// What an operation answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Claim(Claim),
    /// The id of an attempt recorded.
    Attempt(i64),
    Done(()),
}

operations! {
    /// Chooses the orderNo (`given` > the journal's > `generated`), decides with the notice
    /// rule, and records the claim (with the user, host and time) before answering. With
    /// `first`, for a notice new to the journal whose orderNo is the one `first` carries, its
    /// first attempt too, in the same transaction: one commit to wait for before the request
    /// leaves instead of two. An attempt recorded so and then not sent is taken back with
    /// [`Withdraw`].
    ClaimNotice {
        key: NoticeKey,
        given: Option<String>,
        generated: Option<String>,
        resend: Resend,
        content: Option<Content>,
        first: Option<FirstAttempt>,
    } -> Claim(Claim);

    /// Records an attempt before its request leaves, with its body exactly as sent and the
    /// notice's content; answers its id.
    BeginAttempt {
        notice_id: i64,
        uuid: String,
        req_time: String,
        request: Vec<u8>,
        content: Option<Content>,
    } -> Attempt(i64);

    /// How an attempt that is retried ended.
    FinishAttempt {
        attempt_id: i64,
        end: AttemptEnd,
    } -> Done(());

    /// The notice's final state (accepted, rejected, failed, in doubt) and the claim released,
    /// in one transaction with its last attempt's end when given. `Skipped` and `NotSent`
    /// record no state: they only release.
    FinishNotice {
        notice_id: i64,
        last_attempt: Option<(i64, AttemptEnd)>,
        outcome: Outcome,
        deal_code: Option<String>,
        deal_desc: Option<String>,
        http_status: Option<u16>,
    } -> Done(());

    /// Releases a claim without an outcome: the run stopped before sending, and the notice
    /// keeps its state.
    Release {
        notice_id: i64,
    } -> Done(());

    /// Takes back a notice claimed new with its first attempt, when that attempt never left:
    /// both rows go, as if the notice had never been claimed.
    Withdraw {
        notice_id: i64,
        attempt_id: i64,
    } -> Done(());

    /// Records this handle's run, before its first notice is claimed, so that every attempt
    /// names a run the journal holds. Its id is [`super::Journal::run_id`]; the backend adds
    /// who runs it (OS user, host, process).
    StartRun {
        run: RunDetails,
    } -> Done(());

    /// Records how this handle's run ended; a run that claimed nothing (every notice skipped
    /// as the first pass found it) is recorded whole here. A run never finished (killed)
    /// keeps no end, and readers say it is unfinished.
    FinishRun {
        run: RunDetails,
        ended_at: DateTime<Utc>,
        counts: RunCounts,
        interrupted: bool,
        exit_code: u8,
        /// Why the run failed as a whole (the journal, the output), if it did.
        error: Option<String>,
    } -> Done(());
}
