//! The documents of a kubectl output file, read one at a time: a `kind: List` snapshot
//! (`kubectl get pods -A -o json`), a bare object (`kubectl get pods -A -o json --watch`
//! prints one per change) or a watch event (`--output-watch-events`: `{"type": "ADDED",
//! "object": {…}}`). A List's items are handed over one by one as they are read, as
//! [`super::super::list`] does, so no list sits in memory whole.

use super::super::path::JsonPath;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess};
use std::fmt;
use std::marker::PhantomData;

/// An object kubectl prints (a Pod, an Event) read from the top-level keys of a bare
/// document: each key it knows goes to [`Object::field`], the others are skipped.
pub trait Object: DeserializeOwned + Default {
    /// Reads the value of top-level key `key` into `self` if it is one of the object's;
    /// `Ok(false)` (the value not read) if not.
    fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;

    /// Takes the document's `kind` (read before it is known whether the document is a
    /// List or the object itself).
    fn set_kind(&mut self, kind: Option<String>);
}

/// How one object came: which document, as a List item, bare, or in a watch event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Came {
    /// Item `i` of a List (a snapshot: every object in it existed at once).
    Item(usize),
    /// A bare object (a `--watch` line).
    Bare,
    /// In a watch event of this `type` (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, …;
    /// empty if absent).
    Event(String),
}

/// One object read: its document, how it came, where it is (a path from the document's
/// root) and the object.
pub struct Read<T> {
    /// The document (0-based).
    pub doc: usize,
    /// How it came.
    pub came: Came,
    /// Its path, `[doc]` first.
    pub at: JsonPath,
    /// The object.
    pub object: T,
}

/// What a document was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DocKind {
    /// A List: its `kind` (if given) and whether `items` was there.
    List {
        /// `kind`, `List` as kubectl prints it.
        kind: Option<String>,
    },
    /// A bare object.
    #[default]
    Bare,
    /// A watch event.
    Event,
}

/// Reads document `doc`, handing each object to `take`; its kind goes to `kind`.
pub struct DocSeed<'a, T, F> {
    /// The document's index.
    pub doc: usize,
    /// Receives every object.
    pub take: &'a mut F,
    /// Receives what the document was.
    pub kind: &'a mut DocKind,
    /// The object type.
    pub object: PhantomData<fn() -> T>,
}

impl<'de, T: Object, F: FnMut(Read<T>)> DeserializeSeed<'de> for DocSeed<'_, T, F> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: Object, F: FnMut(Read<T>)> de::Visitor<'de> for DocSeed<'_, T, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "kubectl's JSON output: a List with `items`, an object, or a watch event with \
             `type` and `object`",
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let root = JsonPath::root().index(self.doc);
        let mut bare = T::default();
        let mut kind: Option<String> = None;
        let mut watch_type: Option<String> = None;
        let mut wrapped: Option<T> = None;
        let mut items = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "items" if items => return Err(de::Error::duplicate_field("items")),
                "items" => {
                    items = true;
                    map.next_value_seed(Items {
                        doc: self.doc,
                        at: root.key("items"),
                        take: &mut *self.take,
                        object: PhantomData::<fn() -> T>,
                    })?;
                }
                "object" if wrapped.is_some() => return Err(de::Error::duplicate_field("object")),
                "object" => wrapped = Some(map.next_value::<T>()?),
                "kind" => {
                    // a List's kind, or the bare object's: both kept
                    let v: Option<String> = map.next_value()?;
                    kind.clone_from(&v);
                    bare.set_kind(v);
                }
                // a watch event's type (an Event object's own `type` is not read)
                "type" => watch_type = map.next_value::<Option<String>>()?,
                other => {
                    if !bare.field(other, &mut map)? {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        if items {
            *self.kind = DocKind::List { kind };
        } else if let Some(object) = wrapped {
            *self.kind = DocKind::Event;
            (self.take)(Read {
                doc: self.doc,
                came: Came::Event(watch_type.unwrap_or_default()),
                at: root.key("object"),
                object,
            });
        } else {
            *self.kind = DocKind::Bare;
            (self.take)(Read {
                doc: self.doc,
                came: Came::Bare,
                at: root,
                object: bare,
            });
        }
        Ok(())
    }
}

/// `items`: each element goes to `take` as it is read.
struct Items<'a, T, F> {
    doc: usize,
    at: JsonPath,
    take: &'a mut F,
    object: PhantomData<fn() -> T>,
}

impl<'de, T: Object, F: FnMut(Read<T>)> DeserializeSeed<'de> for Items<'_, T, F> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, T: Object, F: FnMut(Read<T>)> de::Visitor<'de> for Items<'_, T, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(object) = seq.next_element::<T>()? {
            (self.take)(Read {
                doc: self.doc,
                came: Came::Item(i),
                at: self.at.index(i),
                object,
            });
            i += 1;
        }
        Ok(())
    }
}
