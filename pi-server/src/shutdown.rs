//! Shutdown as a value handed to every task: the first signal asks everything to finish.
//!
//! hyper's `graceful_shutdown` only turns keep-alive off, so an endless MJPEG body would keep
//! its connection open forever: every stream body holds a [`Shutdown`] and ends itself.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// How long connections get to finish once shutdown began; the issue asks for an exit
/// within a second of the signal.
pub const GRACE: Duration = Duration::from_millis(700);

/// Fires the shutdown; dropping it fires it too, so a task that panics cannot leave the
/// others waiting.
#[derive(Debug)]
pub struct Trigger {
    tx: watch::Sender<bool>,
}

impl Trigger {
    /// Tells every [`Shutdown`] to finish.
    pub fn fire(&self) {
        self.tx.send_replace(true);
    }
}

impl Drop for Trigger {
    fn drop(&mut self) {
        self.fire();
    }
}

/// Listens for shutdown; clone it into every task.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

impl Shutdown {
    /// Whether shutdown has begun.
    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }

    /// Completes once shutdown has begun (at once if it already has).
    pub async fn wait(&mut self) {
        // An error means the trigger is gone, which also means shut down.
        let _ = self.rx.wait_for(|fired| *fired).await;
    }
}

/// A connected trigger and listener.
pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger { tx }, Shutdown { rx })
}

/// Completes on the first SIGINT or SIGTERM (Ctrl-C elsewhere). A second signal exits at
/// once with status 130, for when a graceful stop takes too long.
///
/// The handlers are installed by this call, not when the future is first polled: a signal
/// that arrives while the server is still starting must not be lost (or, where the parent
/// ignores SIGTERM, silently dropped). Must be called inside a tokio runtime.
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    let mut first = Signals::install();
    async move {
        first.recv().await;
        tracing::info!("shutting down (signal again to exit at once)");
        let mut second = Signals::install();
        tokio::spawn(async move {
            second.recv().await;
            tracing::warn!("second signal: exiting now");
            std::process::exit(130);
        });
    }
}

/// SIGINT and SIGTERM handlers, or Ctrl-C where those do not exist.
#[derive(Debug)]
struct Signals {
    #[cfg(unix)]
    handlers: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = signal(SignalKind::interrupt())
            .and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
            .ok();
        Signals { handlers }
    }

    #[cfg(not(unix))]
    fn install() -> Self {
        Signals {}
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some((int, term)) = &mut self.handlers {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        // Without signal handlers, Ctrl-C still works through tokio's portable path.
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_trigger() {
        let (trigger, shutdown) = channel();
        let mut a = shutdown.clone();
        assert!(!a.is_triggered());
        trigger.fire();
        a.wait().await;
        assert!(shutdown.is_triggered());
    }

    #[tokio::test]
    async fn dropping_the_trigger_shuts_down() {
        let (trigger, mut shutdown) = channel();
        drop(trigger);
        shutdown.wait().await;
        assert!(shutdown.is_triggered());
    }
}
