//! A loopback server for the answers the scripted [`Server`](super::Server) cannot give: each
//! request's socket is handed to the test, which writes whatever raw bytes it needs (a body cut
//! short, a stall, 5 MB, a body made from the request's own bytes); the connection closes
//! after it. Every request body is kept byte for byte.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

type Replier = dyn Fn(usize, &[u8], &mut TcpStream) + Send + Sync;

pub struct RawServer {
    pub url: String,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl RawServer {
    /// Hands each request (its number from 0, its body as JSON, `Null` if it is not JSON) and
    /// its socket to `reply`.
    pub fn start(
        reply: impl Fn(usize, &Value, &mut TcpStream) + Send + Sync + 'static,
    ) -> RawServer {
        RawServer::start_raw(move |n, body, stream| {
            let request = serde_json::from_slice(body).unwrap_or(Value::Null);
            reply(n, &request, stream)
        })
    }

    /// Answers every request with HTTP 200 and the body `answer` makes of the request's bytes.
    pub fn with_answer(answer: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static) -> RawServer {
        RawServer::start_raw(move |_, body, stream| whole(stream, 200, &answer(body)))
    }

    fn start_raw(
        reply: impl Fn(usize, &[u8], &mut TcpStream) + Send + Sync + 'static,
    ) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let reply: Arc<Replier> = Arc::new(reply);
        let shared = Arc::clone(&bodies);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let bodies = Arc::clone(&shared);
                let reply = Arc::clone(&reply);
                thread::spawn(move || {
                    let Some(body) = read_body(&stream) else {
                        return;
                    };
                    let n = {
                        let mut bodies = bodies.lock().unwrap();
                        bodies.push(body.clone());
                        bodies.len() - 1
                    };
                    let mut stream = stream;
                    reply(n, &body, &mut stream);
                });
            }
        });
        RawServer { url, bodies }
    }

    /// The request bodies, as JSON.
    pub fn seen(&self) -> Vec<Value> {
        self.bodies()
            .iter()
            .map(|b| serde_json::from_slice(b).unwrap_or(Value::Null))
            .collect()
    }

    /// The request bodies, byte for byte as they arrived.
    pub fn bodies(&self) -> Vec<Vec<u8>> {
        self.bodies.lock().unwrap().clone()
    }

    pub fn hits(&self) -> usize {
        self.bodies.lock().unwrap().len()
    }
}

/// The body of one request, once its head has been read.
fn read_body(stream: &TcpStream) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    let mut length = 0;
    reader.read_line(&mut line).ok()?;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

/// A status line and headers; `length: None` leaves Content-Length out (the body then ends
/// when the connection closes).
pub fn head(status: u16, length: Option<usize>) -> String {
    let length = length.map_or(String::new(), |n| format!("content-length: {n}\r\n"));
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json;charset=UTF-8\r\nconnection: close\r\n{length}\r\n"
    )
}

/// A whole answer with this body.
pub fn whole(stream: &mut TcpStream, status: u16, body: &[u8]) {
    let _ = stream.write_all(head(status, Some(body.len())).as_bytes());
    let _ = stream.write_all(body);
}

/// Waits (for the client to hang up) instead of answering further; never longer than a minute.
pub fn stall(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let _ = stream.read(&mut [0; 1]);
}
