//! The flat read: what the owned read does (the proptests of `message::tests` compare the two
//! on random and damaged records), plus what only a shape from untrusted memory can do.

use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::message::{Message, decode, to_vec};
use crate::{Record, Value};

const LIMITS: Limits = Limits {
    max_bytes: 1024,
    ..Limits::DEFAULT
};

#[derive(Clone, Debug, Default, PartialEq, crate::message::Message)]
struct Blob {
    #[message(bytes)]
    blob: Vec<u8>,
    #[message(default)]
    count: u16,
    maybe: Option<Option<i8>>,
}

fn bytes_of(record: &Record) -> Vec<u8> {
    record.encode(&LIMITS).unwrap()
}

proptest! {
    /// A `Vec<u8>` that serde wrote without `as_bytes` is a list of integers: each read back
    /// as the byte it is, from a one- or two-byte varint, signed or not.
    #[test]
    fn a_list_of_integers_is_read_as_bytes(
        items in prop::collection::vec((any::<u8>(), any::<bool>()), 0..20),
        count in proptest::option::of(any::<u16>()),
    ) {
        let list = items
            .iter()
            .map(|&(b, signed)| if signed { Value::I64(b.into()) } else { Value::U64(b.into()) })
            .collect();
        let mut record = Record::new().with("blob", Value::List(list));
        if let Some(count) = count {
            record = record.with("count", count);
        }
        let bytes = bytes_of(&record);
        let flat = decode_flat::<Blob>(&bytes, &LIMITS);
        prop_assert_eq!(&flat, &decode::<Blob>(&bytes, &LIMITS));
        let flat = flat.unwrap();
        prop_assert_eq!(flat.blob, items.iter().map(|(b, _)| *b).collect::<Vec<_>>());
        prop_assert_eq!(flat.count, count.unwrap_or_default());
        prop_assert_eq!(flat.maybe, None);
    }
}

#[test]
fn nested_options_and_defaults_read_as_the_owned_read_does() {
    for record in [
        Record::new().with("blob", Value::Bytes(vec![1, 2])),
        Record::new()
            .with("blob", Value::Bytes(vec![]))
            .with("maybe", Value::Unit),
        Record::new()
            .with("maybe", Value::I64(-3))
            .with("blob", Value::Bytes(vec![9])),
        Record::new()
            .with("blob", Value::Bytes(vec![]))
            .with("count", 7u16)
            .with("count", 8u16),
        Record::new().with("count", 7u16),
        Record::new()
            .with("blob", Value::Bytes(vec![]))
            .with("maybe", Value::I64(300)),
    ] {
        let bytes = bytes_of(&record);
        assert_eq!(
            decode_flat::<Blob>(&bytes, &LIMITS),
            decode::<Blob>(&bytes, &LIMITS),
            "{record:?}"
        );
    }
    let value = Blob {
        blob: vec![1, 2, 3],
        count: 9,
        maybe: Some(Some(-1)),
    };
    let bytes = to_vec(&value, &LIMITS).unwrap();
    assert_eq!(decode_flat::<Blob>(&bytes, &LIMITS), Some(value));
}

/// A field of a [`Table`]'s shape: key, type index, offset.
type TableField = (&'static [u8], usize, u32);

/// Shapes given as tables, as a module's memory may hold anything.
struct Table {
    types: Vec<TypeInfo<usize, usize>>,
    shapes: Vec<(ShapeInfo, Vec<TableField>)>,
}

impl Schema for Table {
    type Ty = usize;
    type Sh = usize;

    fn ty(&self, ty: usize) -> Option<TypeInfo<usize, usize>> {
        self.types.get(ty).copied()
    }

    fn shape(&self, shape: usize) -> Option<ShapeInfo> {
        self.shapes.get(shape).map(|s| s.0)
    }

    fn field(&self, shape: usize, index: usize) -> Option<FieldInfo<'_, usize>> {
        let &(key, ty, offset) = self.shapes.get(shape)?.1.get(index)?;
        Some(FieldInfo {
            key,
            ty,
            offset,
            default: false,
        })
    }
}

fn ty(kind: u32, size: u32, inner: Option<usize>, shape: Option<usize>) -> TypeInfo<usize, usize> {
    TypeInfo {
        kind,
        size,
        len: 0,
        inner,
        shape,
    }
}

#[test]
fn a_shape_from_untrusted_memory_is_refused_never_followed_or_trusted() {
    let one = bytes_of(&Record::new().with("a", 5u8));
    let mut out = [0u8; 16];
    let shape = |fields: Vec<TableField>| {
        (
            ShapeInfo {
                count: fields.len() as u32,
                flags: 0,
            },
            fields,
        )
    };
    // An option of itself: cut short, no endless descent.
    let cycle = Table {
        types: vec![ty(kind::OPTION, 1, Some(0), None)],
        shapes: vec![shape(vec![(b"a", 0, 0)])],
    };
    assert!(!read(&cycle, 0, &one, &LIMITS, &mut out));
    // A record of itself: the depth limit stops it.
    let deep = bytes_of(&Record::new().with(
        "a",
        Value::Record(Record::new().with("a", Value::Record(Record::new()))),
    ));
    let nest = Table {
        types: vec![ty(kind::RECORD, 0, None, Some(0))],
        shapes: vec![shape(vec![(b"a", 0, 0)])],
    };
    assert!(
        !read(&nest, 0, &deep, &LIMITS, &mut out),
        "a required field is missing"
    );
    // Offsets past the block, an unknown kind, a dangling type, more than 64 fields.
    for table in [
        Table {
            types: vec![ty(kind::U8, 8, None, None)],
            shapes: vec![shape(vec![(b"a", 0, 12)])],
        },
        Table {
            types: vec![ty(99, 8, None, None)],
            shapes: vec![shape(vec![(b"a", 0, 0)])],
        },
        Table {
            types: vec![],
            shapes: vec![shape(vec![(b"a", 3, 0)])],
        },
        Table {
            types: vec![ty(kind::U8, 8, None, None)],
            shapes: vec![shape(vec![(b"a", 0, 0); 65])],
        },
        Table {
            types: vec![ty(kind::ARRAY, 8, None, None)],
            shapes: vec![shape(vec![(b"a", 0, 0)])],
        },
    ] {
        assert!(!read(&table, 0, &one, &LIMITS, &mut out));
    }
    let good = Table {
        types: vec![ty(kind::U8, 8, None, None)],
        shapes: vec![shape(vec![(b"a", 0, 8)])],
    };
    assert!(read(&good, 0, &one, &LIMITS, &mut out));
    assert_eq!(out[8], 5);
}

#[test]
fn the_layout_is_the_one_a_32_bit_module_has() {
    // What the hypervisor reads in a module's memory (asserted at compile time on 32-bit
    // targets); here the sizes the derive computes.
    #[derive(crate::message::Message)]
    struct Three {
        a: u8,
        b: f32,
        #[message(default)]
        c: Option<bool>,
    }
    assert_eq!(Three::SHAPE.size(), 8 + 4 + 1 + 2);
    assert_eq!(<Option<[f32; 3]> as crate::message::Field>::TYPE.size(), 13);
    let _ = Three {
        a: 0,
        b: 0.0,
        c: None,
    };
}
