//! The camera's live controls for the window's side panel (C): a worker thread talks to the
//! server's `/api/controls` ([`crate::net::controls`]) so the UI never waits on the
//! network; the panel draws a [`ControlsView`] and asks through [`Controls`]' methods.
//!
//! Changes asked for while one is on its way are merged and sent together when it is
//! back, so dragging a slider sends a handful of requests, not one per pixel, and the
//! last value always wins.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use mjpeg_wire::controls::Control;
use reqwest::Url;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::net::controls::{self as api, ControlsError};
use crate::net::{self, Credentials};
use crate::pipeline::Wake;
use crate::slot::lock;

/// Where the panel stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Status {
    /// No camera asked for yet.
    #[default]
    Idle,
    /// Reading the controls.
    Loading,
    /// The controls shown are the server's.
    Ready,
    /// A change is on its way.
    Sending,
    /// The last request failed; why, in words.
    Failed(String),
}

/// What the panel draws: a copy, so drawing never holds the worker's lock.
#[derive(Debug, Clone, Default)]
pub struct ControlsView {
    /// The API's URL (the camera's server), without its password.
    pub api: Option<Url>,
    /// The controls as the server last gave them.
    pub controls: Vec<Control>,
    /// Where things stand.
    pub status: Status,
    /// Counts the server's answers: a new one replaces values the panel shows as typed.
    pub answers: u64,
}

enum Command {
    Watch {
        api: Url,
        credentials: Option<Credentials>,
    },
    Set(Map<String, Value>),
}

/// The worker and its latest view; dropping it stops the worker.
pub struct Controls {
    view: Arc<Mutex<ControlsView>>,
    /// The API last asked for, so that a window asking every frame sends one request.
    watching: Mutex<Option<Url>>,
    commands: Option<mpsc::UnboundedSender<Command>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Controls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controls")
            .field("view", &self.view())
            .finish_non_exhaustive()
    }
}

impl Controls {
    /// Starts the worker; `wake` is called when there is news to draw.
    pub fn start(wake: Wake) -> std::io::Result<Self> {
        let view = Arc::new(Mutex::new(ControlsView::default()));
        let (tx, rx) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let worker_view = view.clone();
        let thread = std::thread::Builder::new()
            .name("viewer-controls".into())
            .spawn(move || {
                runtime.block_on(work(rx, &worker_view, &wake));
                runtime.shutdown_background();
            })?;
        Ok(Controls {
            view,
            watching: Mutex::new(None),
            commands: Some(tx),
            thread: Some(thread),
        })
    }

    /// The latest view.
    pub fn view(&self) -> ControlsView {
        lock(&self.view).clone()
    }

    /// Reads the controls of the server streaming `stream`, unless they are the ones shown.
    pub fn watch(&self, stream: &Url, credentials: Option<Credentials>) {
        let url = api::api_url(stream);
        {
            let mut watching = lock(&self.watching);
            if watching.as_ref() == Some(&url) {
                return;
            }
            *watching = Some(url.clone());
        }
        self.send(Command::Watch {
            api: url,
            credentials,
        });
    }

    /// Sets `name` to `value` (`Value::Null` resets it to its default).
    pub fn set(&self, name: &str, value: Value) {
        let mut change = Map::new();
        change.insert(name.to_string(), value);
        self.send(Command::Set(change));
    }

    fn send(&self, command: Command) {
        // The worker only ends when this is dropped; a send cannot fail before.
        if let Some(tx) = &self.commands {
            let _ = tx.send(command);
        }
    }
}

impl Drop for Controls {
    fn drop(&mut self) {
        // Closing the channel ends the worker's loop (a request in flight times out within
        // seconds at worst).
        self.commands = None;
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("the controls thread panicked");
        }
    }
}

/// The worker: one request at a time; changes that queue up meanwhile go as one.
async fn work(
    mut commands: mpsc::UnboundedReceiver<Command>,
    view: &Mutex<ControlsView>,
    wake: &Wake,
) {
    let client = match reqwest::Client::builder().build() {
        Ok(c) => c,
        Err(e) => {
            lock(view).status = Status::Failed(format!("cannot start an HTTP client: {e}"));
            wake();
            return;
        }
    };
    let mut target: Option<(Url, Option<Credentials>)> = None;
    let mut next = commands.recv().await;
    while let Some(command) = next.take() {
        match command {
            Command::Watch { api, credentials } => {
                {
                    let mut v = lock(view);
                    *v = ControlsView {
                        api: Some(net::redacted(&api)),
                        status: Status::Loading,
                        answers: v.answers,
                        ..ControlsView::default()
                    };
                }
                wake();
                let answer = api::list(&client, &api, credentials.as_ref()).await;
                target = Some((api, credentials));
                settle(view, answer);
                wake();
            }
            Command::Set(mut changes) => {
                // Merge what queued up behind this one; a Watch ends the merge (it is done
                // next, after these changes went to the camera they were made for).
                while let Ok(more) = commands.try_recv() {
                    match more {
                        Command::Set(m) => changes.extend(m),
                        watch @ Command::Watch { .. } => {
                            next = Some(watch);
                            break;
                        }
                    }
                }
                if let Some((api, credentials)) = &target {
                    lock(view).status = Status::Sending;
                    wake();
                    let answer = api::change(&client, api, credentials.as_ref(), changes).await;
                    let refused = answer.is_err();
                    settle(view, answer);
                    if refused {
                        // Show the values in force, not the ones that were refused.
                        if let Ok(controls) = api::list(&client, api, credentials.as_ref()).await {
                            let mut v = lock(view);
                            v.controls = controls;
                            v.answers += 1;
                        }
                    }
                    wake();
                }
            }
        }
        if next.is_none() {
            next = commands.recv().await;
        }
    }
}

/// Puts a server's answer into the view.
fn settle(view: &Mutex<ControlsView>, answer: Result<Vec<Control>, ControlsError>) {
    let mut v = lock(view);
    v.answers += 1;
    match answer {
        Ok(controls) => {
            v.controls = controls;
            v.status = Status::Ready;
        }
        Err(e) => v.status = Status::Failed(e.to_string()),
    }
}
