//! `centralita installs watch ID`: follows a managed install from a terminal. It reads the
//! install's server-sent events (`GET /v1/installs/{id}/events`), prints each line of the
//! step log, and keeps a progress bar of the steps done (on a terminal; piped, only the
//! lines). It ends when the install does: exit status 0 when it succeeded, 1 otherwise.
//! A dropped connection is resumed from the last event seen (`Last-Event-ID`).

use std::{io::IsTerminal, time::Duration};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// Where the API is and who asks.
pub struct Api {
    pub url: String,
    pub token: String,
}

impl Api {
    async fn install(&self, client: &reqwest::Client, id: &str) -> anyhow::Result<Value> {
        let res = client
            .get(format!("{}/v1/installs/{id}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .context("the API did not answer")?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!(
                "GET /v1/installs/{id}: {status}: {}",
                body["detail"].as_str().unwrap_or("no detail")
            );
        }
        Ok(body)
    }
}

/// Follows install `id` to its end; `Ok(true)` when it succeeded.
pub async fn watch(api: &Api, id: &str) -> anyhow::Result<bool> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()?;
    let first = api.install(&client, id).await?;
    let total = first["progress"]["total"].as_u64().unwrap_or(7);
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} steps  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    };
    let say = |line: String| bar.suspend(|| println!("{line}"));
    say(format!(
        "install {id}: {} on {}:{} ({})",
        first["profile"].as_str().unwrap_or("?"),
        first["address"].as_str().unwrap_or("?"),
        first["ssh_port"],
        first["status"].as_str().unwrap_or("?")
    ));
    let mut last_id: Option<String> = None;
    let mut failures = 0;
    let status = loop {
        let mut req = client
            .get(format!("{}/v1/installs/{id}/events", api.url))
            .bearer_auth(&api.token)
            .header("Accept", "text/event-stream");
        if let Some(last) = &last_id {
            req = req.header("Last-Event-ID", last.as_str());
        }
        let res = match req.send().await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => bail!("GET /v1/installs/{id}/events: {}", r.status()),
            Err(e) => {
                failures += 1;
                if failures > 10 {
                    return Err(e).context("the event stream keeps failing");
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        let mut body = res.bytes_stream();
        let mut buf = String::new();
        let mut ended = None;
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else { break };
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(at) = buf.find("\n\n") {
                let frame: String = buf.drain(..at + 2).collect();
                let mut kind = "message";
                let mut data = "";
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        last_id = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        kind = v;
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = v;
                    }
                }
                let event: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                if kind == "end" {
                    ended = Some(event["status"].as_str().unwrap_or("unknown").to_owned());
                    continue;
                }
                let Some(message) = event["message"].as_str() else {
                    continue; // a keep-alive comment
                };
                let step = event["step"].as_str().unwrap_or("-");
                let at = event["at"].as_str().unwrap_or("").get(11..19).unwrap_or("");
                let marker = match kind {
                    "error" => "!",
                    "output" => "|",
                    _ => "*",
                };
                say(format!("{at} {marker} {step:<13} {message}"));
                if kind != "output" {
                    let now = api.install(&client, id).await?;
                    bar.set_position(now["progress"]["done"].as_u64().unwrap_or(0));
                    bar.set_message(now["current_step"].as_str().unwrap_or("").to_owned());
                }
            }
        }
        if let Some(status) = ended {
            break status;
        }
        // The connection ended early (a proxy, a restart): resume after the last event.
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    bar.finish_and_clear();
    let end = api.install(&client, id).await?;
    println!(
        "install {id}: {status}{}",
        end["error"]
            .as_str()
            .map(|e| format!(": {e}"))
            .unwrap_or_default()
    );
    Ok(status == "succeeded")
}
