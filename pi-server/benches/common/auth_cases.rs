//! The credential checks that `benches/auth.rs` times and `examples/auth_cost.rs` counts
//! instructions of: the same guesses for both, so that the two measurements agree on what
//! they measure.

use base64::Engine as _;
use http::HeaderMap;
use http::header::{AUTHORIZATION, HeaderValue};
use pi_server::http::auth::Access;

const PASSWORD: &str = "pi:correct-horse-battery-staple";
const TOKEN: &str = "Zx81-spectrum_QL.2068-amstrad.cpc";

/// One request's credentials: a name (`basic/wrong_last_char`), its headers and query.
pub struct Case {
    pub name: String,
    pub headers: HeaderMap,
    pub query: Option<String>,
    /// Whether the check lets it through.
    pub right: bool,
}

/// `--auth` and `--token-file` both set, as the cases expect.
pub fn access() -> Access {
    Access::new(Some(PASSWORD), Some(TOKEN)).expect("valid test credentials")
}

/// Guesses of the secret's length that are right, wrong in the first character and wrong in
/// the last, and a much shorter one; for Basic and for the token.
pub fn cases() -> Vec<Case> {
    let variants = |secret: &str, first: String, short: &str| {
        [
            ("right", secret.to_string()),
            ("wrong_first_char", first),
            (
                "wrong_last_char",
                format!("{}X", &secret[..secret.len() - 1]),
            ),
            ("short", short.to_string()),
        ]
    };
    let basic = variants(PASSWORD, PASSWORD.replacen("correct", "Xorrect", 1), "pi:x")
        .into_iter()
        .map(|(name, guess)| {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&guess);
            let mut headers = HeaderMap::new();
            headers.insert(
                AUTHORIZATION,
                HeaderValue::from_str(&format!("Basic {encoded}"))
                    .expect("base64 is a header value"),
            );
            Case {
                name: format!("basic/{name}"),
                headers,
                query: None,
                right: name == "right",
            }
        });
    let token = variants(TOKEN, format!("X{}", &TOKEN[1..]), "Zx81")
        .into_iter()
        .map(|(name, guess)| Case {
            name: format!("token/{name}"),
            headers: HeaderMap::new(),
            query: Some(format!("fps=5&token={guess}")),
            right: name == "right",
        });
    basic.chain(token).collect()
}
