//! deploy/: the Kubernetes manifests validate against the Kubernetes schemas (offline, with
//! PyPI's `kubernetes-validate` when it is installed), agree with each other and with the
//! shipped scenario, and the flow they describe — N pods of an Indexed Job each running
//! one shard, then a merge Job — run here as N processes plus a merge, gives the
//! unsharded comparison byte for byte.
use crate::common;
use common::fresh_dir;
use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn manifests() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("deploy/k8s"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    v.sort();
    v
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("deploy/k8s").join(name)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// The shell script a Job's container runs (`/bin/sh -c SCRIPT`).
fn script(job: &Value) -> String {
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["command"][0], "/bin/sh");
    assert_eq!(c["command"][1], "-c");
    c["args"][0].as_str().unwrap().to_string()
}

/// Validated offline against the Kubernetes 1.31 schemas (the first release where the
/// Jobs' podFailurePolicy is stable) and the newest the package knows, strictly (unknown
/// fields are errors). Skips, saying so, where `kubernetes-validate` is not installed
/// (`pip install kubernetes-validate`).
#[test]
fn manifests_validate_against_the_kubernetes_schemas() {
    let files = manifests();
    assert!(files.len() >= 4, "{files:?}");
    // absent, or a stub that cannot run it (a pyenv shim of another Python)
    let usable = Command::new("kubernetes-validate")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !usable {
        eprintln!(
            "SKIPPED manifests_validate_against_the_kubernetes_schemas: kubernetes-validate is \
             not installed (pip install kubernetes-validate); the manifests were not checked \
             against the Kubernetes schemas"
        );
        return;
    }
    for version in [Some("1.31.0"), None] {
        let mut cmd = Command::new("kubernetes-validate");
        cmd.arg("--strict");
        if let Some(v) = version {
            cmd.args(["-k", v]);
        }
        let o = cmd.args(&files).output().unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "kubernetes {version:?}:\n{said}");
        assert_eq!(said.matches("passed").count(), files.len(), "{said}");
    }
}

/// The Indexed Job's completions equal the N of its `--shard K/N`, K comes from
/// JOB_COMPLETION_INDEX, every shard writes its own directory on the shared volume, the
/// merge Job reads them all, and the ConfigMap holds scenarios/scale-out.yaml as it stands.
#[test]
fn manifests_agree_with_each_other() {
    let job = load("sweep-job.yaml");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let n = spec["completions"].as_u64().unwrap();
    assert!(spec["parallelism"].as_u64().is_some());
    let sweep = script(&job);
    assert!(
        sweep.contains(&format!("--shard $((JOB_COMPLETION_INDEX+1))/{n}")),
        "{sweep}"
    );
    assert!(
        sweep.contains("--out /parts/shard-$((JOB_COMPLETION_INDEX+1))"),
        "{sweep}"
    );
    assert!(
        sweep.contains("ipamsim compare /scenario/scenario.yaml"),
        "{sweep}"
    );
    let merge = script(&load("merge-job.yaml"));
    assert!(
        merge.contains("ipamsim merge --out /parts/merged"),
        "{merge}"
    );
    assert!(merge.contains("/parts/shard-*"), "{merge}");
    let cm = load("scenario-configmap.yaml");
    assert_eq!(
        cm["data"]["scenario.yaml"].as_str().unwrap(),
        std::fs::read_to_string(root().join("scenarios/scale-out.yaml")).unwrap(),
        "the ConfigMap is scenarios/scale-out.yaml"
    );
    let volumes = &job["spec"]["template"]["spec"]["volumes"];
    assert_eq!(volumes[0]["configMap"]["name"], cm["metadata"]["name"]);
    assert_eq!(
        volumes[1]["persistentVolumeClaim"]["claimName"],
        load("parts-pvc.yaml")["metadata"]["name"]
    );
    let docker = std::fs::read_to_string(root().join("deploy/Dockerfile")).unwrap();
    assert_eq!(docker.matches("\nFROM ").count(), 2, "two stages");
    assert!(docker.contains("cargo build --release --locked"));
}

/// A Job's script as it runs here: the volumes' mount paths become directories under
/// `dir` and `ipamsim` the binary under test.
fn local(script: &str, dir: &Path) -> String {
    let bin = env!("CARGO_BIN_EXE_ipamsim");
    script
        .replace("/scenario/", &format!("{}/scenario/", dir.display()))
        .replace("/parts/", &format!("{}/parts/", dir.display()))
        .replace("exec ipamsim ", &format!("exec '{bin}' "))
}

/// The Indexed Job's flow with N processes: pod i runs the sweep script with
/// JOB_COMPLETION_INDEX=i (all at once, as with parallelism N), then the merge Job's
/// script; comparison.csv and comparison.json equal those of the same compare unsharded,
/// and the merge exits 0 because some setting meets the objective.
#[test]
fn the_indexed_job_flow_runs_locally() {
    let dir = fresh_dir("deploy", "flow");
    let job = load("sweep-job.yaml");
    let n = job["spec"]["completions"].as_u64().unwrap();
    std::fs::create_dir_all(dir.join("scenario")).unwrap();
    std::fs::create_dir_all(dir.join("parts")).unwrap();
    let cm = load("scenario-configmap.yaml");
    std::fs::write(
        dir.join("scenario/scenario.yaml"),
        cm["data"]["scenario.yaml"].as_str().unwrap(),
    )
    .unwrap();
    let sweep = local(&script(&job), &dir);
    let pods: Vec<_> = (0..n)
        .map(|i| {
            Command::new("sh")
                .args(["-c", &sweep])
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .env_remove("IPAMSIM_TEST_HOLD")
                .spawn()
                .unwrap()
        })
        .collect();
    for mut pod in pods {
        assert!(pod.wait().unwrap().success());
    }
    let merge = local(&script(&load("merge-job.yaml")), &dir);
    let o = Command::new("sh").args(["-c", &merge]).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(dir.join("parts/merged/report.html").is_file());
    // the same compare, unsharded: the sweep's flags without --shard, into another --out
    let sweep_script = script(&job);
    let tokens: Vec<&str> = sweep_script.split_whitespace().collect();
    let mut whole: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            "--shard" => i += 2,
            "--out" => {
                whole.push("--out".into());
                whole.push("/parts/whole".into());
                i += 2;
            }
            t => {
                whole.push(t.to_string());
                i += 1;
            }
        }
    }
    let o = Command::new("sh")
        .args(["-c", &local(&whole.join(" "), &dir)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["comparison.csv", "comparison.json"] {
        assert_eq!(
            std::fs::read_to_string(dir.join("parts/whole").join(f)).unwrap(),
            std::fs::read_to_string(dir.join("parts/merged").join(f)).unwrap(),
            "{f}"
        );
    }
}
