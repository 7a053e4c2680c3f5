//! Whether a credential check takes the same time however much of a guess is right.
//!
//! `cargo bench -p pi-server --bench auth`. Basic credentials of the same length that are
//! right, wrong in their first character and wrong in their last, plus a much shorter
//! guess; and the same for a `?token=` (the cases are in `common/auth_cases.rs`, shared with
//! the callgrind example). With the check comparing SHA-256 digests in constant time, the
//! wrong-first and wrong-last cases cost the same (within the noise). Figures are in
//! docs/reliability.md.

// A benchmark that cannot run has nothing to measure: failing loudly is right here.
#![allow(clippy::unwrap_used)]

#[path = "common/auth_cases.rs"]
mod auth_cases;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

fn checks(c: &mut Criterion) {
    let access = auth_cases::access();
    for case in auth_cases::cases() {
        let query = case.query.as_deref();
        assert_eq!(
            access.allows(&case.headers, query),
            case.right,
            "{}",
            case.name
        );
        c.bench_function(&case.name, |b| {
            b.iter(|| access.allows(black_box(&case.headers), black_box(query)))
        });
    }
}

criterion_group!(benches, checks);
criterion_main!(benches);
