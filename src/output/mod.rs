//! Outputs: the CSV writers and the row deserializer that reads their files back, the
//! summary (`summary.json` and its text form), the detail texts of `events.csv`, and the
//! output directory (locked, written atomically: files appear only when the run succeeded),
//! and the writer thread that formats the CSV rows beside the simulation (`rows.rs` the
//! owned rows it is sent in batches, `writer_thread.rs` the thread), and `metrics.om`
//! (`metrics.rs`, written through the OpenMetrics text writer `openmetrics.rs`).

pub mod csv_files;
pub mod csv_read;
pub mod detail;
pub mod files;
pub mod metrics;
pub mod openmetrics;
pub mod rows;
pub mod summary;
pub mod writer_thread;
