//! Runs the project's test API server (tests/support/apiserver.rs) on 127.0.0.1 until killed: a local
//! stand-in for a cluster, to try iamidmap (and kubectl) without one. It seeds `kube-system/aws-auth`
//! from examples/aws-auth.yaml, writes a kubeconfig for it, and prints the port on the first line and the
//! kubeconfig's path on the second:
//!
//!     cargo run -q --example test-apiserver > /tmp/iamidmap-demo &
//!     export KUBECONFIG=$(sed -n 2p /tmp/iamidmap-demo)
//!     iamidmap get
//!
//! benches/compare.sh uses it to time iamidmap and kubectl on the same server.

#[path = "../tests/support/apiserver.rs"]
mod apiserver;

use std::collections::BTreeMap;

fn main() {
    let server = apiserver::ApiServer::start();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/aws-auth.yaml");
    let text = std::fs::read_to_string(example).expect("examples/aws-auth.yaml is readable");
    let doc = iamidmap::core::document::AuthDocument::parse("aws-auth.yaml", text)
        .expect("examples/aws-auth.yaml is an aws-auth manifest");
    let data: BTreeMap<String, String> = doc.facts.data_strings.into_iter().collect();
    server.seed_aws_auth(&data);
    let dir = std::env::temp_dir().join(format!("iamidmap-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory for the kubeconfig");
    let kubeconfig = server.kubeconfig(&dir);
    println!("{}", server.port);
    println!("{}", kubeconfig.display());
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
