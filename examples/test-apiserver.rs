//! Runs the project's test API server (tests/support/apiserver.rs) on 127.0.0.1 until killed, printing its
//! port on the first line. Used by benches/compare.sh to time iamidmap and kubectl on the same server.

#[path = "../tests/support/apiserver.rs"]
mod apiserver;

fn main() {
    let server = apiserver::ApiServer::start();
    println!("{}", server.port);
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
