//! Checks the layout a record batch or dictionary message declares (its
//! field nodes and buffers) against the schema, before arrow-ipc decodes it.
//!
//! arrow-ipc 60 trusts these numbers where a damaged file breaks them: a
//! buffer reaching past the message body panics in
//! `Buffer::slice_with_length`, an offsets or values buffer whose length is
//! not a whole number of its elements panics in `Buffer::typed_data` while
//! the array is validated, and union type ids and offsets are sliced and
//! reinterpreted unchecked. Everything else a damaged file can break,
//! arrow-ipc's own validation (on by default) reports as an error. So this
//! walks the columns in the order arrow-ipc's `RecordBatchDecoder` reads
//! them and checks exactly those numbers; a file written by any correct
//! writer passes, since these are rules of the Arrow format.

use std::collections::VecDeque;

use arrow_ipc::{MessageHeader, MetadataVersion};
use arrow_schema::{DataType, Schema, UnionMode};

/// Checks one message (`meta` is its flatbuffer header, `body_len` the
/// length of the body that follows). Schema and other messages pass.
pub(super) fn check_message(meta: &[u8], body_len: u64, schema: &Schema) -> Result<(), String> {
    let message = arrow_ipc::root_as_message(meta).map_err(|error| error.to_string())?;
    let version = message.version();
    match message.header_type() {
        MessageHeader::RecordBatch => {
            let batch = message
                .header_as_record_batch()
                .ok_or("a record batch message without its header")?;
            let mut walk = Walk::new(batch, body_len, version)?;
            for field in schema.fields() {
                walk.field(field.data_type())?;
            }
            Ok(())
        }
        MessageHeader::DictionaryBatch => {
            let dictionary = message
                .header_as_dictionary_batch()
                .ok_or("a dictionary message without its header")?;
            let batch = dictionary
                .data()
                .ok_or("a dictionary message without its data")?;
            // arrow-ipc finds a dictionary's value type the same way.
            #[allow(deprecated)]
            let fields = schema.fields_with_dict_id(dictionary.id());
            let Some(DataType::Dictionary(_, value_type)) =
                fields.first().map(|field| field.data_type())
            else {
                return Err(format!(
                    "dictionary {} belongs to no column",
                    dictionary.id()
                ));
            };
            Walk::new(batch, body_len, version)?.field(value_type)
        }
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy)]
struct Node {
    length: usize,
}

#[derive(Debug, Clone, Copy)]
struct BufferSpan {
    offset: usize,
    length: usize,
}

/// What one buffer must hold for arrow-ipc to read it without panicking.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// Bitmaps and byte data: any length within the body.
    Bytes,
    /// Elements of this many bytes (offsets, fixed-width values): the
    /// length must be a whole number of them.
    Elements(usize),
}

/// The nodes and buffers of one batch, consumed in arrow-ipc's order.
struct Walk {
    nodes: VecDeque<Node>,
    buffers: VecDeque<BufferSpan>,
    variadic_counts: VecDeque<i64>,
    version: MetadataVersion,
}

impl Walk {
    fn new(
        batch: arrow_ipc::RecordBatch<'_>,
        body_len: u64,
        version: MetadataVersion,
    ) -> Result<Walk, String> {
        let nodes = batch
            .nodes()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, node)| {
                let length = usize::try_from(node.length()).ok();
                let null_count = usize::try_from(node.null_count()).ok();
                match (length, null_count) {
                    (Some(length), Some(null_count)) if null_count <= length => Ok(Node { length }),
                    _ => Err(format!(
                        "column node {index} declares {} values of which {} null",
                        node.length(),
                        node.null_count()
                    )),
                }
            })
            .collect::<Result<_, _>>()?;
        let buffers = batch
            .buffers()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, buffer)| {
                let span = usize::try_from(buffer.offset())
                    .ok()
                    .zip(usize::try_from(buffer.length()).ok())
                    .filter(|(offset, length)| {
                        offset
                            .checked_add(*length)
                            .is_some_and(|end| end as u64 <= body_len)
                    });
                match span {
                    Some((offset, length)) => Ok(BufferSpan { offset, length }),
                    None => Err(format!(
                        "buffer {index} ({} bytes at {}) lies outside the message body of {body_len} bytes",
                        buffer.length(),
                        buffer.offset()
                    )),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Walk {
            nodes,
            buffers,
            variadic_counts: batch.variadicBufferCounts().into_iter().flatten().collect(),
            version,
        })
    }

    fn node(&mut self, data_type: &DataType) -> Result<Node, String> {
        self.nodes
            .pop_front()
            .ok_or_else(|| format!("no column node left for a {data_type} column"))
    }

    fn buffer(&mut self, data_type: &DataType, need: Need) -> Result<BufferSpan, String> {
        let buffer = self
            .buffers
            .pop_front()
            .ok_or_else(|| format!("no buffer left for a {data_type} column"))?;
        if let Need::Elements(width) = need {
            if !buffer.length.is_multiple_of(width) {
                return Err(format!(
                    "a buffer of a {data_type} column is {} bytes, not a whole number of {width}-byte values",
                    buffer.length
                ));
            }
        }
        Ok(buffer)
    }

    fn buffers(&mut self, data_type: &DataType, needs: &[Need]) -> Result<(), String> {
        for &need in needs {
            self.buffer(data_type, need)?;
        }
        Ok(())
    }

    /// One column and its children, as `RecordBatchDecoder::create_array`
    /// reads them.
    fn field(&mut self, data_type: &DataType) -> Result<(), String> {
        use DataType::*;
        use Need::{Bytes, Elements};
        match data_type {
            Null => {
                self.node(data_type)?;
            }
            Utf8 | Binary => {
                self.node(data_type)?;
                self.buffers(data_type, &[Bytes, Elements(4), Bytes])?;
            }
            LargeUtf8 | LargeBinary => {
                self.node(data_type)?;
                self.buffers(data_type, &[Bytes, Elements(8), Bytes])?;
            }
            Utf8View | BinaryView => {
                self.node(data_type)?;
                let data_buffers = self
                    .variadic_counts
                    .pop_front()
                    .and_then(|count| usize::try_from(count).ok())
                    .filter(|&count| count <= self.buffers.len())
                    .ok_or_else(|| format!("a {data_type} column without a valid buffer count"))?;
                self.buffers(data_type, &[Bytes, Elements(16)])?;
                for _ in 0..data_buffers {
                    self.buffer(data_type, Bytes)?;
                }
            }
            List(item) | Map(item, _) => {
                self.node(data_type)?;
                self.buffers(data_type, &[Bytes, Elements(4)])?;
                self.field(item.data_type())?;
            }
            LargeList(item) => {
                self.node(data_type)?;
                self.buffers(data_type, &[Bytes, Elements(8)])?;
                self.field(item.data_type())?;
            }
            ListView(item) => {
                self.node(data_type)?;
                self.buffers(data_type, &[Bytes, Elements(4), Elements(4)])?;
                self.field(item.data_type())?;
            }
            LargeListView(item) => {
                self.node(data_type)?;
                self.buffers(data_type, &[Bytes, Elements(8), Elements(8)])?;
                self.field(item.data_type())?;
            }
            FixedSizeList(item, _) => {
                self.node(data_type)?;
                self.buffers(data_type, &[Bytes])?;
                self.field(item.data_type())?;
            }
            Struct(fields) => {
                self.node(data_type)?;
                self.buffers(data_type, &[Bytes])?;
                for field in fields {
                    self.field(field.data_type())?;
                }
            }
            RunEndEncoded(run_ends, values) => {
                self.node(data_type)?;
                self.field(run_ends.data_type())?;
                self.field(values.data_type())?;
            }
            Dictionary(key, _) => {
                self.node(data_type)?;
                let width = key.primitive_width().map_or(Bytes, Elements);
                self.buffers(data_type, &[Bytes, width])?;
            }
            Union(fields, mode) => {
                let node = self.node(data_type)?;
                if self.version < MetadataVersion::V5 {
                    self.buffer(data_type, Bytes)?;
                }
                // Read as exactly `length` type ids (and offsets) with no
                // check of size or alignment.
                let type_ids = self.buffer(data_type, Bytes)?;
                let mut short = type_ids.length < node.length;
                if *mode == UnionMode::Dense {
                    let offsets = self.buffer(data_type, Bytes)?;
                    short |= node
                        .length
                        .checked_mul(4)
                        .is_none_or(|needed| offsets.length < needed)
                        || !offsets.offset.is_multiple_of(4);
                }
                if short {
                    return Err(format!(
                        "the type ids or offsets of a {data_type} column are too short or misplaced"
                    ));
                }
                for (_, field) in fields.iter() {
                    self.field(field.data_type())?;
                }
            }
            other => {
                self.node(data_type)?;
                let width = other.primitive_width().map_or(Bytes, Elements);
                self.buffers(data_type, &[Bytes, width])?;
            }
        }
        Ok(())
    }
}
