//! The CSV files written on a second thread, so that formatting overlaps the simulation.
//!
//! [`ThreadedRecorder`] is the simulation thread's recorder: it copies each record into the
//! [`Batch`] being filled and, once the batch holds [`BATCH_ROWS`] rows, sends it over a
//! bounded channel ([`BATCHES_IN_FLIGHT`] batches) to the writer thread. That thread owns
//! the [`CsvRecorder`], replays each batch into it (every file's rows in their order, so
//! the bytes are those of a run that formats inline) and sends the emptied batch back to
//! be filled again: in steady state nothing is allocated per row. When the writer falls
//! behind, the simulation waits on the full channel; memory stays bounded by the batches
//! in flight.
//!
//! [`ThreadedRecorder::finish`] sends the batch in progress, lets the writer finish and
//! returns its result: [`CsvRecorder::finish`]'s, the first write error included. Dropped
//! without `finish` (a cancelled run), it still ends and joins the writer thread.

use super::csv_files::{CsvRecorder, Files};
use super::rows::Batch;
use crate::model::record::{
    BlockRow, ClusterMetricsRow, EventRecord, NodeMetricsRow, NodeRow, PodRecord, Recorder,
    SubnetRow, TimelineRow, WaitRecord,
};
use crate::scenario::NodeGroupSpec;
use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Rows (all files together) in a batch before it is sent to the writer thread.
pub const BATCH_ROWS: usize = 1024;

/// Full batches the channel holds before the simulation thread waits for the writer.
pub const BATCHES_IN_FLIGHT: usize = 64;

/// A [`Recorder`] that hands rows to a [`CsvRecorder`] on a writer thread.
pub struct ThreadedRecorder {
    /// The files written: records for others are not copied.
    files: Files,
    /// The batch being filled.
    batch: Batch,
    /// Full batches to the writer; `None` once it is gone.
    full: Option<SyncSender<Batch>>,
    /// Emptied batches back from the writer.
    empty: Receiver<Batch>,
    /// The writer thread, returning [`CsvRecorder::finish`]'s result.
    writer: Option<JoinHandle<io::Result<()>>>,
}

impl ThreadedRecorder {
    /// Starts the writer thread, which owns `csv`; `groups` are the scenario's nodegroups.
    pub fn spawn<W: Write + Send + 'static>(
        csv: CsvRecorder<W>,
        groups: Vec<NodeGroupSpec>,
    ) -> io::Result<Self> {
        let files = csv.files();
        let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
        let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
        let writer = std::thread::Builder::new()
            .name("csv-writer".into())
            .spawn(move || {
                let mut csv = csv;
                for mut batch in full_rx {
                    batch.replay(&groups, &mut csv);
                    batch.clear();
                    // the simulation side may be gone already (it then drops the batch)
                    let _ = empty_tx.send(batch);
                }
                csv.finish()
            })?;
        Ok(ThreadedRecorder {
            files,
            batch: Batch::default(),
            full: Some(full_tx),
            empty: empty_rx,
            writer: Some(writer),
        })
    }

    /// Sends the batch being filled and takes an emptied one (or a new one while fewer
    /// than the channel's bound plus two exist).
    fn send(&mut self) {
        let next = self.empty.try_recv().unwrap_or_default();
        let full = std::mem::replace(&mut self.batch, next);
        if let Some(tx) = &self.full {
            if tx.send(full).is_err() {
                // the writer thread panicked: `finish` reports it
                self.full = None;
            }
        }
    }

    fn sent_if_full(&mut self) {
        if self.batch.len() >= BATCH_ROWS {
            self.send();
        }
    }

    /// Sends the last rows, waits for the writer thread and returns its result: the
    /// first write error, or a flush error (a panic on the writer thread is resumed here).
    pub fn finish(mut self) -> io::Result<()> {
        if !self.batch.is_empty() {
            self.send();
        }
        self.full = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Ok(()),
        }
    }
}

impl Drop for ThreadedRecorder {
    fn drop(&mut self) {
        // closing the channel ends the writer's loop
        self.full = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Recorder for ThreadedRecorder {
    fn timeline(&mut self, row: &TimelineRow) {
        if self.files.timeline {
            self.batch.timeline(row);
            self.sent_if_full();
        }
    }

    fn node(&mut self, row: &NodeRow<'_>) {
        if self.files.nodes {
            self.batch.node(row);
            self.sent_if_full();
        }
    }

    fn subnet(&mut self, row: &SubnetRow<'_>) {
        if self.files.subnets || self.files.metrics {
            self.batch.subnet(row);
            self.sent_if_full();
        }
    }

    fn event(&mut self, event: &EventRecord<'_>) {
        if self.files.events {
            self.batch.event(event);
            self.sent_if_full();
        }
    }

    fn pod(&mut self, pod: &PodRecord<'_>) {
        if self.files.pods {
            self.batch.pod(pod);
            self.sent_if_full();
        }
    }

    fn wait(&mut self, wait: &WaitRecord<'_>) {
        if self.files.waits {
            self.batch.wait(wait);
            self.sent_if_full();
        }
    }

    fn block(&mut self, row: &BlockRow<'_>) {
        if self.files.blocks {
            self.batch.block(row);
            self.sent_if_full();
        }
    }

    fn wants_metrics(&self) -> bool {
        self.files.metrics
    }

    fn node_metrics(&mut self, row: &NodeMetricsRow<'_>) {
        if self.files.metrics {
            self.batch.node_metrics(row);
            self.sent_if_full();
        }
    }

    fn cluster_metrics(&mut self, row: &ClusterMetricsRow) {
        if self.files.metrics {
            self.batch.cluster_metrics(row);
            self.sent_if_full();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::csv_files::CsvWriters;
    use crate::time::SimTime;

    /// A disk that is full: every write fails.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn timeline_only() -> CsvRecorder<Full> {
        CsvRecorder::new(CsvWriters {
            timeline: Some(Full),
            nodes: None,
            pods: None,
            subnets: None,
            events: None,
            waits: None,
        })
        .unwrap()
    }

    /// Enough rows to fill the 64 KiB buffer of `timeline.csv` several times, and several
    /// batches.
    fn feed(r: &mut impl Recorder) {
        for s in 0..20_000 {
            r.timeline(&TimelineRow {
                time: SimTime(s * 1_000_000),
                nodes: 1_000,
                ..TimelineRow::default()
            });
        }
    }

    #[test]
    fn a_write_error_on_the_writer_thread_is_the_inline_one() {
        let mut inline = timeline_only();
        feed(&mut inline);
        let inline = inline.finish().unwrap_err();
        let mut threaded = ThreadedRecorder::spawn(timeline_only(), Vec::new()).unwrap();
        feed(&mut threaded);
        let threaded = threaded.finish().unwrap_err();
        assert_eq!(threaded.kind(), inline.kind());
        assert_eq!(threaded.to_string(), inline.to_string());
        assert_eq!(threaded.to_string(), "disk full");
    }

    #[test]
    fn a_dropped_recorder_ends_its_writer_thread() {
        let mut threaded = ThreadedRecorder::spawn(timeline_only(), Vec::new()).unwrap();
        feed(&mut threaded);
        // joins the thread: returning at all is the test
        drop(threaded);
    }
}
