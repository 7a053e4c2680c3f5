//! Starting the real binaries and talking to them with plain sockets; finding the
//! programs some tests need, or skipping those tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Upper bound for anything to happen; only a guard against a hung test, never a
/// performance expectation.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A binary of this workspace, from the build directory this test runs from.
pub fn bin(name: &str) -> PathBuf {
    // This test is target/<profile>/deps/e2e-<hash>; binaries are in target/<profile>/.
    let exe = std::env::current_exe().expect("own path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run the tests with `cargo test --workspace`",
        path.display()
    );
    path
}

/// pi-server, ready to be given arguments. It announces nothing: these tests talk over
/// loopback, and an announcement would go out on every interface of the machine (the
/// discovery tests run in network namespaces of their own, `scripts/discovery-test.sh`).
pub fn pi_server() -> Command {
    let mut command = Command::new(bin("pi-server"));
    command.env("PI_SERVER_NO_ANNOUNCE", "1");
    command
}

/// A running pi-server, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// Everything it logged, line by line, as it arrives.
    pub log: mpsc::Receiver<String>,
}

impl Server {
    /// Starts pi-server on a free loopback port with `args` and waits until it listens.
    pub fn start(args: &[&str]) -> Server {
        Server::start_on("127.0.0.1:0", args)
    }

    /// Starts pi-server listening on `listen` with `args` and waits until it listens.
    pub fn start_on(listen: &str, args: &[&str]) -> Server {
        let mut child = pi_server()
            .args(["--listen", listen])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pi-server");
        let (tx, log) = mpsc::channel();
        for pipe in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        // The server announces where it listens: "... stream at http://ADDR/stream.mjpg ..."
        // (https:// with TLS on).
        let addr = loop {
            let line = log
                .recv_timeout(PATIENCE)
                .expect("pi-server said where it listens");
            if let Some(rest) = line.split("://").nth(1)
                && let Some(addr) = rest.split('/').next()
                && let Ok(addr) = addr.parse()
            {
                break addr;
            }
        };
        Server { child, addr, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM, as systemd or `kill` would.
    pub fn terminate(&self) {
        assert!(terminate(&self.child), "SIGTERM to pi-server");
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "pi-server did not exit"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends SIGTERM to `child`; whether it was delivered. The shell's own `kill` builtin, so
/// that a bare machine (no procps) can run the tests.
pub fn terminate(child: &Child) -> bool {
    Command::new("sh")
        .args(["-c", "kill -TERM \"$1\"", "sh", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// The headless viewer's command for watching `url` for `seconds`, printing JSON lines.
pub fn viewer_command(url: &str, seconds: f64) -> Command {
    let mut command = Command::new(bin("desktop-viewer"));
    command
        .args([
            "--headless",
            "--json",
            "--duration",
            &seconds.to_string(),
            url,
        ])
        .stdin(Stdio::null());
    command
}

/// Runs desktop-viewer headless for `seconds` against `url` and returns its output.
pub fn viewer(url: &str, seconds: f64) -> Output {
    viewer_command(url, seconds)
        .output()
        .expect("run desktop-viewer")
}

/// The summary line of a headless `--json` run.
pub fn summary(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "summary")
        .unwrap_or_else(|| {
            panic!(
                "no summary line in viewer output:\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

/// A raw HTTP/1.1 GET; returns the socket after the request is sent.
pub fn get(addr: SocketAddr, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(PATIENCE)).expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send request");
    s
}

/// Set to `1` (`.ci/run` does) to make every test that would skip for something missing
/// fail instead, naming it: CI has everything installed and must prove every test ran.
pub const REQUIRE_ALL: &str = "PI_MJPEG_REQUIRE_ALL";

/// Something a test needs that a machine with only Rust and a C linker does not have.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// A program on the PATH, and the Debian package that has it.
    Program(&'static str, &'static str),
    /// A `python3` on the PATH that can import this module, and the Debian package that
    /// has it. Several may be on the PATH (pyenv's, a venv's, Debian's); the first that has
    /// the module is taken, since Debian's modules are built for Debian's Python only.
    PythonModule(&'static str, &'static str),
    /// Something of the team kit, which lives beside the repository (`../shared`), by its
    /// path inside the kit, and what it is.
    Kit(&'static str, &'static str),
}

impl Need {
    /// Where it is, if it is there.
    fn find(self) -> Option<PathBuf> {
        match self {
            Need::Program(name, _) => on_path(name).next(),
            Need::PythonModule(module, _) => on_path("python3").find(|python| {
                Command::new(python)
                    .args(["-c", &format!("import {module}")])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            }),
            Need::Kit(relative, _) => {
                let path = kit().join(relative);
                path.exists().then_some(path)
            }
        }
    }

    /// What is missing and how to get it, for one line.
    fn describe(self) -> String {
        match self {
            Need::Program(name, package) => format!("{name} (apt-get install {package})"),
            Need::PythonModule(module, package) => {
                format!("{module} for python3 (apt-get install {package})")
            }
            Need::Kit(relative, what) => format!(
                "{what} at {} (the team kit, beside the repository)",
                kit().join(relative).display()
            ),
        }
    }
}

/// Where the team kit would be: `shared` beside the repository (this crate is `tests/`).
fn kit() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .nth(2)
        .unwrap_or(crate_dir)
        .join("shared")
}

/// Executable files called `name` in the PATH's directories, in order.
fn on_path(name: &str) -> impl Iterator<Item = PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .filter(|file| {
            file.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .collect::<Vec<_>>()
        .into_iter()
}

/// The paths of everything the calling test needs, in order; or, when something is
/// missing, `None` after one line on stderr naming what to install (the caller returns:
/// the test is skipped). With [`REQUIRE_ALL`] set, a missing need fails the test instead,
/// except when all that is missing is the team kit and no kit is beside the repository at
/// all: a fresh clone alone is a place CI runs, and the kit is not part of the project.
/// A kit that is there but lacks the file still fails, since that is a broken path.
///
/// `let Some([ffmpeg]) = needs([Need::Program("ffmpeg", "ffmpeg")]) else { return };`
pub fn needs<const N: usize>(needs: [Need; N]) -> Option<[PathBuf; N]> {
    let found = needs.map(Need::find);
    let missing: Vec<String> = needs
        .iter()
        .zip(&found)
        .filter(|(_, path)| path.is_none())
        .map(|(need, _)| need.describe())
        .collect();
    if missing.is_empty() {
        return Some(found.map(|path| path.unwrap_or_default()));
    }
    let only_the_absent_kit = !kit().exists()
        && needs
            .iter()
            .zip(&found)
            .all(|(need, path)| path.is_some() || matches!(need, Need::Kit(..)));
    let missing = missing.join(", ");
    // libtest names each test's thread after the test.
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string();
    let required = std::env::var_os(REQUIRE_ALL).is_some_and(|v| v == "1") && !only_the_absent_kit;
    assert!(
        !required,
        "{test} needs {missing}, and {REQUIRE_ALL}=1 says that everything must be there"
    );
    // Straight to stderr: libtest captures eprintln! of passing tests, and a skip must show.
    let _ = writeln!(std::io::stderr(), "skipped: needs {missing}: {test}");
    None
}
