//! A fault-injecting proxy in front of moto for IAM: answers `Throttling` to the first N GetRole/GetUser
//! calls (or all of them), `AccessDenied` for chosen names, and forwards everything else to moto
//! unchanged. On 127.0.0.1, one connection per request (it answers `Connection: close`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct IamFaults {
    /// Throttle this many GetRole/GetUser calls before letting them through (usize::MAX: always).
    pub throttle_first: usize,
    /// Principal names IAM refuses to describe.
    pub deny: Vec<String>,
}

pub struct IamProxy {
    pub url: String,
    /// GetRole/GetUser calls seen, throttled ones included.
    pub lookups: Arc<AtomicUsize>,
    faults: Arc<Mutex<IamFaults>>,
}

impl IamProxy {
    pub fn start(upstream: &str, faults: IamFaults) -> IamProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let lookups = Arc::new(AtomicUsize::new(0));
        let faults = Arc::new(Mutex::new(faults));
        let (l, f) = (lookups.clone(), faults.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (up, l, f) = (upstream.clone(), l.clone(), f.clone());
                std::thread::spawn(move || serve(stream, &up, &l, &f));
            }
        });
        IamProxy {
            url,
            lookups,
            faults,
        }
    }

    pub fn set(&self, faults: IamFaults) {
        *self.faults.lock().unwrap() = faults;
    }
}

fn error(status: &str, code: &str, message: &str) -> Vec<u8> {
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn serve(stream: TcpStream, upstream: &str, lookups: &AtomicUsize, faults: &Mutex<IamFaults>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if let Some(v) = line
            .to_ascii_lowercase()
            .strip_prefix("content-length:")
            .map(|v| v.trim().to_string())
        {
            length = v.parse().unwrap_or(0);
        }
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        let end = line == "\r\n";
        if end {
            head.push_str("Connection: close\r\n\r\n");
            break;
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let form = String::from_utf8_lossy(&body).to_string();
    let is_lookup = form.contains("Action=GetRole&") || form.contains("Action=GetUser&");
    let mut out = stream;
    if is_lookup {
        let n = lookups.fetch_add(1, Ordering::SeqCst);
        let f = faults.lock().unwrap().clone();
        if n < f.throttle_first {
            let _ = out.write_all(&error("400 Bad Request", "Throttling", "Rate exceeded"));
            return;
        }
        if f.deny.iter().any(|name| {
            form.contains(&format!("RoleName={name}&"))
                || form.ends_with(&format!("RoleName={name}"))
                || form.contains(&format!("UserName={name}&"))
                || form.ends_with(&format!("UserName={name}"))
        }) {
            let _ = out.write_all(&error(
                "403 Forbidden",
                "AccessDenied",
                "User: arn:aws:iam::123456789012:user/test is not authorized to perform: iam:GetRole",
            ));
            return;
        }
    }
    let mut up = TcpStream::connect(upstream).unwrap();
    up.write_all(head.as_bytes()).unwrap();
    up.write_all(&body).unwrap();
    let mut answer = vec![];
    let _ = up.read_to_end(&mut answer);
    let _ = out.write_all(&answer);
}
