//! The first pass's journal lookups on two threads, handed back in input order.
//!
//! One SQLite lookup per row is most of a first pass over a journal that knows the rows (a
//! re-run), and it ran on one core while the other waited. Past the first chunk of rows, two
//! lookup threads, each with its own read-only connection, judge alternate chunks while this
//! thread reads the file; results are taken back chunk by chunk, in the order the rows came.
//! A file shorter than one chunk, or a second connection that cannot be opened, is judged on
//! this thread alone, as before.

use super::judge::{decide, Judgement};
use crate::engine::RunPlan;
use crate::error::Refusal;
use crate::input::{Item, Source};
use crate::journal::JournalError;
use crate::journal::JournalReader;
use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::mpsc;

/// Rows per chunk: enough that handing a chunk over costs little per row, few enough that
/// both threads start working early.
const CHUNK: usize = 512;

/// Chunks handed over and not yet taken back, at most: memory stays bounded while both lookup
/// threads always have the next chunk waiting.
const IN_FLIGHT: usize = 4;

/// A chunk judged: each item with its judgement (rows only), or the lookup's failure.
type Judged = Result<Vec<(Item, Option<Judgement>)>, Refusal>;

/// Reads `source` once and calls `each` for every item in input order, with the rule's
/// judgement of each row against `reader`'s journal.
pub(super) fn judge(
    reader: &JournalReader,
    plan: &RunPlan,
    source: &Source,
    mut each: impl FnMut(Item, Option<Judgement>) -> ControlFlow<()>,
) -> Result<(), Refusal> {
    std::thread::scope(|scope| {
        let mut lanes: Option<Vec<Lane>> = None;
        let mut in_flight: VecDeque<usize> = VecDeque::new();
        let mut next_lane = 0;
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut failed: Option<Refusal> = None;
        let mut flow = ControlFlow::Continue(());
        let read = source.read(|item| {
            chunk.push(item);
            if chunk.len() < CHUNK {
                return ControlFlow::Continue(());
            }
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            let lanes = lanes.get_or_insert_with(|| Lane::start(scope, reader, plan));
            flow = if lanes.is_empty() {
                settle(judge_here(reader, plan, full), &mut each, &mut failed)
            } else if lanes[next_lane].work.send(full).is_err() {
                failed = Some(lane_stopped());
                ControlFlow::Break(())
            } else {
                in_flight.push_back(next_lane);
                next_lane = (next_lane + 1) % lanes.len();
                if in_flight.len() < IN_FLIGHT {
                    ControlFlow::Continue(())
                } else {
                    take_back(lanes, &mut in_flight, &mut each, &mut failed)
                }
            };
            flow
        });
        // The chunks in flight come back first, then the last partial chunk.
        if let Some(lanes) = &lanes {
            while flow.is_continue() && !in_flight.is_empty() {
                flow = take_back(lanes, &mut in_flight, &mut each, &mut failed);
            }
        }
        if flow.is_continue() && read.is_ok() && !chunk.is_empty() {
            let _ = settle(judge_here(reader, plan, chunk), &mut each, &mut failed);
        }
        // Dropping the lanes ends their threads; the scope waits for them.
        drop(lanes);
        read?;
        failed.map_or(Ok(()), Err)
    })
}

/// One lookup thread: its chunks go in, judged chunks come back.
struct Lane {
    work: mpsc::SyncSender<Vec<Item>>,
    judged: mpsc::Receiver<Judged>,
}

impl Lane {
    /// Two lanes, each with a connection of its own; none when a second connection cannot be
    /// opened (the first pass then judges on its own thread).
    fn start<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        reader: &JournalReader,
        plan: &'scope RunPlan,
    ) -> Vec<Lane> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        if cores < 2 {
            return Vec::new();
        }
        let Some(readers) = (0..2).map(|_| reader.another()).collect::<Option<Vec<_>>>() else {
            return Vec::new();
        };
        readers
            .into_iter()
            .map(|reader| {
                let (work, chunks) = mpsc::sync_channel::<Vec<Item>>(IN_FLIGHT);
                let (done, judged) = mpsc::sync_channel::<Judged>(IN_FLIGHT);
                scope.spawn(move || {
                    for chunk in chunks {
                        if done.send(judge_here(&reader, plan, chunk)).is_err() {
                            break;
                        }
                    }
                });
                Lane { work, judged }
            })
            .collect()
    }
}

/// Judges a chunk's rows in one read transaction.
fn judge_here(reader: &JournalReader, plan: &RunPlan, chunk: Vec<Item>) -> Judged {
    let mut lookups = reader.lookups().map_err(JournalError::reading)?;
    chunk
        .into_iter()
        .map(|item| {
            let judgement = match &item {
                Item::Row(notice) => Some(decide(Some(&mut lookups), plan, notice)?),
                Item::Problem(_) | Item::Invalid(_) => None,
            };
            Ok((item, judgement))
        })
        .collect()
}

/// The oldest chunk in flight, taken back and handed on item by item.
fn take_back(
    lanes: &[Lane],
    in_flight: &mut VecDeque<usize>,
    each: &mut impl FnMut(Item, Option<Judgement>) -> ControlFlow<()>,
    failed: &mut Option<Refusal>,
) -> ControlFlow<()> {
    let Some(lane) = in_flight.pop_front() else {
        return ControlFlow::Continue(());
    };
    match lanes[lane].judged.recv() {
        Ok(judged) => settle(judged, each, failed),
        Err(_) => {
            *failed = Some(lane_stopped());
            ControlFlow::Break(())
        }
    }
}

/// A judged chunk handed on; a failed lookup stops the pass.
fn settle(
    judged: Judged,
    each: &mut impl FnMut(Item, Option<Judgement>) -> ControlFlow<()>,
    failed: &mut Option<Refusal>,
) -> ControlFlow<()> {
    match judged {
        Ok(items) => {
            for (item, judgement) in items {
                each(item, judgement)?;
            }
            ControlFlow::Continue(())
        }
        Err(e) => {
            failed.get_or_insert(e);
            ControlFlow::Break(())
        }
    }
}

fn lane_stopped() -> Refusal {
    Refusal::Machine("a journal lookup thread stopped unexpectedly; nothing was sent".into())
}
