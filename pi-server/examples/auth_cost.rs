//! Runs one credential check 100,000 times, for counting its instructions under callgrind:
//! `valgrind --tool=callgrind target/release/examples/auth_cost basic-wrong-first`.
//! Instruction counts, unlike times, repeat exactly on a noisy machine, so equal counts
//! for guesses wrong in their first and in their last character show the check does
//! not stop at the first difference. Used for docs/reliability.md.

// An example that cannot run has nothing to measure: failing loudly is right here.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use base64::Engine as _;
use http::HeaderMap;
use http::header::{AUTHORIZATION, HeaderValue};
use pi_server::http::auth::Access;

const PASSWORD: &str = "pi:correct-horse-battery-staple";
const TOKEN: &str = "Zx81-spectrum_QL.2068-amstrad.cpc";

fn main() {
    let case = std::env::args().nth(1).unwrap_or_default();
    let access = Access::new(Some(PASSWORD), Some(TOKEN)).unwrap();
    let basic = |guess: &str| {
        let mut h = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(guess);
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        (h, None)
    };
    let token = |guess: &str| (HeaderMap::new(), Some(format!("token={guess}")));
    let (headers, query) = match case.as_str() {
        "basic-right" => basic(PASSWORD),
        "basic-wrong-first" => basic(&PASSWORD.replacen("correct", "Xorrect", 1)),
        "basic-wrong-last" => basic(&format!("{}X", &PASSWORD[..PASSWORD.len() - 1])),
        "token-right" => token(TOKEN),
        "token-wrong-first" => token(&format!("X{}", &TOKEN[1..])),
        "token-wrong-last" => token(&format!("{}X", &TOKEN[..TOKEN.len() - 1])),
        other => panic!("unknown case {other:?}"),
    };
    let mut allowed = 0u32;
    for _ in 0..100_000 {
        allowed += u32::from(access.allows(black_box(&headers), black_box(query.as_deref())));
    }
    println!("{case}: allowed {allowed} of 100000");
}
