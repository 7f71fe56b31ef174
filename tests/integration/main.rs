//! The integration tests, in one binary: each file is a module, so arrow,
//! parquet and tokenizers are linked once instead of once per file.

mod corpus;
mod fake_server;
mod oracle;
mod studio_support;

mod chat_cli;
mod chat_templates;
mod check_tokens_cli;
mod cli;
mod cli_check_by_name;
mod conformance;
mod data_bad_input;
mod data_corrupt_ipc;
mod data_hub;
mod data_inspect;
mod data_parquet;
mod data_python_json;
mod data_resolve;
mod data_sources;
mod engine_differential;
mod engine_limits;
mod export_cli;
mod export_conformance;
mod export_interrupt;
mod export_safety;
mod export_shards;
mod fewshot_cli;
mod fuzz_replay;
mod hostile_probes;
mod hub_hostile;
mod model_client;
mod model_eval_cli;
mod model_metrics;
mod pty_daily;
mod pty_e2e;
mod studio_app;
mod studio_batchwide;
mod studio_chat;
mod studio_daily;
mod studio_model;
mod studio_row_count;
mod studio_screens;
mod yaml_promptsource;
mod yaml_pyyaml;
mod yaml_roundtrip;
