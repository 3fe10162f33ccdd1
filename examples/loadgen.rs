//! A constant-rate HTTP load generator for the benchmarks in `tests/bench/` (not part of the
//! product).
//!
//! `wrk` measures latency at saturation: each connection sends its next request when the
//! last one answers, so p99 there is mostly queueing, and a stall delays the requests that
//! would have seen it (coordinated omission). A latency goal such as "2,000 authorizations
//! per second with p99 ≤ 5 ms" is a statement about a server *offered* 2,000 requests per
//! second, which is what this tool does (the open model of wrk2 and pgbench `--rate`):
//! request `i` is due at `start + i / rate` whatever happened to the others, its latency is
//! counted **from when it was due**, and at most `--connections` are in flight (a request
//! waiting for a free connection is late, and that lateness is in its latency).
//!
//! Each body is `--body` with `{i}` replaced by the request's number and `{line}` by the
//! next line of `--lines` (round robin), so every request can be a new call.
//!
//! ```text
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080/v1/switch/calls \
//!   --rate 2000 --duration 10 --connections 8 --header 'authorization: Bearer …' \
//!   --body '{"call_id":"r-{i}","destination":"{line}"}' --lines numbers.txt --count '"allow"'
//! ```
//!
//! It prints one `key=value` line (requests, achieved rate, statuses, latency percentiles
//! in ms) for scripts to read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use tokio::sync::{Semaphore, mpsc};

#[derive(Parser)]
struct Args {
    /// Where every request is POSTed.
    #[arg(long)]
    url: String,
    /// Requests per second offered.
    #[arg(long)]
    rate: f64,
    /// Seconds of load.
    #[arg(long)]
    duration: f64,
    /// Requests in flight at most (connections kept open).
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// `name: value`, repeatable.
    #[arg(long)]
    header: Vec<String>,
    /// The request body; `{i}` and `{line}` are replaced.
    #[arg(long)]
    body: String,
    /// A file whose lines take turns as `{line}`.
    #[arg(long)]
    lines: Option<std::path::PathBuf>,
    /// Answers whose body contains this are counted as `matched`.
    #[arg(long)]
    count: Option<String>,
}

/// One request's outcome: HTTP status (0: transport error), whether the body matched, and
/// its latency from when it was due, in microseconds.
type Outcome = (u16, bool, u64);

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.rate > 0.0 && args.duration > 0.0,
        "rate and duration must be positive"
    );
    let lines: Vec<String> = match &args.lines {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?
            .lines()
            .map(str::to_owned)
            .collect(),
        None => vec![String::new()],
    };
    anyhow::ensure!(!lines.is_empty(), "--lines names an empty file");
    let mut headers = reqwest::header::HeaderMap::new();
    for h in &args.header {
        let (name, value) = h.split_once(':').context("a header is `name: value`")?;
        headers.insert(
            reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())?,
            reqwest::header::HeaderValue::from_str(value.trim())?,
        );
    }
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(10))
        .build()?;
    let slots = Arc::new(Semaphore::new(args.connections));
    let total = (args.rate * args.duration).round() as u64;
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Outcome>();
    let count = args.count.map(Arc::<str>::from);
    // The schedule is kept by a thread of its own: tokio's timers tick in whole
    // milliseconds, and a request sent up to a millisecond late would count that against
    // the server. A thread's sleep wakes within tens of microseconds.
    let start = Instant::now();
    let rate = args.rate;
    let (due_tx, mut due_rx) = mpsc::unbounded_channel::<(u64, Instant)>();
    std::thread::spawn(move || {
        for i in 0..total {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if due_tx.send((i, due)).is_err() {
                return;
            }
        }
    });
    while let Some((i, due)) = due_rx.recv().await {
        let body = args
            .body
            .replace("{i}", &i.to_string())
            .replace("{line}", &lines[(i as usize) % lines.len()]);
        let (client, url, slots, done, count) = (
            client.clone(),
            args.url.clone(),
            slots.clone(),
            done_tx.clone(),
            count.clone(),
        );
        tokio::spawn(async move {
            let Ok(_slot) = slots.acquire().await else {
                return;
            };
            let sent = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let (status, matched) = match sent {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let text = r.text().await.unwrap_or_default();
                    (status, count.is_some_and(|c| text.contains(&*c)))
                }
                Err(_) => (0, false),
            };
            let late = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX);
            let _ = done.send((status, matched, late));
        });
    }
    drop(done_tx);
    let mut latencies = Vec::with_capacity(total as usize);
    let (mut ok, mut other, mut matched) = (0u64, 0u64, 0u64);
    while let Some((status, m, late)) = done_rx.recv().await {
        latencies.push(late);
        if status == 200 {
            ok += 1;
        } else {
            other += 1;
        }
        matched += u64::from(m);
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| {
        let at = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len().max(1));
        latencies.get(at - 1).map_or(0.0, |&us| us as f64 / 1000.0)
    };
    println!(
        "requests={} rate={:.0} ok={ok} other={other} matched={matched} p50={:.2} p90={:.2} p99={:.2} p999={:.2} max={:.2}",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(0.999),
        pct(1.0),
    );
    Ok(())
}
