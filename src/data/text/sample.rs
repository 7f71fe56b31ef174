//! The sample of the first records from which a file's columns are typed,
//! the same for JSON Lines and CSV.

use crate::data::error::DataError;
use crate::data::text::records::{Record, RecordReader};

/// Records sampled to infer the columns.
pub(super) const SAMPLE_RECORDS: usize = 1000;
/// Bytes sampled to infer the columns (after at least one record).
const SAMPLE_BYTES: u64 = 16 << 20;

/// What a format made of one sampled record.
pub(super) enum Observed {
    /// The record counted towards the sample.
    Kept,
    /// The sample ends here, without a warning (the row reports it when read).
    Stop,
}

/// Feeds the first records (up to [`SAMPLE_RECORDS`], or 16 MB after the
/// first) to `observe`; the warnings to attach to the schema. The rows
/// before a bad record stay readable and reading the bad one reports it, so
/// a bad record ends the sample with a warning; only a bad first record is
/// an error.
pub(super) fn sample_records(
    reader: &mut RecordReader,
    mut observe: impl FnMut(&Record) -> Result<Observed, DataError>,
) -> Result<Vec<String>, DataError> {
    let start_offset = reader.offset;
    let mut warnings = Vec::new();
    let mut sampled = 0;
    while sampled < SAMPLE_RECORDS && (sampled == 0 || reader.offset - start_offset < SAMPLE_BYTES)
    {
        let observed = match reader.next_record() {
            Ok(Some(record)) => observe(&record),
            Ok(None) => break,
            Err(error) => Err(error),
        };
        match observed {
            Ok(Observed::Kept) => sampled += 1,
            Ok(Observed::Stop) => break,
            Err(error) if sampled > 0 => {
                warnings.push(error.to_string());
                break;
            }
            Err(error) => return Err(error),
        }
    }
    Ok(warnings)
}
