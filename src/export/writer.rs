//! Output files: Parquet (zstd, bounded row groups, lists as lists) and JSON
//! Lines, written under `<name>.partial` and renamed when complete, so an
//! interrupted export never leaves a half-written file under its final name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use arrow_array::builder::{
    BooleanBuilder, Float32Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    StructBuilder,
};
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::Serialize;

use super::record::{has_choices, is_correct, Example, Style, Variant};

/// The file format of the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Parquet,
    Jsonl,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Jsonl => "jsonl",
        }
    }
}

/// Largest row group a Parquet output buffers before flushing, in rows.
const MAX_ROW_GROUP_ROWS: usize = 1_000_000;
/// Smallest byte budget one output's row group gets, however many outputs
/// are open at once.
const MIN_ROW_GROUP_BYTES: usize = 1 << 20;
/// zstd's default level. Measured on the ag_news benchmark (1M rows x 7
/// templates): level 1 saves 10% of the export's CPU time but writes 6%
/// more (517 MB against 489 MB); the smaller files win at P3 scale.
const ZSTD_LEVEL: i32 = 3;

/// Everything an output's records carry besides the rendered text.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    pub style: Style,
    pub variant: Variant,
    pub format: OutputFormat,
    /// `inputs`/`targets` token id columns (style p3 with `--tokenizer`).
    pub with_tokens: bool,
    /// Style messages with `--chat-template`: a `text` field (and with
    /// `--tokenizer`, `text_tokens`).
    pub with_text: bool,
    pub template_id: String,
    pub template_name: String,
    pub dataset: String,
    pub subset: Option<String>,
    pub split: String,
}

/// One output file being written.
pub struct OutputFile {
    spec: OutputSpec,
    /// Memory a Parquet row group may take before it is flushed.
    row_group_bytes: usize,
    sink: Option<Sink>,
    partial_path: PathBuf,
    final_path: PathBuf,
    records: u64,
}

enum Sink {
    Parquet(Box<ArrowWriter<BufWriter<File>>>, SchemaRef),
    Jsonl(BufWriter<File>),
}

impl OutputFile {
    /// Creates `<final_path>.partial`. `row_group_bytes` bounds the memory a
    /// Parquet output holds before flushing a row group; callers split their
    /// memory budget across the outputs open at once.
    pub fn create(
        spec: OutputSpec,
        final_path: &Path,
        row_group_bytes: usize,
    ) -> anyhow::Result<OutputFile> {
        let mut partial_name = final_path.as_os_str().to_owned();
        partial_name.push(".partial");
        let partial_path = PathBuf::from(partial_name);
        if let Some(folder) = final_path.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create output folder {}", folder.display()))?;
        }
        let file = File::create(&partial_path)
            .with_context(|| format!("cannot create {}", partial_path.display()))?;
        let buffered = BufWriter::with_capacity(1 << 20, file);
        let sink = match spec.format {
            OutputFormat::Jsonl => Sink::Jsonl(buffered),
            OutputFormat::Parquet => {
                let schema = arrow_schema(&spec);
                let properties = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
                    .set_max_row_group_row_count(Some(MAX_ROW_GROUP_ROWS))
                    .set_created_by(format!("promptstudio {}", env!("CARGO_PKG_VERSION")))
                    .build();
                let writer = ArrowWriter::try_new(buffered, schema.clone(), Some(properties))
                    .with_context(|| format!("cannot start {}", partial_path.display()))?;
                Sink::Parquet(Box::new(writer), schema)
            }
        };
        Ok(OutputFile {
            spec,
            row_group_bytes: row_group_bytes.max(MIN_ROW_GROUP_BYTES),
            sink: Some(sink),
            partial_path,
            final_path: final_path.to_path_buf(),
            records: 0,
        })
    }

    /// Appends the records of `examples` (lists in order, as rendered), in
    /// order. Returns how many records that was (rank classification writes
    /// one per answer choice).
    pub fn write(&mut self, examples: &[Vec<Example>]) -> anyhow::Result<u64> {
        let written = match self.sink.as_mut() {
            Some(Sink::Parquet(writer, schema)) => {
                let batch = record_batch(&self.spec, schema, examples)?;
                let rows = batch.num_rows();
                if rows > 0 {
                    writer
                        .write(&batch)
                        .with_context(|| format!("cannot write {}", self.partial_path.display()))?;
                    // The writer's own byte limit counts encoded bytes, well
                    // under what its buffers hold; bound the memory itself.
                    if writer.memory_size() >= self.row_group_bytes {
                        writer.flush().with_context(|| {
                            format!("cannot write {}", self.partial_path.display())
                        })?;
                    }
                }
                rows as u64
            }
            Some(Sink::Jsonl(out)) => write_jsonl(&self.spec, out, examples)
                .with_context(|| format!("cannot write {}", self.partial_path.display()))?,
            None => anyhow::bail!("{} is already closed", self.partial_path.display()),
        };
        self.records += written;
        Ok(written)
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    /// Completes the file, makes it durable and gives it its final name.
    pub fn finish(mut self) -> anyhow::Result<PathBuf> {
        let buffered = match self.sink.take() {
            Some(Sink::Parquet(writer, _)) => writer
                .into_inner()
                .with_context(|| format!("cannot finish {}", self.partial_path.display()))?,
            Some(Sink::Jsonl(out)) => out,
            None => anyhow::bail!("{} is already closed", self.partial_path.display()),
        };
        let file = buffered
            .into_inner()
            .map_err(|error| error.into_error())
            .with_context(|| format!("cannot write {}", self.partial_path.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot sync {}", self.partial_path.display()))?;
        std::fs::rename(&self.partial_path, &self.final_path).with_context(|| {
            format!(
                "cannot rename {} to {}",
                self.partial_path.display(),
                self.final_path.display()
            )
        })?;
        Ok(self.final_path.clone())
    }
}

impl Drop for OutputFile {
    /// An output dropped before `finish` (an error, Ctrl-C) removes its
    /// partial file: it would be rewritten from scratch anyway.
    fn drop(&mut self) {
        if self.sink.take().is_some() {
            let _ = std::fs::remove_file(&self.partial_path);
        }
    }
}

/// The Arrow schema of an output. Lists are Arrow lists, so `datasets` reads
/// them back as `Sequence` features.
pub fn arrow_schema(spec: &OutputSpec) -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    let list_of = |name: &str, item: DataType| {
        Field::new(
            name,
            DataType::List(Arc::new(Field::new_list_field(item, true))),
            false,
        )
    };
    let mut fields = match spec.style {
        Style::Completion => vec![text("prompt"), text("completion")],
        Style::Messages => vec![list_of("messages", DataType::Struct(message_fields()))],
        Style::P3 => {
            let mut fields = vec![
                text("inputs_pretokenized"),
                text("targets_pretokenized"),
                Field::new(
                    "answer_choices",
                    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
                    true,
                ),
            ];
            match spec.variant {
                Variant::Plain => fields.push(Field::new("idx", DataType::Int64, false)),
                Variant::RankClassification => {
                    fields.push(list_of("idx", DataType::Int64));
                    fields.push(Field::new("is_correct", DataType::Boolean, false));
                    fields.push(Field::new("weight", DataType::Float32, false));
                }
            }
            fields.extend([
                text("template_id"),
                text("template_name"),
                text("dataset"),
                Field::new("subset", DataType::Utf8, true),
                text("split"),
            ]);
            fields
        }
    };
    if spec.with_text && spec.style == Style::Messages {
        fields.push(text("text"));
        if spec.with_tokens {
            fields.push(Field::new("text_tokens", DataType::Int64, false));
        }
    }
    if spec.with_tokens && spec.style == Style::P3 {
        fields.push(list_of("inputs", DataType::Int32));
        fields.push(list_of("targets", DataType::Int32));
    }
    Arc::new(Schema::new(fields))
}

fn message_fields() -> Fields {
    Fields::from(vec![
        Field::new("role", DataType::Utf8, true),
        Field::new("content", DataType::Utf8, true),
    ])
}

/// One record of an output, borrowed from its example.
struct RecordView<'a> {
    example: &'a Example,
    /// For rank classification: the choice index.
    choice: Option<usize>,
}

impl RecordView<'_> {
    fn target(&self) -> &str {
        match (self.choice, &self.example.answer_choices) {
            (Some(index), Some(choices)) => &choices[index],
            _ => &self.example.target,
        }
    }

    fn target_tokens(&self) -> &[u32] {
        match (&self.example.tokens, self.choice) {
            (Some(tokens), Some(index)) => tokens.choices.get(index).map_or(&[], Vec::as_slice),
            (Some(tokens), None) => &tokens.target,
            (None, _) => &[],
        }
    }

    fn input_tokens(&self) -> &[u32] {
        self.example
            .tokens
            .as_ref()
            .map_or(&[], |tokens| tokens.input.as_slice())
    }
}

fn records<'a>(spec: &OutputSpec, examples: &'a [Vec<Example>]) -> Vec<RecordView<'a>> {
    let examples = examples.iter().flatten();
    match spec.variant {
        Variant::Plain => examples
            .map(|example| RecordView {
                example,
                choice: None,
            })
            .collect(),
        Variant::RankClassification => examples
            .filter(|example| has_choices(example))
            .flat_map(|example| {
                let count = example
                    .answer_choices
                    .as_ref()
                    .map_or(0, |choices| choices.len());
                (0..count).map(move |index| RecordView {
                    example,
                    choice: Some(index),
                })
            })
            .collect(),
    }
}

fn record_batch(
    spec: &OutputSpec,
    schema: &SchemaRef,
    examples: &[Vec<Example>],
) -> anyhow::Result<RecordBatch> {
    let views = records(spec, examples);
    let constant = |value: &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(views.iter().map(|_| value)))
    };
    let mut columns: Vec<ArrayRef> = match spec.style {
        Style::Completion => vec![
            text_column(&views, |view| view.example.input.as_str()),
            text_column(&views, |view| view.target()),
        ],
        Style::Messages => {
            let fields = message_fields();
            let mut messages =
                ListBuilder::new(StructBuilder::from_fields(fields.clone(), 2)).with_field(
                    Arc::new(Field::new_list_field(DataType::Struct(fields), true)),
                );
            for view in &views {
                for (role, content) in [
                    ("user", view.example.input.as_str()),
                    ("assistant", view.target()),
                ] {
                    let message = messages.values();
                    message
                        .field_builder::<StringBuilder>(0)
                        .context("message role column")?
                        .append_value(role);
                    message
                        .field_builder::<StringBuilder>(1)
                        .context("message content column")?
                        .append_value(content);
                    message.append(true);
                }
                messages.append(true);
            }
            vec![Arc::new(messages.finish())]
        }
        Style::P3 => {
            let mut columns = vec![
                text_column(&views, |view| view.example.input.as_str()),
                text_column(&views, |view| view.target()),
            ];
            let mut choices = ListBuilder::new(StringBuilder::new());
            for view in &views {
                match &view.example.answer_choices {
                    Some(list) => {
                        for choice in list.iter() {
                            choices.values().append_value(choice);
                        }
                        choices.append(true);
                    }
                    None => choices.append(false),
                }
            }
            columns.push(Arc::new(choices.finish()));
            match spec.variant {
                Variant::Plain => {
                    let mut idx = Int64Builder::with_capacity(views.len());
                    for view in &views {
                        idx.append_value(row_number(view.example.row)?);
                    }
                    columns.push(Arc::new(idx.finish()));
                }
                Variant::RankClassification => {
                    let mut idx = ListBuilder::new(Int64Builder::new());
                    let mut correct = BooleanBuilder::with_capacity(views.len());
                    let mut weight = Float32Builder::with_capacity(views.len());
                    for view in &views {
                        let choice = view.choice.unwrap_or_default();
                        idx.values().append_value(row_number(view.example.row)?);
                        idx.values().append_value(row_number(choice)?);
                        idx.append(true);
                        correct.append_value(is_correct(view.target(), &view.example.target));
                        weight.append_value(1.0);
                    }
                    columns.push(Arc::new(idx.finish()));
                    columns.push(Arc::new(correct.finish()));
                    columns.push(Arc::new(weight.finish()));
                }
            }
            columns.extend([
                constant(&spec.template_id),
                constant(&spec.template_name),
                constant(&spec.dataset),
            ]);
            columns.push(Arc::new(StringArray::from_iter(
                views.iter().map(|_| spec.subset.as_deref()),
            )));
            columns.push(constant(&spec.split));
            columns
        }
    };
    if spec.with_text && spec.style == Style::Messages {
        columns.push(text_column(&views, |view| {
            view.example.text.as_deref().unwrap_or_default()
        }));
        if spec.with_tokens {
            let mut counts = Int64Builder::with_capacity(views.len());
            for view in &views {
                counts.append_value(row_number(view.example.text_tokens.unwrap_or_default())?);
            }
            columns.push(Arc::new(counts.finish()));
        }
    }
    if spec.with_tokens && spec.style == Style::P3 {
        columns.push(token_lists(&views, |view| view.input_tokens())?);
        columns.push(token_lists(&views, |view| view.target_tokens())?);
    }
    RecordBatch::try_new(schema.clone(), columns).context("building a record batch")
}

fn text_column<'v>(
    views: &'v [RecordView<'v>],
    pick: impl Fn(&'v RecordView<'v>) -> &'v str,
) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(views.iter().map(pick)))
}

fn token_lists<'v>(
    views: &'v [RecordView<'v>],
    pick: impl Fn(&'v RecordView<'v>) -> &'v [u32],
) -> anyhow::Result<ArrayRef> {
    let mut lists = ListBuilder::new(Int32Builder::new());
    for view in views {
        for &id in pick(view) {
            let id =
                i32::try_from(id).with_context(|| format!("token id {id} does not fit int32"))?;
            lists.values().append_value(id);
        }
        lists.append(true);
    }
    Ok(Arc::new(lists.finish()))
}

fn row_number(row: usize) -> anyhow::Result<i64> {
    i64::try_from(row).with_context(|| format!("row index {row} does not fit int64"))
}

#[derive(Serialize)]
struct P3Json<'a> {
    inputs_pretokenized: &'a str,
    targets_pretokenized: &'a str,
    answer_choices: Option<&'a [String]>,
    idx: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_correct: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<f32>,
    template_id: &'a str,
    template_name: &'a str,
    dataset: &'a str,
    subset: Option<&'a str>,
    split: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    inputs: Option<&'a [u32]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<&'a [u32]>,
}

#[derive(Serialize)]
struct CompletionJson<'a> {
    prompt: &'a str,
    completion: &'a str,
}

#[derive(Serialize)]
struct MessageJson<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct MessagesJson<'a> {
    messages: [MessageJson<'a>; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text_tokens: Option<usize>,
}

fn write_jsonl(
    spec: &OutputSpec,
    out: &mut BufWriter<File>,
    examples: &[Vec<Example>],
) -> anyhow::Result<u64> {
    let views = records(spec, examples);
    for view in &views {
        match spec.style {
            Style::Completion => serde_json::to_writer(
                &mut *out,
                &CompletionJson {
                    prompt: &view.example.input,
                    completion: view.target(),
                },
            )?,
            Style::Messages => serde_json::to_writer(
                &mut *out,
                &MessagesJson {
                    messages: [
                        MessageJson {
                            role: "user",
                            content: &view.example.input,
                        },
                        MessageJson {
                            role: "assistant",
                            content: view.target(),
                        },
                    ],
                    text: view.example.text.as_deref().filter(|_| spec.with_text),
                    text_tokens: view.example.text_tokens.filter(|_| spec.with_text),
                },
            )?,
            Style::P3 => {
                let rank = view.choice.is_some();
                let idx = match view.choice {
                    Some(choice) => serde_json::json!([view.example.row, choice]),
                    None => serde_json::json!(view.example.row),
                };
                let tokens = spec.with_tokens;
                serde_json::to_writer(
                    &mut *out,
                    &P3Json {
                        inputs_pretokenized: &view.example.input,
                        targets_pretokenized: view.target(),
                        answer_choices: view.example.answer_choices.as_deref(),
                        idx,
                        is_correct: rank.then(|| is_correct(view.target(), &view.example.target)),
                        weight: rank.then_some(1.0),
                        template_id: &spec.template_id,
                        template_name: &spec.template_name,
                        dataset: &spec.dataset,
                        subset: spec.subset.as_deref(),
                        split: &spec.split,
                        inputs: tokens.then(|| view.input_tokens()),
                        targets: tokens.then(|| view.target_tokens()),
                    },
                )?
            }
        }
        out.write_all(b"\n")?;
    }
    Ok(views.len() as u64)
}
