//! Capacity reports, `ipamsim capacity` (docs/capacity.md):
//!
//! - [`by_type`]: per instance type, from the catalog alone: max pods and pod IPs in each
//!   address mode, branch ENIs for security groups for pods, and warnings;
//! - [`scenario`]: for a scenario's cluster and CNI settings, from the simulator: the
//!   addresses one node of each nodegroup holds idle and full, and how many more nodes each
//!   subnet can take.
//!
//! Each report is a typed value (`Vec` of rows) first; the table, CSV and JSON forms are all
//! written from it, the CSV through the `csv` crate from row structs whose field names are
//! the header.

pub mod by_type;
pub mod scenario;
