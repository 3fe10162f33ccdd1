//! The SSH client of managed installs (`domain/src/ssh.rs`) against a real OpenSSH server:
//! host-key pinning, logging in with an install key, running commands with their exit
//! status, feeding them input, bounding their output and their time.

use std::{os::unix::fs::PermissionsExt, time::Duration};

use centralita_domain::ssh::{
    Deadlines, HostKeyCheck, InstallKey, Session, SshError, Target, quote,
};

use crate::common::sshd::Sshd;

/// The local user, whom the test sshd lets in with the install key.
fn me() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

const SECOND: Duration = Duration::from_secs(1);

/// Logs in to the test sshd on `port` as [`me`] with `key`, checking the host key by `check`.
async fn login(port: u16, key: &str, check: HostKeyCheck) -> Result<Session, SshError> {
    let user = me();
    let target = Target {
        host: "127.0.0.1",
        port,
        user: &user,
    };
    Session::connect(target, key, &check, Deadlines::default()).await
}

#[tokio::test]
async fn an_install_key_logs_in_pins_the_host_and_runs_commands() {
    let key = InstallKey::generate("centralita-install-test").unwrap();
    let Some(sshd) = Sshd::start(&[&key.authorized_key]).await else {
        return;
    };
    // First contact: any host key is taken, and named for pinning.
    let s = login(sshd.port, &key.private_openssh, HostKeyCheck::FirstUse)
        .await
        .unwrap();
    assert_eq!(s.host_key, sshd.host_key);
    assert!(
        sshd.log().contains(&key.fingerprint),
        "sshd names the key it accepted"
    );
    let out = s
        .exec("echo out; echo err >&2; exit 7", None, 1 << 16, 10 * SECOND)
        .await
        .unwrap();
    assert_eq!(out.exit_status, Some(7));
    assert!(!out.succeeded());
    assert_eq!(
        (&out.stdout[..], &out.stderr[..]),
        (&b"out\n"[..], &b"err\n"[..])
    );
    // A file goes up through the command's input, to a path quoted as one word.
    let path = sshd.scratch().join("it's a $(file)");
    let body = b"line one\nline 'two'\n".repeat(5_000);
    let up = s
        .exec(
            &format!(
                "install -m 0600 /dev/stdin {}",
                quote(path.to_str().unwrap())
            ),
            Some(body.clone()),
            1 << 16,
            10 * SECOND,
        )
        .await
        .unwrap();
    assert!(up.succeeded(), "{up:?}");
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Output beyond the bound is dropped and said so.
    let big = s
        .exec("head -c 100000 /dev/zero", None, 1_000, 10 * SECOND)
        .await
        .unwrap();
    assert_eq!(
        (big.stdout.len(), big.truncated, big.exit_status),
        (1_000, true, Some(0))
    );
    // A command past its deadline is abandoned.
    let slow = s
        .exec("sleep 5", None, 1_000, Duration::from_millis(300))
        .await;
    assert!(matches!(slow, Err(SshError::Timeout { .. })), "{slow:?}");
    s.close().await;
    // Pinned: the same host passes, by its fingerprint with or without padding.
    let again = login(
        sshd.port,
        &key.private_openssh,
        HostKeyCheck::Expect(format!("{}=", sshd.host_key)),
    )
    .await
    .unwrap();
    assert!(
        again
            .exec("true", None, 100, 10 * SECOND)
            .await
            .unwrap()
            .succeeded()
    );
    again.close().await;
}

#[tokio::test]
async fn another_host_key_is_refused_before_logging_in() {
    let key = InstallKey::generate("centralita-install-test").unwrap();
    let Some(sshd) = Sshd::start(&[&key.authorized_key]).await else {
        return;
    };
    let expected = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU".to_owned();
    let refused = login(
        sshd.port,
        &key.private_openssh,
        HostKeyCheck::Expect(expected.clone()),
    )
    .await;
    match refused {
        Err(SshError::HostKeyMismatch {
            expected: e,
            presented,
        }) => {
            assert_eq!((e, presented), (expected, sshd.host_key.clone()));
        }
        other => panic!("expected a host-key mismatch, got {:?}", other.err()),
    }
    // The key exchange ended it: the host never saw the install key.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!sshd.log().contains("Accepted publickey"), "{}", sshd.log());
    assert!(!sshd.log().contains(&key.fingerprint), "{}", sshd.log());
}

#[tokio::test]
async fn a_key_the_host_does_not_know_and_a_host_that_is_not_there_fail_clearly() {
    let key = InstallKey::generate("authorized").unwrap();
    let stranger = InstallKey::generate("stranger").unwrap();
    let Some(sshd) = Sshd::start(&[&key.authorized_key]).await else {
        return;
    };
    let user = me();
    let rejected = login(sshd.port, &stranger.private_openssh, HostKeyCheck::FirstUse).await;
    assert!(
        matches!(&rejected, Err(SshError::AuthRejected { user: u, host_key })
            if *u == user && *host_key == sshd.host_key),
        "{:?}",
        rejected.err()
    );
    let port = sshd.port;
    drop(sshd);
    let gone = login(port, &key.private_openssh, HostKeyCheck::FirstUse).await;
    assert!(
        matches!(gone, Err(SshError::Unreachable { .. })),
        "{:?}",
        gone.err()
    );
    let bad = login(port, "not a key", HostKeyCheck::FirstUse).await;
    assert!(matches!(bad, Err(SshError::Key(_))), "{:?}", bad.err());
}
