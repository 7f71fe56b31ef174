//! Talking to model servers: the OpenAI-compatible HTTP API that vLLM,
//! SGLang, TGI, llama.cpp, Ollama and OpenAI speak.
//!
//! - [`config`]: where the server is (`[model]` tables, flags, environment).
//! - [`client`]: requests with retries and timeouts, server-sent events ([`sse`]).
//! - [`score`]: rank classification's requests and log-likelihoods.
//! - [`job`]: a render sorted into a job to send or a skipped row.
//! - [`run`]: a cancellable, concurrent evaluation of rendered rows, results
//!   reported row by row through a callback (the `eval` command and the studio).
//! - [`cache`]: responses kept in SQLite, so a rerun sends no request.
//! - [`metrics`], [`rouge`], [`bleu`], [`summary`]: the numbers, as
//!   lm-evaluation-harness, SQuAD, `rouge_score` and `sacrebleu` compute them.
//!
//! Built on `core` only: no terminal types, no rendering. Callers render
//! rows (with the one apply function) into [`run::Job`]s.

pub mod bleu;
pub mod cache;
pub mod client;
pub mod config;
pub mod job;
pub mod metrics;
pub mod rouge;
pub mod run;
pub mod score;
pub mod sse;
pub mod summary;
