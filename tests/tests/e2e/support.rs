//! Starting the real binaries and talking to them with plain sockets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
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
        let mut child = Command::new(bin("pi-server"))
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
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
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
