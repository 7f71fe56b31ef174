//! Dataset sources: rows as the Hugging Face `datasets` library yields them.
