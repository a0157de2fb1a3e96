//! `challenge-bot chat`: the conversation in a terminal.
//!
//! Each reply is printed as plain text with its buttons as numbered choices (`[1] Create
//! challenge`). Typing a number presses that button; anything else is sent as typed text, so
//! `/start`, `/cancel` and `/help` work as in Telegram. When the question asks for a number, the
//! buttons are lettered instead (`[a] Use 100 km`) so that typing `5` answers `5`. Ctrl-D (end of
//! input) leaves.
//!
//! With a terminal on both ends, lines are read with line editing (rustyline); otherwise lines
//! are read from stdin as they come and echoed after the prompt, so a piped session prints a
//! readable transcript.

use std::io::{self, BufRead, BufReader, IsTerminal, Write};

use crate::handler::App;
use crate::handler::conversation::{CacheConfig, Conversation, Expect, Input, Reply, Request, Span};
use crate::user::{DisplayName, UserId};

/// How the chat reads and prints.
#[derive(Clone, Debug, Default)]
pub struct ChatOptions {
    pub cache: CacheConfig,
    /// Print each line read after the prompt (for input that is not typed at a terminal).
    pub echo_input: bool,
}

const PROMPT: &str = "> ";
const BANNER: &str = "challenge-bot chat: type a number to press a button, anything else to answer. \
/help explains, /cancel goes back to the menu, Ctrl-D leaves.";

/// Runs the chat on stdin and stdout until end of input.
pub async fn run(app: App, user: UserId, name: DisplayName) -> io::Result<()> {
    let interactive = io::stdin().is_terminal() && io::stdout().is_terminal();
    if interactive {
        match rustyline::DefaultEditor::new() {
            Ok(editor) => {
                let options = ChatOptions::default();
                return chat(app, user, name, Editor(editor), io::stdout(), &options).await;
            }
            Err(e) => tracing::debug!(error = %e, "line editing unavailable; reading plain lines"),
        }
    }
    let options = ChatOptions { echo_input: !interactive, ..ChatOptions::default() };
    run_with(app, user, name, BufReader::new(io::stdin()), io::stdout(), &options).await
}

/// Runs the chat on any input and output (tests use buffers).
pub async fn run_with<R: BufRead, W: Write>(
    app: App,
    user: UserId,
    name: DisplayName,
    input: R,
    output: W,
    options: &ChatOptions,
) -> io::Result<()> {
    chat(app, user, name, Plain(input), output, options).await
}

/// Where lines come from.
trait LineSource {
    /// The next line without its line ending; `None` at end of input.
    fn next_line(&mut self) -> io::Result<Option<String>>;
    /// Whether the source shows the prompt itself.
    fn prompts(&self) -> bool;
}

struct Plain<R>(R);

impl<R: BufRead> LineSource for Plain<R> {
    fn next_line(&mut self) -> io::Result<Option<String>> {
        let mut line = String::new();
        if self.0.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        while line.ends_with(['\n', '\r']) {
            line.pop();
        }
        Ok(Some(line))
    }

    fn prompts(&self) -> bool {
        false
    }
}

struct Editor(rustyline::DefaultEditor);

impl LineSource for Editor {
    fn next_line(&mut self) -> io::Result<Option<String>> {
        use rustyline::error::ReadlineError;
        match self.0.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = self.0.add_history_entry(line.as_str());
                }
                Ok(Some(line))
            }
            Err(ReadlineError::Eof | ReadlineError::Interrupted) => Ok(None),
            Err(ReadlineError::Io(e)) => Err(e),
            Err(e) => Err(io::Error::other(e)),
        }
    }

    fn prompts(&self) -> bool {
        true
    }
}

/// Reads a line without stalling other tasks of a multi-threaded runtime.
fn read_blocking(source: &mut impl LineSource) -> io::Result<Option<String>> {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread { tokio::task::block_in_place(|| source.next_line()) } else { source.next_line() }
}

/// The buttons on screen, and how they are chosen.
#[derive(Default)]
struct Choices {
    payloads: Vec<String>,
    lettered: bool,
}

impl Choices {
    fn from_replies(replies: &[Reply]) -> Option<Choices> {
        let payloads: Vec<String> =
            replies.iter().flat_map(Reply::all_buttons).map(|b| b.payload.clone()).collect();
        if payloads.is_empty() {
            return None;
        }
        let expects_number = replies.last().is_some_and(|r| r.expects == Expect::Number);
        Some(Choices { lettered: expects_number && payloads.len() <= 26, payloads })
    }

    fn tag(&self, i: usize) -> String {
        if self.lettered { char::from(b'a' + i as u8).to_string() } else { (i + 1).to_string() }
    }

    /// The payload a typed line chooses, if it is a choice.
    fn chosen(&self, line: &str) -> Option<Result<&str, String>> {
        let line = line.trim();
        if self.lettered {
            let mut chars = line.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else { return None };
            let c = c.to_ascii_lowercase();
            if !c.is_ascii_lowercase() {
                return None;
            }
            let i = usize::from(c as u8 - b'a');
            return Some(self.payloads.get(i).map(String::as_str).ok_or_else(|| self.out_of_range(line)));
        }
        if line.is_empty() || line.len() > 4 || !line.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: usize = line.parse().ok()?;
        Some(match n.checked_sub(1).and_then(|i| self.payloads.get(i)) {
            Some(p) => Ok(p.as_str()),
            None => Err(self.out_of_range(line)),
        })
    }

    fn out_of_range(&self, line: &str) -> String {
        let last = self.tag(self.payloads.len() - 1);
        let first = self.tag(0);
        format!("There is no choice {line}: choose {first} to {last}, or type /help.")
    }
}

async fn chat<W: Write>(
    app: App,
    user: UserId,
    name: DisplayName,
    mut source: impl LineSource,
    mut out: W,
    options: &ChatOptions,
) -> io::Result<()> {
    let conversation = Conversation::new(app, &options.cache);
    writeln!(out, "{BANNER}")?;
    let mut choices = Choices::default();
    let mut input = Input::Command { name: "start".into(), arg: None };
    loop {
        let request = Request::new(user, name.clone(), input);
        match conversation.handle(request).await {
            Ok(replies) => {
                let next = Choices::from_replies(&replies).unwrap_or_default();
                print_replies(&mut out, &replies, &next)?;
                choices = next;
            }
            Err(failure) => {
                tracing::warn!(error = %failure, "conversation input failed");
                print_replies(&mut out, &[failure.reply()], &Choices::default())?;
            }
        }
        // Read until a line that means something.
        input = loop {
            if !source.prompts() {
                write!(out, "{PROMPT}")?;
            }
            out.flush()?;
            let Some(line) = read_blocking(&mut source)? else {
                if !source.prompts() {
                    writeln!(out)?;
                }
                writeln!(out, "Bye!")?;
                out.flush()?;
                return Ok(());
            };
            if options.echo_input {
                writeln!(out, "{line}")?;
            }
            if line.trim().is_empty() {
                continue;
            }
            match choices.chosen(&line) {
                Some(Ok(payload)) => break Input::Button(payload.to_owned()),
                Some(Err(message)) => writeln!(out, "{message}")?,
                None => break Input::from_message(&line),
            }
        };
    }
}

/// Plain-text rendering: styles are dropped, control characters other than line breaks and
/// tabs in user-supplied text are not printed.
pub fn render_text(reply: &Reply) -> String {
    let mut s = String::new();
    for span in &reply.text.spans {
        match span {
            Span::User { text, .. } => {
                s.extend(text.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t'));
            }
            other => s.push_str(other.as_str()),
        }
    }
    s
}

fn print_replies(out: &mut impl Write, replies: &[Reply], choices: &Choices) -> io::Result<()> {
    let mut i = 0;
    for reply in replies {
        writeln!(out)?;
        writeln!(out, "{}", render_text(reply))?;
        for row in &reply.buttons {
            let cells: Vec<String> = row
                .iter()
                .map(|b| {
                    let cell = format!("[{}] {}", choices.tag(i), b.label);
                    i += 1;
                    cell
                })
                .collect();
            writeln!(out, "  {}", cells.join("   "))?;
        }
    }
    writeln!(out)
}
