//! Runs one credential check 100,000 times, for counting its instructions under callgrind:
//! `valgrind --tool=callgrind target/release/examples/auth_cost basic/wrong_first_char`.
//! Instruction counts, unlike times, repeat exactly on a noisy machine, so equal counts
//! for guesses wrong in their first and in their last character show the check does
//! not stop at the first difference. The cases are the criterion bench's
//! (`benches/common/auth_cases.rs`); with no argument it lists them. Used for
//! docs/reliability.md.

#[path = "../benches/common/auth_cases.rs"]
mod auth_cases;

use std::hint::black_box;

fn main() {
    let wanted = std::env::args().nth(1).unwrap_or_default();
    let cases = auth_cases::cases();
    let Some(case) = cases.iter().find(|c| c.name == wanted) else {
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        eprintln!("auth_cost: give one of {}", names.join(", "));
        std::process::exit(2);
    };
    let access = auth_cases::access();
    let query = case.query.as_deref();
    let mut allowed = 0u32;
    for _ in 0..100_000 {
        allowed += u32::from(access.allows(black_box(&case.headers), black_box(query)));
    }
    println!("{}: allowed {allowed} of 100000", case.name);
    // The verdict is part of what is measured: a right guess must pass every time.
    assert_eq!(allowed == 100_000, case.right, "{}", case.name);
}
