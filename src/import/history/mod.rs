//! A cluster's history, read from kubectl's output: pods over time from List snapshots
//! and watch streams (`--pods` given several files, a watch stream, or `--replay`), the
//! nodes' creation and Ready times, and the sandbox failures of `kubectl get events`.
//! [`replay`] makes a replay of it: node launches and trace files. `ipamsim check` reads
//! the same pods and events to compare a run with what the cluster recorded.
//!
//! Layers: [`stamp`] (timestamps), [`docs`] (documents of a file: List, object, watch
//! event), [`pods`] (a pod's life merged over sightings), [`events`] (address failures),
//! [`replay`] (the scenario's launches and traces).

pub mod docs;
pub mod events;
pub mod pods;
pub mod replay;
pub mod stamp;

use super::json::{read_json_stream, Found, InputFile, Located, StreamSeed};
use docs::{DocKind, DocSeed, Object, Read};
use serde::de::{self, IgnoredAny, MapAccess};
use std::fmt;
use std::io::BufReader;
use std::marker::PhantomData;
use std::path::Path;

/// Reads every document of `input` (file index `file`), handing each object to `take`.
/// A file of one document is placed as before (`items[2]…`); several make a stream
/// (`[3].object…`). Returns whether any document was a List; a syntax or type error is
/// pushed to `errors`.
pub fn read_objects<T: Object>(
    input: &mut InputFile,
    file: usize,
    found: &mut Found,
    errors: &mut Vec<Located>,
    mut take: impl FnMut(Read<T>, &mut Found),
) -> bool {
    let mut seed = Documents {
        take: |r: Read<T>| take(r, found),
        kinds: Vec::new(),
        object: PhantomData::<fn() -> T>,
    };
    let read = read_json_stream(input, &mut seed);
    let kinds = seed.kinds;
    let lists = !kinds.is_empty();
    for (doc, kind) in &kinds {
        if let Some(k) = kind.as_deref().filter(|k| *k != "List") {
            found.error(
                file,
                super::path::JsonPath::root().index(*doc).key("kind"),
                format!(
                    "expected kubectl's `kind: List` (kubectl get ... -o json lists objects); \
                     found {}",
                    serde_json::Value::from(k)
                ),
            );
        }
    }
    match read {
        Ok(1) => found.single_document(file),
        Ok(_) => input.stream = true,
        Err(e) => errors.push(e),
    }
    lists
}

/// Reads each document through a [`DocSeed`], noting the kind of each List.
struct Documents<T, F> {
    take: F,
    kinds: Vec<(usize, Option<String>)>,
    object: PhantomData<fn() -> T>,
}

impl<T: Object, F: FnMut(Read<T>)> StreamSeed for Documents<T, F> {
    fn document<'de, D: de::Deserializer<'de>>(
        &mut self,
        doc: usize,
        d: D,
    ) -> Result<(), D::Error> {
        let mut kind = DocKind::default();
        de::DeserializeSeed::deserialize(
            DocSeed {
                doc,
                take: &mut self.take,
                kind: &mut kind,
                object: PhantomData::<fn() -> T>,
            },
            d,
        )?;
        if let DocKind::List { kind } = kind {
            self.kinds.push((doc, kind));
        }
        Ok(())
    }
}

/// Whether the file at `path` is a watch stream rather than one List: its first document
/// reads, and it is not a List (no `items`) or more documents follow it. A file whose first
/// document does not read is no stream: the List reader then says what is wrong with it.
pub fn is_stream(path: &Path) -> bool {
    let Ok(file) = crate::input::open(path, crate::input::JSON) else {
        return false;
    };
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, file));
    match de::Deserializer::deserialize_map(&mut de, HasItems) {
        Ok(true) => de.end().is_err(),
        Ok(false) => true,
        Err(_) => false,
    }
}

/// A document's top-level keys: whether `items` is one (values skipped).
struct HasItems;

impl<'de> de::Visitor<'de> for HasItems {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut items = false;
        while let Some(key) = map.next_key::<String>()? {
            items |= key == "items";
            map.next_value::<IgnoredAny>()?;
        }
        Ok(items)
    }
}
