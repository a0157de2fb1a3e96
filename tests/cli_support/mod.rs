//! Running the real `challenge-bot` binary against a database of its own.
//!
//! A [`Bot`] owns one database (a SQLite file in a fresh temporary directory, or any URL with a
//! guard that cleans it up) and a pinned "today" (`CHALLENGE_BOT_TODAY`), so output is
//! deterministic. [`Bot::on`] gives a handle on the same database on another day.
#![allow(dead_code)]

use std::any::Any;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use assert_cmd::Command;
use serde_json::Value;

/// The binary under test.
pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_challenge-bot"))
}

/// The database a [`Bot`] runs against and what keeps it alive.
struct Database {
    url: String,
    /// The SQLite file, when it is one.
    file: Option<PathBuf>,
    _keep: Box<dyn Any>,
}

#[derive(Clone)]
pub struct Bot {
    db: Rc<Database>,
    today: String,
}

/// What a run printed.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Bot {
    /// A new SQLite file (not created yet) in a new temporary directory.
    pub fn sqlite(today: &str) -> Bot {
        let dir = tempfile::Builder::new().prefix("challenge-bot-cli").tempdir().expect("create a temp dir");
        let file = dir.path().join("t.db");
        let url = format!("sqlite://{}", file.display());
        Bot {
            db: Rc::new(Database { url, file: Some(file), _keep: Box::new(dir) as Box<dyn Any> }),
            today: today.to_owned(),
        }
    }

    /// Any database URL; `keep` (e.g. a guard that drops the database) lives as long as the bot.
    pub fn with_url(url: String, keep: impl Any, today: &str) -> Bot {
        Bot { db: Rc::new(Database { url, file: None, _keep: Box::new(keep) }), today: today.to_owned() }
    }

    /// The same database, with "today" pinned to another date.
    pub fn on(&self, today: &str) -> Bot {
        Bot { db: Rc::clone(&self.db), today: today.to_owned() }
    }

    pub fn url(&self) -> &str {
        &self.db.url
    }

    /// The SQLite file, if the database is one.
    pub fn file(&self) -> Option<&Path> {
        self.db.file.as_deref()
    }

    /// The command with a clean environment: only our settings, no `RUST_LOG`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary());
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.db.url)
            .env("CHALLENGE_BOT_TODAY", &self.today)
            .timeout(std::time::Duration::from_secs(120));
        if let Some(dir) = self.db.file.as_deref().and_then(Path::parent) {
            cmd.current_dir(dir);
        }
        cmd
    }

    /// The same as [`Bot::command`], as a `std::process::Command` (to redirect its output).
    pub fn std_command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(binary());
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.db.url)
            .env("CHALLENGE_BOT_TODAY", &self.today);
        if let Some(dir) = self.db.file.as_deref().and_then(Path::parent) {
            cmd.current_dir(dir);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().expect("run challenge-bot");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Runs a command that must succeed quietly; returns its stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.code == 0 && out.stderr.is_empty(),
            "`challenge-bot {}` failed with {}:\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            out.code,
            out.stdout,
            out.stderr
        );
        out.stdout
    }

    /// Runs a command with `--json` (after the subcommand) that must succeed; returns the JSON.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let text = self.ok(&with_json);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
    }

    /// Runs a command that must fail with exit status 1, nothing on stdout and exactly the one
    /// line `error: <message>` on stderr.
    #[track_caller]
    pub fn fails(&self, args: &[&str], message: &str) {
        let out = self.run(args);
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (1, "", format!("error: {message}\n").as_str()),
            "`challenge-bot {}`",
            args.join(" ")
        );
    }

    /// Runs a command that must fail with exit status 1 and one `error:` line on stderr; returns
    /// the message (after `error: `).
    #[track_caller]
    pub fn fails_with(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.code, 1, "`challenge-bot {}`: {}", args.join(" "), out.stderr);
        assert_eq!(out.stdout, "", "`challenge-bot {}` printed on stdout", args.join(" "));
        assert_eq!(out.stderr.lines().count(), 1, "one line on stderr, got:\n{}", out.stderr);
        let message =
            out.stderr.strip_prefix("error: ").unwrap_or_else(|| panic!("no `error: `: {}", out.stderr));
        message.trim_end().to_owned()
    }

    /// Runs a command that clap must refuse as a usage error (exit status 2).
    #[track_caller]
    pub fn usage_error(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.code, 2, "`challenge-bot {}`:\n{}", args.join(" "), out.stderr);
        assert_eq!(out.stdout, "");
        out.stderr
    }

    /// Everything the CLI can see of the database: every challenge, its leaderboard and every
    /// participant's entries. Equal before and after a refused command means nothing was written.
    pub fn state(&self) -> Value {
        let list = self.json(&["challenge", "list", "--all"]);
        let mut shows = Vec::new();
        for challenge in list["challenges"].as_array().expect("challenges") {
            let id = challenge["id"].to_string();
            let show = self.json(&["challenge", "show", &id]);
            for line in show["leaderboard"].as_array().expect("leaderboard") {
                let user = line["user_id"].to_string();
                shows.push(self.json(&["progress", "list", &id, "--user", &user]));
            }
            shows.push(show);
        }
        serde_json::json!({ "list": list, "details": shows })
    }
}
