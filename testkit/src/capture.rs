//! A tiny loopback HTTP server standing in for a ResponseURL: records each request exactly
//! as it arrived and answers with a scripted sequence of status codes.

use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use super::http::read_request;
pub use super::http::Request;

pub struct Capture {
    pub url: String,
    received: Arc<Mutex<Vec<Request>>>,
}

impl Capture {
    /// Answers the n-th request with `statuses[n]` (the last one repeats); 0 means never answer.
    pub async fn start(path_and_query: &str, statuses: Vec<u16>) -> Capture {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind capture server");
        let port = listener.local_addr().expect("capture addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        tokio::spawn(async move {
            let mut n = 0usize;
            while let Ok((mut sock, _)) = listener.accept().await {
                let Some(req) = read_request(&mut sock).await else {
                    continue;
                };
                log.lock().expect("capture log").push(req);
                let status = statuses.get(n).or(statuses.last()).copied().unwrap_or(200);
                n += 1;
                if status == 0 {
                    tokio::spawn(async move {
                        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        drop(sock);
                    });
                    continue;
                }
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            }
        });
        Capture {
            url: format!("http://127.0.0.1:{port}{path_and_query}"),
            received,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.received.lock().expect("capture log").clone()
    }
}
