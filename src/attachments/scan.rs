//! The virus-scan hook: a configured command (`attachments.scan_command`, e.g.
//! `["clamdscan", "--no-summary", "-"]`) run on a file's bytes, given on its standard input,
//! before the file is stored. The exit status is the verdict, as ClamAV's: 0 clean, 1 infected,
//! anything else a failure of the scanner (the upload then fails: nothing unscanned is stored).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the scanner said of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Exit status 0.
    Clean,
    /// Exit status 1, with the first line the scanner wrote (e.g. `stdin: Eicar-Signature
    /// FOUND`, at most 200 characters).
    Infected(String),
}

/// Runs `command` (program, then arguments) on `bytes`, waiting at most `timeout`.
///
/// # Errors
/// The program cannot be started, exits with a status other than 0 or 1, is killed by a
/// signal, or takes longer than `timeout` (it is then killed).
pub fn scan(command: &[String], bytes: &[u8], timeout: Duration) -> anyhow::Result<Verdict> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("no scan command"))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start the virus scanner {program:?}: {e}"))?;
    let started = Instant::now();
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("the virus scanner has no standard input"))?;
    let input = bytes.to_vec();
    // A thread writes while this one waits: a scanner may stop reading (a verdict already, or a
    // full pipe) before it has everything. A broken pipe is not an error.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!(
                "the virus scanner gave no verdict within {} s",
                timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    let mut output = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        use std::io::Read;
        let mut buffer = Vec::new();
        let _ = stdout.by_ref().take(4096).read_to_end(&mut buffer);
        output = String::from_utf8_lossy(&buffer).into_owned();
    }
    match status.code() {
        Some(0) => Ok(Verdict::Clean),
        Some(1) => Ok(Verdict::Infected(
            output
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .chars()
                .take(200)
                .collect(),
        )),
        Some(code) => anyhow::bail!("the virus scanner failed (exit status {code})"),
        None => anyhow::bail!("the virus scanner was killed by a signal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eicar_scanner() -> Vec<String> {
        [
            "sh",
            "-c",
            "if grep -q 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE'; then echo 'stdin: Eicar-Signature FOUND'; exit 1; fi; exit 0",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn the_exit_status_is_the_verdict() {
        let timeout = Duration::from_secs(10);
        assert_eq!(
            scan(&eicar_scanner(), b"a receipt", timeout).unwrap(),
            Verdict::Clean
        );
        let eicar = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
        assert_eq!(
            scan(&eicar_scanner(), eicar, timeout).unwrap(),
            Verdict::Infected("stdin: Eicar-Signature FOUND".into())
        );
        let failing = ["sh", "-c", "exit 2"].map(String::from);
        assert!(scan(&failing, b"x", timeout).is_err());
        let missing = ["/nonexistent/scanner".to_string()];
        assert!(scan(&missing, b"x", timeout).is_err());
        let slow = ["sleep", "5"].map(String::from);
        assert!(scan(&slow, b"x", Duration::from_millis(200)).is_err());
    }
}
