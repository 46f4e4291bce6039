//! A TCP proxy in front of the test PostgreSQL server that plays its faults without
//! touching the real one (other tests use it): forwarding, refusing connections (a
//! stopped server), holding every byte (a frozen server: SIGSTOP, a hung disk or
//! network), and dropping every connection (a crash; then restart with `forward`).
//! Dropping the proxy closes everything it holds.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

const FORWARD: u8 = 0;
const REFUSE: u8 = 1;
const FREEZE: u8 = 2;

struct State {
    mode: AtomicU8,
    /// Connections of an older generation are closed (a crash or a stop).
    generation: AtomicU64,
    closed: AtomicBool,
}

pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Proxy {
    /// A proxy to `upstream` (host:port), forwarding.
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let state = Arc::new(State {
            mode: AtomicU8::new(FORWARD),
            generation: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        });
        let s = Arc::clone(&state);
        std::thread::spawn(move || loop {
            if s.closed.load(Ordering::SeqCst) {
                return;
            }
            match listener.accept() {
                Ok((client, _)) => {
                    let s = Arc::clone(&s);
                    std::thread::spawn(move || connection(client, upstream, s));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        });
        Proxy { addr, state }
    }

    /// `url` (a postgres:// URL to the real server) rewritten to go through this proxy.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let (auth_host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let auth = auth_host.rsplit_once('@').map(|(a, _)| format!("{a}@"));
        format!(
            "{scheme}://{}{}/{path}",
            auth.unwrap_or_default(),
            self.addr
        )
    }

    /// Connections flow again (a started, restarted or thawed server).
    pub fn forward(&self) {
        self.state.mode.store(FORWARD, Ordering::SeqCst);
    }

    /// A stopped server: open connections are closed, new ones refused.
    pub fn stop(&self) {
        self.state.mode.store(REFUSE, Ordering::SeqCst);
        self.state.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// A frozen server: connections stay open and nothing moves, new ones hang too.
    pub fn freeze(&self) {
        self.state.mode.store(FREEZE, Ordering::SeqCst);
    }

    /// A crash and restart: every open connection is cut, new ones are served.
    pub fn crash_restart(&self, down_for: Duration) {
        self.stop();
        std::thread::sleep(down_for);
        self.forward();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.closed.store(true, Ordering::SeqCst);
        self.state.generation.fetch_add(1, Ordering::SeqCst);
        self.state.mode.store(REFUSE, Ordering::SeqCst);
    }
}

fn connection(client: TcpStream, upstream: SocketAddr, state: Arc<State>) {
    let generation = state.generation.load(Ordering::SeqCst);
    // A new connection to a frozen server waits; to a stopped one it is closed.
    loop {
        if state.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        match state.mode.load(Ordering::SeqCst) {
            FORWARD => break,
            REFUSE => return,
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let st = Arc::clone(&state);
    std::thread::spawn(move || pump(c2, s2, st, generation));
    pump(server, client, state, generation);
}

/// Copies `from` to `to` while forwarding; holds still while frozen; closes both when
/// the generation changes.
fn pump(mut from: TcpStream, mut to: TcpStream, state: Arc<State>, generation: u64) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(10)));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if state.generation.load(Ordering::SeqCst) != generation {
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
            return;
        }
        if state.mode.load(Ordering::SeqCst) == FREEZE {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    let _ = from.shutdown(Shutdown::Both);
                    return;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => {
                let _ = to.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}
