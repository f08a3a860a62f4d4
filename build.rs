//! Tells the integration tests which real components this machine lacks, so that a test that needs one is
//! *ignored with the reason* (and shows in cargo's counts) instead of passing without checking anything.
//!
//! A missing kubectl, AWS CLI or moto makes its tests fail, loudly, unless the developer sets
//! `IAMIDMAP_ALLOW_SKIP=1`; then they are ignored. `../shared` (the corpus and upstream's Go code, the
//! referee of the reader) is only beside the project in the project's own checkouts: without it those tests
//! are ignored with the reason (the project's fixtures cover the same shapes), except where
//! `IAMIDMAP_REQUIRE_SHARED=1` (the project's own CI, `.ci/run`) says it must be there. Nothing here affects the
//! library or the binary.

use std::path::Path;

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn main() {
    for var in [
        "PATH",
        "IAMIDMAP_ALLOW_SKIP",
        "IAMIDMAP_REQUIRE_SHARED",
        "CI",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    println!("cargo::rerun-if-changed=build.rs");
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    println!("cargo::rerun-if-changed={}", shared.display());
    let allow_skip = std::env::var("IAMIDMAP_ALLOW_SKIP").is_ok_and(|v| v == "1");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    // The project's own CI (.ci/run) sets this: there ../shared must be beside the clone. A fork's CI,
    // which has no ../shared, runs everything else.
    let require_shared = std::env::var("IAMIDMAP_REQUIRE_SHARED").is_ok_and(|v| v == "1");
    let components = [
        ("iamidmap_skip_kubectl", on_path("kubectl")),
        (
            "iamidmap_skip_aws",
            on_path("aws") && on_path("moto_server"),
        ),
    ];
    for (cfg, present) in components {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if !present && allow_skip && !ci {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
    // ../shared (the corpus and upstream's Go code as a referee) is beside the project only in its own
    // checkouts; users without it see these tests ignored with the reason. The project's CI must have it.
    println!("cargo::rustc-check-cfg=cfg(iamidmap_skip_oracle)");
    if !shared.join("oracle-go/build.sh").is_file() && !require_shared {
        println!("cargo::rustc-cfg=iamidmap_skip_oracle");
    }
    println!("cargo::rustc-check-cfg=cfg(iamidmap_no_corpus)");
    if !shared.join("corpus/aws-auth").is_dir() && !require_shared {
        println!("cargo::rustc-cfg=iamidmap_no_corpus");
    }
}
