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
//!
//! With `--eks N [--latency-ms MS]` it also runs the project's test EKS API (tests/support/eks.rs) with a
//! cluster `demo` in API_AND_CONFIG_MAP mode whose endpoint is this server and which has N access entries
//! (each request answered after MS milliseconds), and prints the EKS API's URL on a third line:
//! `AWS_ENDPOINT_URL_EKS=URL iamidmap get --cluster demo --region us-east-1` (benches/eks.sh times it).

#[path = "../tests/support/apiserver.rs"]
mod apiserver;
#[path = "../tests/support/eks.rs"]
#[allow(dead_code)]
mod eks;

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
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse::<u64>().expect("a number"))
    };
    let _eks = flag("--eks").map(|n| {
        // No STS here: an IAM token (iamidmap's own, presigned) is taken as a cluster admin's.
        server.set_whoami(serde_json::json!({"username": "admin", "groups": ["system:masters", "system:authenticated"]}));
        let api = eks::EksApi::start("us-east-1");
        api.add_cluster("demo", &server.url(), "", "API_AND_CONFIG_MAP");
        for i in 0..n {
            let policy: &[(&str, &[&str])] = match i % 3 {
                0 => &[("AmazonEKSViewPolicy", &["dev"])],
                1 => &[("AmazonEKSEditPolicy", &[])],
                _ => &[],
            };
            api.add_entry(
                "demo",
                serde_json::json!({"principalArn": format!("arn:aws:iam::111122223333:role/team{i:03}"),
                    "kubernetesGroups": [format!("team{i:03}")]}),
                policy,
            );
        }
        api.set_latency(std::time::Duration::from_millis(flag("--latency-ms").unwrap_or(0)));
        println!("{}", api.url());
        use std::io::Write;
        std::io::stdout().flush().expect("stdout");
        api
    });
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
