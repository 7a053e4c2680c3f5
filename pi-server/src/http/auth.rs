//! Who may watch: HTTP Basic credentials (`--auth`) and a token in the URL
//! (`--token-file`, for an `<img>` that a browser will not send Basic credentials for).
//!
//! Secrets are kept only as SHA-256 digests, and what a client sends is hashed the same
//! way and compared with [`subtle`], so the time a check takes depends on neither how
//! much of a guess was right nor how long the secret is. Nothing here logs a secret or a
//! guess; [`redact`] takes a token out of a path before it is logged or shown in `/stats`.

use base64::Engine as _;
use http::HeaderMap;
use http::header::AUTHORIZATION;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// The query parameter that carries the token.
pub const TOKEN_PARAM: &str = "token";

/// A secret, kept as its digest.
#[derive(Clone)]
struct Secret([u8; 32]);

impl Secret {
    fn new(value: &[u8]) -> Self {
        Secret(Sha256::digest(value).into())
    }

    /// Whether `guess` is the secret, in time independent of where they differ.
    fn matches(&self, guess: &[u8]) -> bool {
        let guess: [u8; 32] = Sha256::digest(guess).into();
        bool::from(self.0.ct_eq(&guess))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// What a request must carry to be served.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// `user:password`, for `Authorization: Basic`.
    basic: Option<Secret>,
    /// The token, for `?token=` (or `Authorization: Bearer`).
    token: Option<Secret>,
}

/// A credential setting that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccessError {
    /// `--auth` without a colon, or with an empty user or password.
    #[error("--auth must be USER:PASSWORD, both non-empty")]
    BadBasic,
    /// A token too short to resist guessing.
    #[error(
        "the token must be at least {min} characters (it has {len}); make one with: \
         head -c 24 /dev/urandom | base64 | tr '+/' '-_'"
    )]
    ShortToken {
        /// Characters in the token given.
        len: usize,
        /// Fewest accepted.
        min: usize,
    },
    /// A token with characters that do not survive in a URL unescaped.
    #[error("the token may hold only letters, digits and - _ . ~ (it goes into URLs as is)")]
    TokenCharacters,
}

impl Access {
    /// Fewest characters in a token.
    pub const MIN_TOKEN: usize = 16;

    /// Anyone may watch.
    pub fn open() -> Self {
        Access::default()
    }

    /// Access with Basic credentials `user:password` and/or a URL token.
    pub fn new(basic: Option<&str>, token: Option<&str>) -> Result<Self, AccessError> {
        let basic = match basic {
            None => None,
            Some(b) => match b.split_once(':') {
                Some((user, password)) if !user.is_empty() && !password.is_empty() => {
                    Some(Secret::new(b.as_bytes()))
                }
                _ => return Err(AccessError::BadBasic),
            },
        };
        let token = match token {
            None => None,
            Some(t) if t.chars().count() < Self::MIN_TOKEN => {
                return Err(AccessError::ShortToken {
                    len: t.chars().count(),
                    min: Self::MIN_TOKEN,
                });
            }
            Some(t)
                if !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)) =>
            {
                return Err(AccessError::TokenCharacters);
            }
            Some(t) => Some(Secret::new(t.as_bytes())),
        };
        Ok(Access { basic, token })
    }

    /// Whether every request is served without credentials.
    pub fn is_open(&self) -> bool {
        self.basic.is_none() && self.token.is_none()
    }

    /// What a client must show, as the LAN announcement says it (never the secret).
    pub fn kind(&self) -> mjpeg_wire::discovery::Auth {
        use mjpeg_wire::discovery::Auth;
        match (&self.basic, &self.token) {
            (None, None) => Auth::None,
            (Some(_), None) => Auth::Basic,
            (_, Some(_)) => Auth::Token,
        }
    }

    /// Whether Basic authentication is configured (a 401 then asks the browser for it).
    pub fn wants_basic(&self) -> bool {
        self.basic.is_some()
    }

    /// Whether a request with these headers and query may be served.
    pub fn allows(&self, headers: &HeaderMap, query: Option<&str>) -> bool {
        if self.is_open() {
            return true;
        }
        let authorization = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        if let (Some(secret), Some(value)) = (&self.basic, authorization)
            && let Some(encoded) = strip_scheme(value, "basic")
            && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim())
            && secret.matches(&decoded)
        {
            return true;
        }
        if let Some(secret) = &self.token {
            if let Some(value) = authorization
                && let Some(token) = strip_scheme(value, "bearer")
                && secret.matches(token.trim().as_bytes())
            {
                return true;
            }
            // Every token parameter is checked, so a second one cannot hide a wrong first.
            return query
                .into_iter()
                .flat_map(|q| q.split('&'))
                .filter_map(|kv| kv.split_once('='))
                .filter(|(k, _)| *k == TOKEN_PARAM)
                .any(|(_, v)| secret.matches(v.as_bytes()));
        }
        false
    }
}

/// The credentials after `scheme ` in an Authorization value (the scheme in any case).
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// `path_and_query` with every token's value replaced by `…`, for logs and `/stats`.
pub fn redact(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k == TOKEN_PARAM => format!("{k}=…"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn basic(user_password: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(user_password);
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        h
    }

    const TOKEN: &str = "k3J9-vQ_2mX8pL4s";

    #[test]
    fn open_access_allows_everything() {
        let a = Access::open();
        assert!(a.is_open());
        assert!(a.allows(&HeaderMap::new(), None));
    }

    #[test]
    fn basic_credentials_right_wrong_and_missing() {
        let a = Access::new(Some("pi:s3cret:with:colons"), None).unwrap();
        assert!(a.allows(&basic("pi:s3cret:with:colons"), None));
        assert!(!a.allows(&basic("pi:s3cret:with:colon"), None));
        assert!(!a.allows(&basic("pi:"), None));
        assert!(!a.allows(&basic("admin:s3cret:with:colons"), None));
        assert!(!a.allows(&HeaderMap::new(), None));
        // The scheme's case does not matter; garbage is simply not allowed.
        let mut h = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("pi:s3cret:with:colons");
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("bAsIc {encoded}")).unwrap(),
        );
        assert!(a.allows(&h, None));
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Basic ***not base64***"),
        );
        assert!(!a.allows(&h, None));
        // A token is no use when only Basic is set.
        assert!(!a.allows(&HeaderMap::new(), Some("token=pi:s3cret:with:colons")));
    }

    #[test]
    fn a_token_in_the_query_or_as_bearer() {
        let a = Access::new(None, Some(TOKEN)).unwrap();
        assert!(a.allows(&HeaderMap::new(), Some(&format!("token={TOKEN}"))));
        assert!(a.allows(&HeaderMap::new(), Some(&format!("fps=5&token={TOKEN}"))));
        assert!(!a.allows(&HeaderMap::new(), Some("token=k3J9-vQ_2mX8pL4")));
        assert!(!a.allows(&HeaderMap::new(), Some("token=")));
        assert!(!a.allows(&HeaderMap::new(), None));
        assert!(a.allows(
            &HeaderMap::new(),
            Some(&format!("token=wrong&token={TOKEN}"))
        ));
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {TOKEN}")).unwrap(),
        );
        assert!(a.allows(&h, None));
    }

    #[test]
    fn either_credential_is_enough_when_both_are_set() {
        let a = Access::new(Some("pi:pw"), Some(TOKEN)).unwrap();
        assert!(a.allows(&basic("pi:pw"), None));
        assert!(a.allows(&HeaderMap::new(), Some(&format!("token={TOKEN}"))));
        assert!(!a.allows(&basic("pi:no"), Some("token=no")));
    }

    #[test]
    fn unusable_settings_are_refused_with_a_reason() {
        assert_eq!(
            Access::new(Some("nocolon"), None).unwrap_err(),
            AccessError::BadBasic
        );
        assert_eq!(
            Access::new(Some(":pw"), None).unwrap_err(),
            AccessError::BadBasic
        );
        assert_eq!(
            Access::new(Some("pi:"), None).unwrap_err(),
            AccessError::BadBasic
        );
        assert!(matches!(
            Access::new(None, Some("short")),
            Err(AccessError::ShortToken { len: 5, .. })
        ));
        assert_eq!(
            Access::new(None, Some("has spaces and &s in it")).unwrap_err(),
            AccessError::TokenCharacters
        );
    }

    #[test]
    fn secrets_do_not_show_in_debug_output_or_redacted_paths() {
        let a = Access::new(Some("pi:hunter2"), Some(TOKEN)).unwrap();
        let debug = format!("{a:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains(TOKEN),
            "{debug}"
        );
        assert_eq!(
            redact(&format!("/stream.mjpg?fps=5&token={TOKEN}")),
            "/stream.mjpg?fps=5&token=…"
        );
        assert_eq!(redact("/stream.mjpg"), "/stream.mjpg");
    }
}
