//! The `iamidmap` binary: a shell around [`iamidmap::run`].

fn main() {
    std::process::exit(iamidmap::run(std::env::args_os()));
}
