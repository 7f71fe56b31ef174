//! Where chat templates come from: files, model folders, the Hugging Face cache.
