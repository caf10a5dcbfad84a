//! Reading back what [`super::csv_files`] writes: a record deserialized by header name into
//! a read-side row struct (serde `Deserialize`), one struct per way a file is read.
//!
//! A row struct's fields are the columns it reads, in the order they are checked. The header
//! is searched for them once ([`Columns::of`]: the first one missing is the error), then
//! each record is read by index ([`Columns::read`]); other columns are never looked at.
//! Cells are text: `&str` and `String` fields take it as it is (an error if it is not
//! UTF-8), `Option` fields are `None` when the cell is empty, and any other field reads the
//! text with a `deserialize_with` function whose message is kept as written. An error names
//! the column it came from ([`CellError`]), so each reader words its messages its own way.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// Why a cell could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellError {
    /// The column of the cell (empty when the error came from no cell).
    pub column: &'static str,
    /// What is wrong with it, as the field type says (`"x" is not a number`).
    pub message: String,
}

impl de::Error for CellError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CellError {
            column: "",
            message: msg.to_string(),
        }
    }
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for CellError {}

/// Where one row struct's columns are in one file's header.
#[derive(Clone, Debug)]
pub struct Columns {
    fields: &'static [&'static str],
    index: Vec<usize>,
}

impl Columns {
    /// The columns of row struct `T` in `header` (the first column named so); the first
    /// field of `T` that no column names is the error.
    pub fn of<'de, T: Deserialize<'de>>(
        header: &csv::StringRecord,
    ) -> Result<Columns, &'static str> {
        let fields = fields_of::<T>();
        let mut index = Vec::with_capacity(fields.len());
        for &f in fields {
            index.push(header.iter().position(|h| h == f).ok_or(f)?);
        }
        Ok(Columns { fields, index })
    }

    /// Reads `record` as a `T`, the row struct these columns were found for.
    pub fn read<'r, T: Deserialize<'r>>(
        &self,
        record: &'r csv::ByteRecord,
    ) -> Result<T, CellError> {
        T::deserialize(Record {
            cols: self,
            record,
            at: 0,
        })
    }
}

/// The field names of row struct `T`, in declaration order (as serde names them, renames
/// applied): the columns it reads. Empty for a type that is not a struct.
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // The struct hands its field list to the deserializer, which stops there.
    let _ = T::deserialize(FieldsOf(&mut fields));
    fields
}

/// A deserializer that only takes note of a struct's fields.
struct FieldsOf<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldsOf<'_> {
    type Error = CellError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, CellError> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, CellError> {
        *self.0 = fields;
        Err(de::Error::custom("fields noted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// One record, seen as a map from the row struct's fields to their cells.
struct Record<'c, 'r> {
    cols: &'c Columns,
    record: &'r csv::ByteRecord,
    at: usize,
}

impl<'r> Deserializer<'r> for Record<'_, 'r> {
    type Error = CellError;

    fn deserialize_any<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, CellError> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'r>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'r> MapAccess<'r> for Record<'_, 'r> {
    type Error = CellError;

    fn next_key_seed<K: DeserializeSeed<'r>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, CellError> {
        match self.cols.fields.get(self.at) {
            Some(&name) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'r>>(&mut self, seed: V) -> Result<V::Value, CellError> {
        let column = self.cols.fields[self.at];
        let cell = self.record.get(self.cols.index[self.at]).unwrap_or(b"");
        self.at += 1;
        seed.deserialize(Cell(cell)).map_err(|mut e| {
            if e.column.is_empty() {
                e.column = column;
            }
            e
        })
    }
}

/// One cell's bytes.
struct Cell<'r>(&'r [u8]);

impl<'r> Deserializer<'r> for Cell<'r> {
    type Error = CellError;

    fn deserialize_any<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, CellError> {
        match std::str::from_utf8(self.0) {
            Ok(text) => visitor.visit_borrowed_str(text),
            Err(_) => Err(de::Error::custom("not valid UTF-8")),
        }
    }

    fn deserialize_option<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, CellError> {
        if self.0.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_ignored_any<V: Visitor<'r>>(self, visitor: V) -> Result<V::Value, CellError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'r>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = <&str>::deserialize(d)?;
        text.parse()
            .map_err(|_| de::Error::custom(format!("{text:?} is not a whole number")))
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Row<'a> {
        name: &'a str,
        #[serde(rename = "count_n", deserialize_with = "whole")]
        count: u64,
        note: Option<String>,
    }

    fn record(cells: &[&[u8]]) -> csv::ByteRecord {
        csv::ByteRecord::from(cells.to_vec())
    }

    #[test]
    fn rows_are_read_by_header_name_and_errors_name_the_column() {
        assert_eq!(fields_of::<Row<'_>>(), ["name", "count_n", "note"]);
        let header = csv::StringRecord::from(vec!["extra", "note", "count_n", "name", "name"]);
        let cols = Columns::of::<Row<'_>>(&header).unwrap();
        let r = record(&[b"\xff", b"", b"12", b"a", b"b"]);
        let row: Row<'_> = cols.read(&r).unwrap();
        assert_eq!(
            row,
            Row {
                name: "a",
                count: 12,
                note: None
            }
        );
        let r = record(&[b"", b"hi", b"x", b"a", b""]);
        let e = cols.read::<Row<'_>>(&r).unwrap_err();
        assert_eq!(e.to_string(), "column count_n: \"x\" is not a whole number");
        let r = record(&[b"", b"\xff", b"1", b"a", b""]);
        let e = cols.read::<Row<'_>>(&r).unwrap_err();
        assert_eq!(e.to_string(), "column note: not valid UTF-8");
        let short = csv::StringRecord::from(vec!["name", "note"]);
        assert_eq!(Columns::of::<Row<'_>>(&short).unwrap_err(), "count_n");
    }
}
