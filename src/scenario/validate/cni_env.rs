//! The aws-node environment as users have it: a DaemonSet env list under `cni:`, and
//! `cni_from:` an aws-node DaemonSet manifest. Before the checks run, both are turned into
//! the one `cni:` mapping that [`super::cni`] reads: the manifest's variables first, then
//! the scenario's `cni` entries, which override them. Every variable keeps the position
//! where it is written, in the scenario or in the manifest.
//!
//! The variables of upstream aws-node that do not change the model are listed in
//! [`UPSTREAM_IGNORED`] (aws/amazon-vpc-cni-k8s v1.23.1: the README's "CNI Configuration
//! Variables", `config/master/aws-k8s-cni.yaml`, and the `env…` constants of
//! `cmd/aws-vpc-cni/main.go`, `cmd/aws-k8s-agent/main.go`, `pkg/ipamd/ipamd.go`,
//! `pkg/networkutils/network.go`, `pkg/utils/logger/config.go`, `pkg/awsutils`).

use super::*;
use crate::scenario::source::read_text;
use crate::scenario::yaml::parse_documents;

/// aws-node v1.23.1 variables that do not change IP address management (logging, SNAT,
/// MTU, metrics, plugin chaining, paths…): accepted with a warning naming them.
const UPSTREAM_COSMETIC: [&str; 36] = [
    "ADDITIONAL_ENI_TAGS",
    "ANNOTATE_POD_IP",
    "AWS_EC2_ENDPOINT",
    "AWS_EXTERNAL_SERVICE_CIDRS",
    "AWS_VPC_CNI_NODE_PORT_SUPPORT",
    "AWS_VPC_ENI_MTU",
    "AWS_VPC_K8S_CNI_BACKING_STORE",
    "AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER",
    "AWS_VPC_K8S_CNI_CONNMARK",
    "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS",
    "AWS_VPC_K8S_CNI_EXTERNALSNAT",
    "AWS_VPC_K8S_CNI_LOGLEVEL",
    "AWS_VPC_K8S_CNI_LOG_FILE",
    "AWS_VPC_K8S_CNI_RANDOMIZESNAT",
    "AWS_VPC_K8S_CNI_VETHPREFIX",
    "AWS_VPC_K8S_EGRESS_V4_PLUGIN_LOG_FILE",
    "AWS_VPC_K8S_EGRESS_V6_PLUGIN_LOG_FILE",
    "AWS_VPC_K8S_PLUGIN_LOG_FILE",
    "AWS_VPC_K8S_PLUGIN_LOG_LEVEL",
    "CLUSTER_ENDPOINT",
    "DISABLE_INTROSPECTION",
    "DISABLE_METRICS",
    "DISABLE_POD_V6",
    "DISABLE_TCP_EARLY_DEMUX",
    "ENABLE_BANDWIDTH_PLUGIN",
    "ENABLE_NFTABLES",
    "ENABLE_V4_EGRESS",
    "ENABLE_V6_EGRESS",
    "ENI_CONFIG_ANNOTATION_DEF",
    "ENI_CONFIG_LABEL_DEF",
    "HOST_CNI_BIN_PATH",
    "HOST_CNI_CONFDIR_PATH",
    "INTROSPECTION_BIND_ADDRESS",
    "MY_NODE_NAME",
    "MY_POD_NAME",
    "NETWORK_POLICY_ENFORCING_MODE",
];

/// aws-node v1.23.1 variables that do change ipamd upstream (spec §a.1) but that the
/// simulator does not model yet: accepted with a warning that says so.
const UPSTREAM_UNMODELLED: [&str; 7] = [
    "AWS_MANAGE_ENIS_NON_SCHEDULABLE",
    "DISABLE_LEAKED_ENI_CLEANUP",
    "DISABLE_NETWORK_RESOURCE_PROVISIONING",
    "ENABLE_IMDS_ONLY_MODE",
    "HTTP_TIMEOUT",
    "MANAGE_UNTAGGED_ENI",
    "VPC_CNI_VERSION",
];

/// Every upstream variable accepted and ignored (both lists).
pub(super) const UPSTREAM_IGNORED: [&str; 44] = {
    let mut all = [""; 44];
    let mut i = 0;
    while i < UPSTREAM_COSMETIC.len() {
        all[i] = UPSTREAM_COSMETIC[i];
        i += 1;
    }
    let mut j = 0;
    while j < UPSTREAM_UNMODELLED.len() {
        all[i + j] = UPSTREAM_UNMODELLED[j];
        j += 1;
    }
    all
};

/// Whether `name` is an upstream variable the simulator accepts and ignores.
pub(super) fn is_upstream_ignored(name: &str) -> bool {
    UPSTREAM_IGNORED.contains(&name)
}

/// The warning for an ignored variable.
pub(super) fn ignored_note(name: &str) -> String {
    if UPSTREAM_UNMODELLED.contains(&name) {
        format!(
            "{name} changes ipamd upstream (aws-node v1.23.1) but the simulator does not model \
             it yet; it is ignored"
        )
    } else {
        format!(
            "{name} is an aws-node v1.23.1 setting that does not change IP address management; \
             the simulator ignores it"
        )
    }
}

/// One variable: its name's node (the key) and its value's node.
type Var = (Node, Node);

/// Turns `cni:` (a mapping or an env list) and `cni_from:` into one `cni:` mapping in
/// `root`. Problems are recorded in `rec`; what can be read is kept.
pub(super) fn prepare_cni(root: &mut Node, rec: &mut Recorder, base_dir: &Path) {
    let Kind::Map(entries) = &mut root.kind else {
        return;
    };
    let top = FieldPath::default();
    let from = entries
        .iter()
        .find(|(k, _)| k.as_str() == Some("cni_from"))
        .map(|(k, v)| (k.mark, v.clone()));
    let mut vars: Vec<Var> = Vec::new();
    let mut rewrite = false;
    if let Some((from_mark, value)) = &from {
        rewrite = true;
        if let Some(manifest) = manifest_vars(value, *from_mark, rec, base_dir) {
            vars = manifest;
        }
    }
    let cni_at = entries.iter().position(|(k, _)| k.as_str() == Some("cni"));
    if let Some(at) = cni_at {
        let cni_path = top.key("cni");
        let own: Option<Vec<Var>> = match &entries[at].1.kind {
            Kind::Seq(items) => {
                rewrite = true;
                Some(env_vars(items, &cni_path, rec))
            }
            Kind::Map(own) => Some(own.clone()),
            Kind::Null => Some(Vec::new()),
            _ => None,
        };
        match own {
            Some(own) => {
                for (k, v) in own {
                    let name = k.as_str().map(str::to_string);
                    match vars
                        .iter_mut()
                        .find(|(old, _)| name.is_some() && old.as_str() == name.as_deref())
                    {
                        Some(slot) => *slot = (k, v),
                        None => vars.push((k, v)),
                    }
                }
            }
            // Not a mapping or a list: left for `cni` to report.
            None => return,
        }
    }
    if !rewrite {
        return;
    }
    let mark = match (cni_at, &from) {
        (Some(at), _) => entries[at].1.mark,
        (None, Some((m, _))) => *m,
        (None, None) => Mark::default(),
    };
    let merged = Node::new(Kind::Map(vars), mark);
    match cni_at {
        Some(at) => entries[at].1 = merged,
        None => {
            let key_mark = from.as_ref().map_or(mark, |(m, _)| *m);
            entries.push((Node::new(Kind::Str("cni".into()), key_mark), merged));
        }
    }
}

/// The variables of a DaemonSet env list (`- name: X` / `value: "5"`); entries with
/// `valueFrom` are skipped; a name given twice is an error at its second `name`.
fn env_vars(items: &[Node], path: &FieldPath, rec: &mut Recorder) -> Vec<Var> {
    const KEYS: [&str; 3] = ["name", "value", "valueFrom"];
    let mut out: Vec<Var> = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Kind::Map(fields) = &item.kind else {
            rec.error_at(
                &at,
                Some(item.item_mark()),
                format!(
                    "expected an env entry such as {{name: WARM_IP_TARGET, value: \"5\"}}; \
                     found {}",
                    item.kind_name()
                ),
            );
            continue;
        };
        let mut well_formed = true;
        for (k, _) in fields {
            match k.as_str() {
                Some(key) if KEYS.contains(&key) => {}
                Some(key) => {
                    well_formed = false;
                    rec.error_at(
                        &at,
                        Some(k.mark),
                        format!(
                            "unknown key {} in an env entry; allowed: {}",
                            quoted(key),
                            KEYS.join(", ")
                        ),
                    );
                }
                None => {
                    well_formed = false;
                    rec.error_at(
                        &at,
                        Some(k.mark),
                        format!("keys must be text; found {} key", k.kind_name()),
                    );
                }
            }
        }
        if !well_formed {
            continue;
        }
        let Some(name_node) = item.get("name") else {
            rec.error_at(
                &at,
                Some(item.item_mark()),
                "an env entry needs `name`, the variable's name".to_string(),
            );
            continue;
        };
        let Some(name) = name_node.as_str() else {
            rec.error_at(
                &at.key("name"),
                Some(name_node.mark),
                format!(
                    "a variable name is a string; found {}",
                    name_node.kind_name()
                ),
            );
            continue;
        };
        if item.get("valueFrom").is_some() {
            // Set at run time from the pod or node (MY_NODE_NAME, …): nothing to read here.
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(n, _)| n == name) {
            rec.error_at(
                &at.key("name"),
                Some(name_node.mark),
                format!(
                    "duplicate variable {} (also at {}); each name may appear once",
                    quoted(name),
                    path.index(*first)
                ),
            );
            continue;
        }
        seen.push((name.to_string(), i));
        // A Kubernetes env entry without `value` holds the empty string.
        let value = item
            .get("value")
            .cloned()
            .unwrap_or_else(|| Node::new(Kind::Str(String::new()), name_node.mark));
        out.push((name_node.clone(), value));
    }
    out
}

/// Reads the aws-node container's env from the manifest that `cni_from` names.
fn manifest_vars(
    value: &Node,
    from_mark: Mark,
    rec: &mut Recorder,
    base_dir: &Path,
) -> Option<Vec<Var>> {
    let path = FieldPath::default().key("cni_from");
    let Some(file) = value.as_str().filter(|f| !f.trim().is_empty()) else {
        rec.error_at(
            &path,
            Some(from_mark),
            format!(
                "expected the path of an aws-node DaemonSet manifest (relative to the scenario \
                 file's directory), such as manifests/aws-node.yaml; found {}",
                value.kind_name()
            ),
        );
        return None;
    };
    let resolved = base_dir.join(file);
    let text = match read_text(&resolved, "manifest") {
        Ok(text) => text,
        Err(d) => {
            let at = d
                .location
                .map_or(String::new(), |(l, c)| format!("{file}:{l}:{c}: "));
            rec.error_at(
                &path,
                Some(from_mark),
                format!(
                    "{at}{} ({}; paths are relative to the scenario file's directory)",
                    d.message,
                    resolved.display()
                ),
            );
            return None;
        }
    };
    let origin = rec.add_origin(Origin::File {
        name: file.to_string(),
        via: Some(from_mark),
    });
    let parsed = parse_documents(&text, origin);
    for p in &parsed.problems {
        rec.error_at(&path, Some(p.mark), p.message.clone());
    }
    if parsed.fatal {
        return None;
    }
    match aws_node_env(&parsed.documents) {
        Ok(None) => Some(Vec::new()),
        Ok(Some((env, env_path))) => match &env.kind {
            Kind::Seq(items) => Some(env_vars(items, &env_path, rec)),
            Kind::Null => Some(Vec::new()),
            _ => {
                rec.error_at(
                    &path,
                    Some(env.mark),
                    format!("{env_path}: expected a list; found {}", env.kind_name()),
                );
                None
            }
        },
        Err(message) => {
            rec.error_at(&path, Some(from_mark), format!("{file}: {message}"));
            None
        }
    }
}

/// The `env` of the container named `aws-node` of the DaemonSet in `documents` (one
/// object per document, or `kind: List` items), with its path in the manifest; `None`
/// when that container has no `env`.
fn aws_node_env(documents: &[Node]) -> Result<Option<(&Node, FieldPath)>, String> {
    let mut objects: Vec<(&Node, FieldPath)> = Vec::new();
    for doc in documents {
        let base = FieldPath::default();
        if doc.get("kind").and_then(Node::as_str) == Some("List") {
            if let Some(Kind::Seq(items)) = doc.get("items").map(|n| &n.kind) {
                for (i, item) in items.iter().enumerate() {
                    objects.push((item, base.key("items").index(i)));
                }
            }
        } else {
            objects.push((doc, base));
        }
    }
    let mut daemonsets = Vec::new();
    let mut found = Vec::new();
    for (object, at) in objects {
        if object.get("kind").and_then(Node::as_str) != Some("DaemonSet") {
            continue;
        }
        let name = object
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .unwrap_or("");
        daemonsets.push(name.to_string());
        let containers = object
            .get("spec")
            .and_then(|s| s.get("template"))
            .and_then(|t| t.get("spec"))
            .and_then(|s| s.get("containers"));
        let Some(Kind::Seq(containers)) = containers.map(|c| &c.kind) else {
            continue;
        };
        for (c, container) in containers.iter().enumerate() {
            if container.get("name").and_then(Node::as_str) == Some("aws-node") {
                let env_path = at
                    .key("spec")
                    .key("template")
                    .key("spec")
                    .key("containers")
                    .index(c)
                    .key("env");
                found.push((name == "aws-node", container.get("env"), env_path));
            }
        }
    }
    // Prefer the DaemonSet named aws-node when several hold such a container.
    found.sort_by_key(|(named, _, _)| !named);
    match found.into_iter().next() {
        Some((_, env, env_path)) => Ok(env.map(|e| (e, env_path))),
        None if daemonsets.is_empty() => Err(
            "no DaemonSet found; expected the aws-node DaemonSet (the upstream \
             aws-k8s-cni.yaml, or `kubectl get daemonset aws-node -n kube-system -o yaml`)"
                .to_string(),
        ),
        None => Err(format!(
            "no container named aws-node in the DaemonSet{} {}",
            if daemonsets.len() == 1 { "" } else { "s" },
            daemonsets
                .iter()
                .map(|n| quoted(n))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The CNI settings of an aws-node DaemonSet manifest, read exactly as `cni_from:` reads
/// them (for `ipamsim import`).
#[derive(Clone, Debug)]
pub struct AwsNodeEnv {
    /// The settings of the `aws-node` container's env, as aws-node parses them; defaults
    /// for the variables it does not set.
    pub cni: CniConfig,
    /// Warnings (ignored variables, surprising values), each placed at the variable's line
    /// and column in the manifest, with the variable's name as its path.
    pub warnings: Vec<Diagnostic>,
}

/// Reads the env of the container named `aws-node` of the DaemonSet manifest at `path`
/// (`kubectl get daemonset aws-node -n kube-system -o yaml` or `-o json`, the upstream
/// `aws-k8s-cni.yaml`, or a `kind: List`), checking every variable as a scenario's
/// `cni_from:` does. `file` names the manifest in messages. Every problem (unreadable file,
/// YAML syntax, no aws-node container, a value aws-node would reject or replace) is in the
/// error, placed at the manifest's own line and column, with the variable's name as path.
pub fn read_aws_node_env(path: &Path, file: &str) -> Result<AwsNodeEnv, ScenarioErrors> {
    let errors = |problems: Vec<Diagnostic>| ScenarioErrors {
        file: file.to_string(),
        problems,
    };
    let text = read_text(path, "manifest").map_err(|d| errors(vec![d]))?;
    let parsed = parse_documents(&text, 0);
    let mut rec = Recorder::new();
    let top = FieldPath::default();
    for p in &parsed.problems {
        rec.error_at(&top, Some(p.mark), p.message.clone());
    }
    let mut vars = Vec::new();
    if !parsed.fatal {
        match aws_node_env(&parsed.documents) {
            Ok(None) => {}
            Ok(Some((env, env_path))) => match &env.kind {
                Kind::Seq(items) => vars = env_vars(items, &env_path, &mut rec),
                Kind::Null => {}
                _ => rec.error_at(
                    &env_path,
                    Some(env.mark),
                    format!("expected a list; found {}", env.kind_name()),
                ),
            },
            Err(message) => rec.error_at(&top, None, message),
        }
    }
    // The variables as a scenario's `cni:` mapping whose keys keep their manifest marks
    // (origin 0 here is the manifest), so that the checks place everything in it.
    let cni_node = Node::new(Kind::Map(vars), Mark::default());
    let root = Node::new(
        Kind::Map(vec![(
            Node::new(Kind::Str("cni".into()), Mark::default()),
            cni_node.clone(),
        )]),
        Mark::default(),
    );
    let mut checker = Checker::new(Some(&root), rec, Path::new(""), &LoadOptions::default());
    let cni = checker.cni(
        Some(&Deferred { value: &cni_node }),
        &FieldPath::default().key("cni"),
    );
    let by_position = |d: &Diagnostic| d.location.unwrap_or((usize::MAX, usize::MAX));
    // `cni.NAME…` → `NAME…`: in a manifest the variable's name is the place.
    let unprefix = |mut d: Diagnostic| {
        if let Some(rest) = d.path.strip_prefix("cni.") {
            d.path = rest.to_string();
        } else if d.path == "cni" {
            d.path.clear();
        }
        d
    };
    let mut problems: Vec<Diagnostic> = checker.rec.problems.into_iter().map(unprefix).collect();
    if !problems.is_empty() {
        problems.sort_by_key(by_position);
        return Err(errors(problems));
    }
    let mut warnings: Vec<Diagnostic> = checker.rec.warnings.into_iter().map(unprefix).collect();
    warnings.sort_by_key(by_position);
    Ok(AwsNodeEnv { cni, warnings })
}
