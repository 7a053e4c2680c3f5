//! What the HTTP side is asked for: access, limits and timeouts.

use std::sync::Arc;
use std::time::Duration;

use super::auth::Access;

/// The HTTP server's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Most simultaneous stream clients; more get 503.
    pub max_clients: usize,
    /// Most open connections of any kind (idle, streaming, anything); more get 503 at once.
    pub max_connections: usize,
    /// A connection that has not sent a whole request head this long after it opened (or
    /// after its previous response) is closed.
    pub header_timeout: Duration,
    /// A client whose socket accepts nothing for this long is dropped (a stream client, or
    /// any response that cannot be written).
    pub client_timeout: Duration,
    /// Who may watch: credentials or a token, or anyone.
    pub access: Access,
    /// HTTPS (`--tls-cert`, `--tls-key`), if on.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Value of `Access-Control-Allow-Origin` on every response, if any.
    pub allow_origin: Option<String>,
    /// Let anyone change the controls when no credentials are configured
    /// (`--open-controls`, for a trusted network); otherwise such writes get 403.
    pub open_controls: bool,
    /// How long `/snapshot.jpg` waits for a frame before answering 503.
    pub snapshot_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_clients: 1000,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            client_timeout: Duration::from_secs(10),
            access: Access::open(),
            tls: None,
            allow_origin: None,
            open_controls: false,
            snapshot_timeout: Duration::from_secs(3),
        }
    }
}
