//! Capacity reports (in progress).
