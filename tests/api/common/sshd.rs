//! A real OpenSSH server for the managed-install tests: `/usr/sbin/sshd` (Debian's
//! `openssh-server`, installed by `.ci/run`) on a free loopback port, with its own host key,
//! config and `authorized_keys` in a temporary directory, logging to a file.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use super::{free_port, listening, peer_missing};

const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
    /// The host key's fingerprint, as `ssh-keygen -lf` prints it (`SHA256:…`).
    pub host_key: String,
}

impl Sshd {
    /// An sshd letting in the holders of `authorized_keys` (lines); `None` (skipped) when
    /// sshd is not installed, unless `CENTRALITA_TEST_REQUIRE_PEERS` is set.
    pub async fn start(authorized_keys: &[&str]) -> Option<Self> {
        if !Path::new(SSHD).exists() {
            return peer_missing(SSHD, "apt-get install openssh-server");
        }
        // sshd refuses to start without its privilege-separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("host_ed25519");
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "test-host", "-f"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(made.success(), "ssh-keygen failed");
        let printed = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(key.with_extension("pub"))
            .output()
            .unwrap();
        let host_key = String::from_utf8(printed.stdout)
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned();
        let auth = dir.path().join("authorized_keys");
        std::fs::write(&auth, authorized_keys.join("\n") + "\n").unwrap();
        let port = free_port();
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {key}\nPidFile {pid}\n\
                 AuthorizedKeysFile {auth}\nStrictModes no\nUsePAM no\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nLogLevel VERBOSE\n",
                key = key.display(),
                pid = dir.path().join("sshd.pid").display(),
                auth = auth.display(),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let this = Self {
            child,
            port,
            dir,
            host_key,
        };
        if listening(port).await {
            return Some(this);
        }
        panic!("sshd did not start on {port}: {}", this.log());
    }

    /// What sshd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// Lets the holder of `line` (an `authorized_keys` line) in from now on, as a customer
    /// adds an install's public key to the host.
    pub fn authorize(&self, line: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("authorized_keys"))
            .unwrap();
        writeln!(f, "{line}").unwrap();
    }

    /// A scratch directory the tests may have the remote side write into.
    pub fn scratch(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
