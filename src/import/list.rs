//! kubectl's `kind: List` read item by item: each item of `items` is handed to the caller
//! as soon as it is read and then dropped, so a list of a million objects never sits in
//! memory; only what the caller keeps of each does. Also the check that every item is of
//! the expected kind, which must see all of them before it can speak.

use super::json::{Found, JsonPath, Mark};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess};
use std::fmt;
use std::marker::PhantomData;

/// What a List says besides its items.
#[derive(Debug, Default)]
pub struct Head {
    /// `kind` (`List` as kubectl prints it), if given.
    pub kind: Option<String>,
    /// Whether `items` was given (and not `null`).
    pub has_items: bool,
}

/// Reads a List, calling `take(i, item)` for the `i`-th item (0-based) as it is read.
pub struct ListSeed<T, F> {
    take: F,
    item: PhantomData<fn() -> T>,
}

/// A [`ListSeed`] that hands items of type `T` to `take`.
pub fn list_seed<T: DeserializeOwned, F: FnMut(usize, T)>(take: F) -> ListSeed<T, F> {
    ListSeed {
        take,
        item: PhantomData,
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(usize, T)> DeserializeSeed<'de> for ListSeed<T, F> {
    type Value = Head;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Head, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(usize, T)> de::Visitor<'de> for ListSeed<T, F> {
    type Value = Head;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("kubectl's JSON output: an object with `kind: List` and `items`")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Head, A::Error> {
        let mut head = Head::default();
        let (mut kind_seen, mut items_seen) = (false, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "kind" if kind_seen => return Err(de::Error::duplicate_field("kind")),
                "kind" => {
                    kind_seen = true;
                    head.kind = map.next_value()?;
                }
                "items" if items_seen => return Err(de::Error::duplicate_field("items")),
                "items" => {
                    items_seen = true;
                    head.has_items = map.next_value_seed(Items {
                        take: &mut self.take,
                        item: PhantomData::<fn() -> T>,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(head)
    }
}

/// `items`: `null` (false) or a list whose elements go to `take` (true).
struct Items<'a, T, F> {
    take: &'a mut F,
    item: PhantomData<fn() -> T>,
}

impl<'de, T: DeserializeOwned, F: FnMut(usize, T)> DeserializeSeed<'de> for Items<'_, T, F> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(usize, T)> de::Visitor<'de> for Items<'_, T, F> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut i = 0;
        while let Some(item) = seq.next_element::<T>()? {
            (self.take)(i, item);
            i += 1;
        }
        Ok(true)
    }
}

/// Checks that every item of a List is a `want` (`Node`, `Pod`): a file of other objects
/// is one mistake, reported once at its first wrong item with how many more there are,
/// instead of one problem per item. Once a wrong item is seen, what was recorded for the
/// list's earlier items is taken back and later items are skipped.
pub struct KindCheck {
    want: &'static str,
    command: &'static str,
    file: usize,
    mark: Mark,
    first: Option<(usize, String)>,
    more: u64,
}

impl KindCheck {
    /// A check of the list in input `file`, which `command` prints; problems recorded in
    /// `found` from now on belong to this list.
    pub fn new(want: &'static str, command: &'static str, file: usize, found: &Found) -> Self {
        KindCheck {
            want,
            command,
            file,
            mark: found.mark(),
            first: None,
            more: 0,
        }
    }

    /// Whether item `i`, of kind `kind`, should be read: false once any item was of
    /// another kind.
    pub fn admit(&mut self, i: usize, kind: Option<&str>, found: &mut Found) -> bool {
        if let Some(k) = kind.filter(|k| *k != self.want) {
            if self.first.is_none() {
                found.rollback(self.mark);
                self.first = Some((i, k.to_string()));
            } else {
                self.more += 1;
            }
        }
        self.first.is_none()
    }

    /// Records the problem if an item was of another kind; returns whether one was.
    pub fn finish(self, found: &mut Found) -> bool {
        let Some((first, k)) = self.first else {
            return false;
        };
        let more = match self.more {
            0 => String::new(),
            n => format!(" (and {n} more items that are not a {})", self.want),
        };
        found.error(
            self.file,
            JsonPath::root().key("items").index(first).key("kind"),
            format!(
                "expected a {} ({}); found a {}{more}",
                self.want,
                self.command,
                serde_json::Value::from(k)
            ),
        );
        true
    }
}
