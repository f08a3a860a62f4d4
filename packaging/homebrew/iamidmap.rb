# Homebrew formula (brew install ./iamidmap.rb, or from a tap), as a template: the release workflow fills in
# the version and the archives' SHA-256 sums (the placeholders) and attaches the result to the GitHub release.
# tests/docs.rs checks it against Cargo.toml and the release workflow.
class Iamidmap < Formula
  desc "Edit EKS aws-auth identity mappings without locking yourself out"
  homepage "https://github.com/@REPOSITORY@"
  version "@VERSION@"
  license "Apache-2.0"

  on_macos do
    on_arm do
      url "https://github.com/@REPOSITORY@/releases/download/v@VERSION@/iamidmap-v@VERSION@-aarch64-apple-darwin.tar.gz"
      sha256 "@SHA256_AARCH64_APPLE_DARWIN@"
    end
    on_intel do
      url "https://github.com/@REPOSITORY@/releases/download/v@VERSION@/iamidmap-v@VERSION@-x86_64-apple-darwin.tar.gz"
      sha256 "@SHA256_X86_64_APPLE_DARWIN@"
    end
  end

  on_linux do
    on_arm do
      url "https://github.com/@REPOSITORY@/releases/download/v@VERSION@/iamidmap-v@VERSION@-aarch64-unknown-linux-musl.tar.gz"
      sha256 "@SHA256_AARCH64_UNKNOWN_LINUX_MUSL@"
    end
    on_intel do
      url "https://github.com/@REPOSITORY@/releases/download/v@VERSION@/iamidmap-v@VERSION@-x86_64-unknown-linux-musl.tar.gz"
      sha256 "@SHA256_X86_64_UNKNOWN_LINUX_MUSL@"
    end
  end

  def install
    bin.install "iamidmap"
    man1.install Dir["man/*.1"]
    generate_completions_from_executable(bin/"iamidmap", "completions")
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/iamidmap --version")
  end
end
