//! Regenerates `data/instance-types.csv` from the VPC CNI's
//! `pkg/vpc/vpc_ip_resource_limit.go` (aws/amazon-vpc-cni-k8s), byte for byte.
//!
//! ```text
//! cargo run --example regen-limits -- path/to/vpc_ip_resource_limit.go > data/instance-types.csv
//! cargo run --example regen-limits -- path/to/vpc_ip_resource_limit.go --out data/instance-types.csv
//! ```
//!
//! The Go file holds one map literal, `instanceNetworkingLimits`, with one entry per type:
//! `"name": { ENILimit: N, IPv4Limit: N, DefaultNetworkCardIndex: N, NetworkCards:
//! []NetworkCard{ {MaximumNetworkInterfaces: N, NetworkCardIndex: N}, ... }, HypervisorType:
//! "x", IsBareMetal: bool }`. Anything else inside the map (an unknown field, a missing one, a
//! duplicate type, card indices that are not 0, 1, 2, … once sorted, an `ENILimit` that is not
//! the default card's `MaximumNetworkInterfaces`) is an error naming the line (exit 2).
//!
//! On stderr it lists the types that are new or dropped relative to `data/instance-vcpus.csv`
//! (`--vcpus FILE` to read another), so that the vCPU file can be brought in line: it must
//! list exactly the types of `instance-types.csv`.

mod go;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::process::ExitCode;

use go::{parse, Limits};

/// Default vCPU file: the one of this checkout.
const VCPUS_DEFAULT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/instance-vcpus.csv");

/// One row of `data/instance-types.csv`.
#[derive(serde::Serialize)]
struct Row<'a> {
    instance_type: &'a str,
    max_enis: u32,
    ipv4_per_eni: u32,
    hypervisor: &'a str,
    bare_metal: bool,
    network_cards: usize,
    default_network_card: u32,
    network_card_max_enis: String,
}

/// `instance-types.csv` for the entries, sorted as given: header, one row each, LF endings.
fn to_csv(limits: &[Limits]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for l in limits {
        w.serialize(Row {
            instance_type: &l.name,
            max_enis: l.eni_limit,
            ipv4_per_eni: l.ipv4_limit,
            hypervisor: &l.hypervisor,
            bare_metal: l.bare_metal,
            network_cards: l.cards.len(),
            default_network_card: l.default_card,
            network_card_max_enis: l
                .cards
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(";"),
        })?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The first column of a CSV file with a header (`instance_type`).
fn names_in(csv_text: &str) -> Result<BTreeSet<String>, csv::Error> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let mut out = BTreeSet::new();
    for rec in r.records() {
        out.insert(rec?.get(0).unwrap_or_default().to_string());
    }
    Ok(out)
}

/// Types of `limits` missing from `known` (new), and of `known` missing from `limits` (dropped).
fn new_and_dropped(limits: &[Limits], known: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    let ours: BTreeSet<String> = limits.iter().map(|l| l.name.clone()).collect();
    (
        ours.difference(known).cloned().collect(),
        known.difference(&ours).cloned().collect(),
    )
}

/// Command-line arguments.
struct Args {
    go_file: String,
    out: Option<String>,
    vcpus: String,
}

fn args() -> Result<Args, String> {
    let (mut go_file, mut out, mut vcpus) = (None, None, VCPUS_DEFAULT.to_string());
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = Some(it.next().ok_or("--out needs a file")?),
            "--vcpus" => vcpus = it.next().ok_or("--vcpus needs a file")?,
            _ if a.starts_with('-') => return Err(format!("unknown option {a}")),
            _ if go_file.is_none() => go_file = Some(a),
            _ => return Err(format!("unexpected argument {a}")),
        }
    }
    let go_file = go_file.ok_or(
        "usage: regen-limits path/to/vpc_ip_resource_limit.go [--out FILE] [--vcpus FILE]",
    )?;
    Ok(Args {
        go_file,
        out,
        vcpus,
    })
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename.
fn write_file(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = format!("{path}.regen-limits.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("regen-limits: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&args.go_file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("regen-limits: {}: {e}", args.go_file);
            return ExitCode::from(1);
        }
    };
    let limits = match parse(&text) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("regen-limits: {}:{}: {}", args.go_file, e.line, e.message);
            return ExitCode::from(2);
        }
    };
    let bytes = match to_csv(&limits) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("regen-limits: writing CSV: {e}");
            return ExitCode::from(1);
        }
    };
    let written = match &args.out {
        Some(path) => write_file(path, &bytes).map_err(|e| format!("{path}: {e}")),
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), &bytes)
            .map_err(|e| format!("stdout: {e}")),
    };
    if let Err(e) = written {
        eprintln!("regen-limits: {e}");
        return ExitCode::from(1);
    }
    let multi = limits.iter().filter(|l| l.cards.len() > 1).count();
    eprintln!(
        "regen-limits: {} types ({multi} with more than one network card)",
        limits.len()
    );
    let known = match std::fs::read_to_string(&args.vcpus)
        .map_err(|e| e.to_string())
        .and_then(|t| names_in(&t).map_err(|e| e.to_string()))
    {
        Ok(k) => k,
        Err(e) => {
            eprintln!("regen-limits: {}: {e}", args.vcpus);
            return ExitCode::from(1);
        }
    };
    let (new, dropped) = new_and_dropped(&limits, &known);
    if new.is_empty() && dropped.is_empty() {
        eprintln!("regen-limits: the same types as {}", args.vcpus);
    }
    if !new.is_empty() {
        eprintln!(
            "regen-limits: {} new types, not in {} (add a vCPU row for each): {}",
            new.len(),
            args.vcpus,
            new.join(" ")
        );
    }
    if !dropped.is_empty() {
        eprintln!(
            "regen-limits: {} types dropped upstream, still in {} (remove their rows): {}",
            dropped.len(),
            args.vcpus,
            dropped.join(" ")
        );
    }
    ExitCode::SUCCESS
}
