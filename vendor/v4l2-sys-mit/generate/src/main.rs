//! Writes the V4L2 bindings of one target: what crates.io's v4l2-sys-mit 0.3.0 build script
//! generates (bindgen's default builder on `wrapper.h`), for a target given on the command line.
//!
//! usage: gen-v4l2-bindings WRAPPER_H OUT_FILE CLANG_ARG...
//! The clang arguments name the target (`--target=...`) and its include directories; the
//! script `scripts/gen-v4l2-bindings.sh` knows them for every target we ship.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(header), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: gen-v4l2-bindings WRAPPER_H OUT_FILE CLANG_ARG...");
        return ExitCode::from(2);
    };
    let bindings = bindgen::Builder::default()
        .header(header)
        .clang_args(args)
        // Only the include directories the script gives: a `clang` on PATH would otherwise
        // add its own (the host's /usr/include among them) behind them.
        .detect_include_paths(false)
        .generate();
    let bindings = match bindings {
        Ok(bindings) => bindings,
        Err(err) => {
            eprintln!("gen-v4l2-bindings: bindgen failed: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(err) = bindings.write_to_file(&out) {
        eprintln!("gen-v4l2-bindings: cannot write {out}: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
