//! Outputs: the recorder interface and CSV writers, `pods.csv`, the stdout summary, and
//! the output directory (written atomically: files appear only when the run succeeded).

pub mod files;
pub mod recorder;
pub mod summary;
