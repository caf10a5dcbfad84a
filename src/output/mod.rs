//! Outputs: the CSV writers, the summary (`summary.json` and its text form), the detail
//! texts of `events.csv`, and the output directory (locked, written atomically: files
//! appear only when the run succeeded).

pub mod csv_files;
pub mod detail;
pub mod files;
pub mod summary;
