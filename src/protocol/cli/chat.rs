//! `challenge-bot chat`: the conversation in a terminal.
//!
//! Each reply is printed as plain text with its buttons as choices (`[1] Create challenge`).
//! Typing a choice presses that button; anything else is sent as typed text, so `/start`,
//! `/cancel` and `/help` work as in Telegram. Where a typed answer could be mistaken for a
//! choice, the choices are tagged differently: lettered (`[a] Use 100 km`) when the question asks
//! for a number, and `#1`, `#2` when it asks for free text (so a challenge can be named "2026").
//!
//! With a terminal on both ends, lines are read with line editing (rustyline, which keeps what is
//! typed ahead, or pasted, while an answer is being prepared); Ctrl-C cancels the question being
//! asked (back to the menu), and at the menu — or twice in a row — leaves, as Ctrl-D does.
//! Otherwise lines are read from stdin as they come and echoed after the prompt, so a piped
//! session prints a readable transcript. Either way a line that is not valid UTF-8 is refused
//! and the chat goes on; a byte-order mark at the start of the input is ignored.
//!
//! A chart or an export that Telegram would send as a picture or a file is written into the
//! working directory instead (`chart-<challenge>-<viewer>.png`, `my-entries.csv`), and the chat
//! prints its path; a chart also shows as a one-line sparkline of the person's standing.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::handler::App;
use crate::handler::conversation::{CacheConfig, Conversation, Expect, Input, Reply, Request, Span};
use crate::handler::media::{Attachment, FileKind, Media};
use crate::user::{DisplayName, UserId};

/// How the chat reads and prints.
#[derive(Clone, Debug)]
pub struct ChatOptions {
    pub cache: CacheConfig,
    /// Print each line read after the prompt (for input that is not typed at a terminal).
    pub echo_input: bool,
    /// Where charts and exports are written (the working directory by default).
    pub files_dir: PathBuf,
}

impl Default for ChatOptions {
    fn default() -> ChatOptions {
        ChatOptions { cache: CacheConfig::default(), echo_input: false, files_dir: PathBuf::from(".") }
    }
}

const PROMPT: &str = "> ";
const BANNER: &str = "challenge-bot chat: type a choice's number or letter to press it, anything else to answer \
(a number at the menu logs progress). \
/help explains, /cancel goes back to the menu, Ctrl-D leaves.";
const NOT_TEXT: &str = "That line was not valid text (UTF-8), so it was ignored; please type it again.";

/// Runs the chat on stdin and stdout until end of input.
pub async fn run(app: App, user: UserId, name: DisplayName) -> io::Result<()> {
    let interactive = io::stdin().is_terminal() && io::stdout().is_terminal();
    if interactive {
        match rustyline::DefaultEditor::new().map_err(io::Error::other).and_then(Editor::start) {
            Ok(source) => {
                let options = ChatOptions::default();
                return chat(app, user, name, source, io::stdout(), &options).await;
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
    chat(app, user, name, Plain { input, first: true }, output, options).await
}

/// What the person did at the prompt.
#[derive(Debug, PartialEq, Eq)]
enum Read {
    Line(String),
    /// A line that was not valid UTF-8.
    NotText,
    /// Ctrl-C.
    Interrupted,
    /// Ctrl-D, or the end of the input.
    End,
}

/// Where lines come from.
trait LineSource {
    async fn next_line(&mut self) -> io::Result<Read>;
    /// Whether the source shows the prompt itself.
    fn prompts(&self) -> bool;
}

struct Plain<R> {
    input: R,
    /// Nothing read yet (a byte-order mark may lead the input).
    first: bool,
}

impl<R: BufRead> LineSource for Plain<R> {
    async fn next_line(&mut self) -> io::Result<Read> {
        read_blocking(|| self.read())
    }

    fn prompts(&self) -> bool {
        false
    }
}

impl<R: BufRead> Plain<R> {
    fn read(&mut self) -> io::Result<Read> {
        let mut bytes = Vec::new();
        if self.input.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(Read::End);
        }
        while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            bytes.pop();
        }
        if std::mem::take(&mut self.first) && bytes.starts_with("\u{FEFF}".as_bytes()) {
            bytes.drain(..3);
        }
        Ok(match String::from_utf8(bytes) {
            Ok(line) => Read::Line(line),
            Err(_) => Read::NotText,
        })
    }
}

/// Line editing (rustyline) in a thread of its own, so that a Ctrl-C can be heard while it waits
/// for a line: in raw mode rustyline reads Ctrl-C as a key, but a terminal it does not support
/// (`TERM=dumb`) stays in cooked mode, where Ctrl-C is a signal.
struct Editor {
    /// Asks the thread for the next line (it shows the prompt then).
    requests: std::sync::mpsc::Sender<()>,
    lines: tokio::sync::mpsc::UnboundedReceiver<io::Result<Read>>,
    /// A line was asked for and has not come yet.
    waiting: bool,
    /// Lines of a multi-line paste not yet taken.
    typed: VecDeque<String>,
    interrupts: tokio::signal::unix::Signal,
}

impl Editor {
    fn start(mut editor: rustyline::DefaultEditor) -> io::Result<Editor> {
        let interrupts = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        let (requests, asked) = std::sync::mpsc::channel::<()>();
        let (answers, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            while asked.recv().is_ok() {
                let read = read_edited(&mut editor);
                if answers.send(read).is_err() {
                    return;
                }
            }
        });
        Ok(Editor { requests, lines, waiting: false, typed: VecDeque::new(), interrupts })
    }
}

fn read_edited(editor: &mut rustyline::DefaultEditor) -> io::Result<Read> {
    use rustyline::error::ReadlineError;
    match editor.readline(PROMPT) {
        Ok(text) => {
            if !text.trim().is_empty() {
                let _ = editor.add_history_entry(text.as_str());
            }
            Ok(Read::Line(text))
        }
        Err(ReadlineError::Eof) => Ok(Read::End),
        Err(ReadlineError::Interrupted) => Ok(Read::Interrupted),
        Err(ReadlineError::Io(e)) if e.kind() == io::ErrorKind::InvalidData => Ok(Read::NotText),
        Err(ReadlineError::Io(e)) => Err(e),
        Err(e) => Err(io::Error::other(e)),
    }
}

impl LineSource for Editor {
    async fn next_line(&mut self) -> io::Result<Read> {
        if let Some(line) = self.typed.pop_front() {
            return Ok(Read::Line(line));
        }
        if self.waiting {
            // The line asked for before a Ctrl-C signal is still being read: its prompt was shown
            // above what was printed since, so show it again.
            let mut stdout = io::stdout();
            write!(stdout, "{PROMPT}")?;
            stdout.flush()?;
        } else {
            self.requests.send(()).map_err(|_| io::Error::other("the line editor stopped"))?;
            self.waiting = true;
        }
        let read = tokio::select! {
            read = self.lines.recv() => read.unwrap_or(Ok(Read::End))?,
            // A signal while the terminal is in cooked mode; the thread still waits for its line.
            _ = self.interrupts.recv() => return Ok(Read::Interrupted),
        };
        self.waiting = false;
        match read {
            // A paste of several lines arrives as one: each line is an input of its own.
            Read::Line(text) => {
                let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r').to_owned());
                let first = lines.next().unwrap_or_default();
                self.typed.extend(lines.filter(|l| !l.trim().is_empty()));
                Ok(Read::Line(first))
            }
            other => Ok(other),
        }
    }

    fn prompts(&self) -> bool {
        true
    }
}

/// Runs a blocking read without stalling other tasks of a multi-threaded runtime.
fn read_blocking<T>(read: impl FnOnce() -> T) -> T {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread { tokio::task::block_in_place(read) } else { read() }
}

/// How the choices on screen are tagged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Tags {
    /// 1, 2, 3…
    #[default]
    Numbers,
    /// a, b, c… (a number is an answer here)
    Letters,
    /// #1, #2… (any text is an answer here)
    Hashes,
}

/// The buttons on screen, and how they are chosen.
#[derive(Default)]
struct Choices {
    payloads: Vec<String>,
    tags: Tags,
    /// A question is being asked (Ctrl-C cancels it rather than leaving).
    asking: bool,
}

impl Choices {
    fn from_replies(replies: &[Reply]) -> Choices {
        let payloads: Vec<String> =
            replies.iter().flat_map(Reply::all_buttons).map(|b| b.payload.clone()).collect();
        let expects = replies.last().map_or(Expect::Choice, |r| r.expects);
        let tags = match expects {
            // Where a typed number means something (an answer, or progress), choices are letters.
            Expect::Number | Expect::Progress if payloads.len() <= 26 => Tags::Letters,
            Expect::Number | Expect::Progress | Expect::Text => Tags::Hashes,
            Expect::Choice | Expect::Date => Tags::Numbers,
        };
        Choices { payloads, tags, asking: !matches!(expects, Expect::Choice | Expect::Progress) }
    }

    fn tag(&self, i: usize) -> String {
        match self.tags {
            Tags::Numbers => (i + 1).to_string(),
            Tags::Letters => char::from(b'a' + i as u8).to_string(),
            Tags::Hashes => format!("#{}", i + 1),
        }
    }

    /// The payload a typed line chooses, if it is a choice.
    fn chosen(&self, line: &str) -> Option<Result<&str, String>> {
        if self.payloads.is_empty() {
            return None;
        }
        let line = line.trim();
        let index = match self.tags {
            Tags::Letters => {
                let mut chars = line.chars();
                let (Some(c), None) = (chars.next(), chars.next()) else { return None };
                let c = c.to_ascii_lowercase();
                if !c.is_ascii_lowercase() {
                    return None;
                }
                usize::from(c as u8 - b'a')
            }
            Tags::Numbers | Tags::Hashes => {
                let digits = match self.tags {
                    Tags::Hashes => line.strip_prefix('#')?,
                    _ => line,
                };
                if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                digits.parse::<usize>().ok()?.checked_sub(1).unwrap_or(usize::MAX)
            }
        };
        Some(self.payloads.get(index).map(String::as_str).ok_or_else(|| self.out_of_range(line)))
    }

    fn out_of_range(&self, line: &str) -> String {
        let last = self.tag(self.payloads.len() - 1);
        let first = self.tag(0);
        format!(
            "There is no choice {}: choose {first} to {last}, or type /help.",
            crate::text::shown(line, 12)
        )
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
    let media = Media::new(app.clone());
    let conversation = Conversation::new(app, &options.cache);
    writeln!(out, "{BANNER}")?;
    let mut input = Input::Command { name: "start".into(), arg: None };
    loop {
        let request = Request::new(user, name.clone(), input);
        let replies = match conversation.handle(request).await {
            // News for the others and messages to groups reach them in Telegram; the terminal has
            // no chat of theirs.
            Ok(mut replies) => {
                replies.retain(|r| !r.is_for_others());
                replies
            }
            Err(failure) => {
                tracing::warn!(error = %failure, "conversation input failed");
                vec![failure.reply()]
            }
        };
        let choices = Choices::from_replies(&replies);
        let mut files = Vec::with_capacity(replies.len());
        for reply in &replies {
            files.push(match &reply.attachment {
                Some(attachment) => Some(save(&media, attachment, &options.files_dir).await),
                None => None,
            });
        }
        print_replies(&mut out, &replies, &files, &choices)?;
        // Read until a line that means something.
        input = loop {
            if !source.prompts() {
                write!(out, "{PROMPT}")?;
            }
            out.flush()?;
            let line = match source.next_line().await? {
                Read::Line(line) => line,
                Read::NotText => {
                    if options.echo_input {
                        writeln!(out)?;
                    }
                    writeln!(out, "{NOT_TEXT}")?;
                    continue;
                }
                // Cancels the question; at the menu (so also right after that) it leaves.
                Read::Interrupted if choices.asking => {
                    break Input::Command { name: "cancel".into(), arg: None };
                }
                Read::Interrupted | Read::End => {
                    if !source.prompts() {
                        writeln!(out)?;
                    }
                    writeln!(out, "Bye!")?;
                    out.flush()?;
                    return Ok(());
                }
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

/// Writes an attachment's file into `dir`; what to print about it.
async fn save(media: &Media, attachment: &Attachment, dir: &Path) -> String {
    let file = match media.file(attachment).await {
        Ok(file) => file,
        Err(e) => return format!("(No file: {e})"),
    };
    let path = dir.join(&file.name);
    if let Err(e) = std::fs::write(&path, file.bytes.as_slice()) {
        return format!("(Could not write {}: {e})", path.display());
    }
    let what = match (file.kind, attachment) {
        (FileKind::Photo, _) => "the chart",
        (_, Attachment::Export { challenge: Some(_), .. }) => "everyone's entries",
        _ => "your entries",
    };
    let mut note = format!("Saved {what} to {}", path.display());
    if let Some(line) = &file.sparkline {
        note.push_str(&format!("\nYou: {}", line.trim_end()));
    }
    note
}

fn print_replies(
    out: &mut impl Write,
    replies: &[Reply],
    files: &[Option<String>],
    choices: &Choices,
) -> io::Result<()> {
    let mut i = 0;
    for (n, reply) in replies.iter().enumerate() {
        writeln!(out)?;
        writeln!(out, "{}", render_text(reply))?;
        if let Some(Some(note)) = files.get(n) {
            writeln!(out, "{note}")?;
        }
        // A button that opens an address cannot be pressed here: its address is shown.
        if let Some(link) = &reply.link {
            writeln!(out, "  {}: {}", link.label, link.url)?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_survive_a_byte_order_mark_and_bad_bytes() {
        let input: &[u8] = b"\xEF\xBB\xBF1\nbad \xFF line\nFast name\n";
        let mut source = Plain { input, first: true };
        assert_eq!(source.read().unwrap(), Read::Line("1".into()));
        assert_eq!(source.read().unwrap(), Read::NotText);
        assert_eq!(source.read().unwrap(), Read::Line("Fast name".into()));
        assert_eq!(source.read().unwrap(), Read::End);
    }

    #[test]
    fn choices_are_tagged_so_that_answers_are_not_mistaken_for_them() {
        let reply = |expects: Expect| {
            let mut reply =
                Reply::new(crate::handler::conversation::Text::new().plain("?")).expecting(expects);
            reply.buttons = vec![vec![crate::handler::conversation::Button {
                label: "Cancel".into(),
                payload: "v1:x".into(),
            }]];
            reply
        };
        let text = Choices::from_replies(&[reply(Expect::Text)]);
        assert_eq!(text.chosen("1"), None, "a name may be a number");
        assert_eq!(text.chosen("#1"), Some(Ok("v1:x")));
        let number = Choices::from_replies(&[reply(Expect::Number)]);
        assert_eq!(number.chosen("1"), None);
        assert_eq!(number.chosen("A"), Some(Ok("v1:x")));
        let menu = Choices::from_replies(&[reply(Expect::Choice)]);
        assert_eq!(menu.chosen("1"), Some(Ok("v1:x")));
        assert!(matches!(menu.chosen("2"), Some(Err(_))));
        assert!(!menu.asking && text.asking);
    }
}
