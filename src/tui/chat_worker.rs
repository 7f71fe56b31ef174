//! The model worker: loads and cache scans each on a thread of their own
//! (they read files, possibly large tokenizers), renders through the model
//! on one thread where the newest request wins, as the preview's do.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};

use crate::app::chat::{ChatRequest, RenderRequest, TokenCache};
use crate::app::{Event, Notice};

use super::workers::panic_message;
use super::Incoming;

pub const CHAT_THREAD: &str = "promptstudio-chat";

pub struct ChatWorker {
    sender: Sender<Incoming>,
    render_slot: Arc<(Mutex<Option<RenderRequest>>, Condvar)>,
}

impl ChatWorker {
    pub fn start(sender: Sender<Incoming>) -> ChatWorker {
        let worker = ChatWorker {
            sender,
            render_slot: Arc::new((Mutex::new(None), Condvar::new())),
        };
        worker.spawn_render_thread();
        worker
    }

    pub fn run(&self, request: ChatRequest) {
        match request {
            ChatRequest::Render(render) => {
                let (slot, ready) = &*self.render_slot;
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(render);
                    ready.notify_one();
                }
            }
            other => {
                let sender = self.sender.clone();
                let _ = std::thread::Builder::new()
                    .name(CHAT_THREAD.into())
                    .spawn(move || perform(other, &mut TokenCache::default(), &sender));
            }
        }
    }

    fn spawn_render_thread(&self) {
        let slot = self.render_slot.clone();
        let sender = self.sender.clone();
        let spawned = std::thread::Builder::new()
            .name(CHAT_THREAD.into())
            .stack_size(crate::core::jinja::RENDER_STACK_SIZE)
            .spawn(move || {
                let mut cache = TokenCache::default();
                loop {
                    let Some(request) = super::workers::take_newest(&slot) else {
                        return;
                    };
                    if !perform(ChatRequest::Render(request), &mut cache, &sender) {
                        return;
                    }
                }
            });
        if let Err(error) = spawned {
            eprintln!("cannot start the chat template thread: {error}");
        }
    }
}

/// Performs a request and sends the answer; a panic (a bug) becomes an
/// error notice instead of a dead thread. False when the studio is gone.
fn perform(request: ChatRequest, cache: &mut TokenCache, sender: &Sender<Incoming>) -> bool {
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| request.perform(cache)));
    let event = match answer {
        Ok(answer) => Event::Chat(answer),
        Err(payload) => {
            // The cache may be half-updated; start it over.
            *cache = TokenCache::default();
            Event::Notice(Notice {
                text: format!(
                    "internal error in the chat template worker (please report it): {}",
                    panic_message(&*payload)
                ),
                is_error: true,
            })
        }
    };
    sender.send(Incoming::App(event)).is_ok()
}
