//! Whether a credential check takes the same time however much of a guess is right.
//!
//! `cargo bench -p pi-server --bench auth`. Basic credentials of the same length that are
//! right, wrong in their first character and wrong in their last, plus a much shorter
//! guess; and the same for a `?token=`. With the check comparing SHA-256 digests in
//! constant time, the wrong-first and wrong-last cases cost the same (within the noise),
//! and the right one costs the same too. Figures are in docs/reliability.md.

// A benchmark that cannot run has nothing to measure: failing loudly is right here.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use http::header::{AUTHORIZATION, HeaderValue};
use pi_server::http::auth::Access;

const PASSWORD: &str = "pi:correct-horse-battery-staple";
const TOKEN: &str = "Zx81-spectrum_QL.2068-amstrad.cpc";

fn basic(user_password: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    let encoded = base64::engine::general_purpose::STANDARD.encode(user_password);
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
    );
    h
}

fn checks(c: &mut Criterion) {
    let access = Access::new(Some(PASSWORD), Some(TOKEN)).unwrap();
    let mut group = c.benchmark_group("basic");
    for (name, guess) in [
        ("right", PASSWORD.to_string()),
        (
            "wrong_first_char",
            PASSWORD.replacen("correct", "Xorrect", 1),
        ),
        (
            "wrong_last_char",
            format!("{}X", &PASSWORD[..PASSWORD.len() - 1]),
        ),
        ("short", "pi:x".to_string()),
    ] {
        let headers = basic(&guess);
        assert_eq!(access.allows(&headers, None), name == "right");
        group.bench_function(name, |b| {
            b.iter(|| access.allows(black_box(&headers), None))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("token");
    let none = HeaderMap::new();
    for (name, guess) in [
        ("right", TOKEN.to_string()),
        ("wrong_first_char", format!("X{}", &TOKEN[1..])),
        ("wrong_last_char", format!("{}X", &TOKEN[..TOKEN.len() - 1])),
        ("short", "Zx81".to_string()),
    ] {
        let query = format!("fps=5&token={guess}");
        assert_eq!(access.allows(&none, Some(&query)), name == "right");
        group.bench_function(name, |b| {
            b.iter(|| access.allows(black_box(&none), Some(black_box(&query))))
        });
    }
    group.finish();
}

criterion_group!(benches, checks);
criterion_main!(benches);
