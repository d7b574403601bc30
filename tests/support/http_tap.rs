//! A listener posing as a Patroni member: it answers every HTTP request
//! with `{}` and keeps each request's head, so a test sees exactly what was
//! sent to an address anyone who can write a member key may name.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct HttpTap {
    pub addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl HttpTap {
    /// Listens on `ip` (a loopback address) at a free port.
    pub fn start(ip: &str) -> HttpTap {
        let listener = TcpListener::bind((ip, 0)).expect("bind the HTTP tap");
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (heads.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(c) = conn {
                    // Kept before the answer goes out: a client that has
                    // its answer must find its request here.
                    if let Some((head, c)) = read_request(c) {
                        h.lock().unwrap().push(head);
                        answer(c);
                    }
                }
            }
        });
        HttpTap { addr, heads, stop }
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request head received so far (request line and headers).
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// The heads that carry an `Authorization` header.
    pub fn with_credentials(&self) -> Vec<String> {
        self.heads()
            .into_iter()
            .filter(|h| {
                h.lines()
                    .any(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            })
            .collect()
    }
}

impl Drop for HttpTap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads one request (head and body); returns the head.
fn read_request(c: TcpStream) -> Option<(String, TcpStream)> {
    c.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut r = BufReader::new(c.try_clone().ok()?);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length.min(1 << 20)];
    let _ = r.read_exact(&mut body);
    (!head.is_empty()).then_some((head, c))
}

fn answer(mut c: TcpStream) {
    let _ = c.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    );
}
