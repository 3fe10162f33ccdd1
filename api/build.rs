//! Builds the web app in `../web` (TypeScript, Vite) into `$OUT_DIR/web`, which
//! `src/web_app.rs` embeds, so `cargo run --release` on a fresh machine serves the app with
//! no extra step. It needs Node.js 20+ and npm; `npm ci` runs once, when `node_modules` is
//! missing or older than the lock file.
//!
//! `CENTRALITA_WEB_DIST=/path/to/dist` embeds an app built elsewhere instead (a packager
//! without Node.js).
//!
//! The build type-checks the app against types generated from `openapi/centralita.json`,
//! so an API change the app does not follow fails this build, not a user's browser.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

fn main() {
    println!("cargo:rerun-if-env-changed=CENTRALITA_WEB_DIST");
    if let Ok(dist) = env::var("CENTRALITA_WEB_DIST") {
        println!("cargo:rustc-env=CENTRALITA_WEB_EMBED_DIR={dist}");
        return;
    }
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let web = manifest.join("..").join("web");
    for input in [
        "src",
        "public",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("../openapi/centralita.json").display()
    );
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("web");

    if needs_install(&web) {
        npm(&web, &["ci", "--no-audit", "--no-fund"]);
    }
    let out_arg = out.display().to_string();
    // Vite refuses to start while another Vite command runs on the project (a developer's
    // `npm run dev`, a test's build). That lock guards a shared output directory; this
    // build writes only to cargo's own OUT_DIR, so it must not fail the compile.
    npm(
        &web,
        &[
            "run",
            "build",
            "--",
            "--outDir",
            &out_arg,
            "--emptyOutDir",
            "--bypass-lock",
        ],
    );
    println!("cargo:rustc-env=CENTRALITA_WEB_EMBED_DIR={out_arg}");
}

/// `node_modules` is missing, or npm's record of it is older than the lock file.
fn needs_install(web: &Path) -> bool {
    let modified = |p: PathBuf| fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(web.join("node_modules/.package-lock.json")),
        modified(web.join("package-lock.json")),
    ) {
        (Some(installed), Some(locked)) => installed < locked,
        _ => true,
    }
}

fn npm(dir: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(dir).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "`npm {}` in {} failed ({s}); its output is above",
            args.join(" "),
            dir.display()
        ),
        Err(err) => panic!(
            "building the web app needs Node.js 20+ and npm on PATH ({err}); \
             or set CENTRALITA_WEB_DIST to a built app"
        ),
    }
}
