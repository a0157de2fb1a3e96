//! The groups' news lane: lines of a group's news (`Class::Announcement`) wait per group and go
//! out batched. A group may get about 20 messages a minute (the rate limiter's group limit), so
//! the lines that gathered while the group's next slot was coming are sent as one message, lines
//! of the same kind merged: "👋 Ann, Bob and Cat joined Run." Nothing is dropped: what does not
//! fit one message stays for the next. Like news, a group's lines take only a slot that answers
//! leave free at that moment.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Dispatcher, Inner};
use crate::outbox::{Action, Class, Queued};
use crate::protocol::bot::sender::Sent;

/// Lines waiting, per group, and the groups a task is sending for.
#[derive(Default)]
pub(super) struct GroupLanes {
    waiting: HashMap<i64, Vec<Queued>>,
    draining: HashSet<i64>,
}

/// The most subjects named in one merged line; the others are counted.
const NAMES_PER_LINE: usize = 10;
/// A batch's message stays under this many bytes of HTML (Telegram counts at most 4096
/// characters of what is shown, which is never more than the HTML).
const MESSAGE_BYTES: usize = 3800;

impl Dispatcher {
    /// Lines of groups' news waiting to be sent.
    pub fn announcement_backlog(&self) -> usize {
        self.inner.groups.lock().expect("groups lock").waiting.values().map(Vec::len).sum()
    }

    pub(super) fn enqueue_announcement(&self, chat: i64, message: Queued) {
        let mut groups = self.inner.groups.lock().expect("groups lock");
        groups.waiting.entry(chat).or_default().push(message);
        if groups.draining.insert(chat) {
            let inner = self.inner.clone();
            self.inner.tasks.spawn(async move { inner.drain_group(chat).await });
        }
    }
}

impl Inner {
    /// Sends a group's lines, as many as have gathered each time the group has a free slot.
    async fn drain_group(self: Arc<Self>, chat: i64) {
        loop {
            // Wait for a slot no answer is waiting for; lines gather meanwhile.
            if self.free_slot(chat).await.is_err() {
                return;
            }
            if self.bulk_turn().await.is_err() {
                return;
            }
            let batch = {
                let mut groups = self.groups.lock().expect("groups lock");
                match groups.waiting.remove(&chat) {
                    Some(lines) if !lines.is_empty() => {
                        let (batch, rest) = fitting(lines);
                        if !rest.is_empty() {
                            groups.waiting.insert(chat, rest);
                        }
                        batch
                    }
                    _ => {
                        groups.draining.remove(&chat);
                        return;
                    }
                }
            };
            let action = merged(chat, &batch);
            let Ok(sent) = self.sender.perform(&action, &self.stop).await else { return };
            self.count(&sent);
            if sent == Sent::Done {
                self.stats.announcements_sent.fetch_add(1, Ordering::Relaxed);
                self.stats.announcement_lines.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
            // Sent, or refused for good (the bot was removed from the group): they leave the
            // outbox either way.
            for line in batch {
                let _ = self.removals.send(line.id);
            }
        }
    }
}

/// One line's parts, or the whole message as HTML for an action that is not a line.
fn parts(line: &Queued) -> (String, String, String, String) {
    match line.action.class() {
        Class::Announcement { key, prefix, subject, predicate } => {
            (key.clone(), prefix.clone(), subject.clone(), predicate.clone())
        }
        _ => {
            let html = match &line.action {
                Action::Send { html, .. } | Action::Edit { html, .. } => html.clone(),
                Action::Upload { caption, .. } => caption.clone(),
                Action::Answer { .. } => String::new(),
            };
            (format!("#{}", line.id), String::new(), html, String::new())
        }
    }
}

/// The lines that fit one message, in order of their first kind, and the rest (whole kinds).
fn fitting(lines: Vec<Queued>) -> (Vec<Queued>, Vec<Queued>) {
    let mut keys: Vec<String> = Vec::new();
    for line in &lines {
        let key = parts(line).0;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut taken_keys: Vec<String> = Vec::new();
    let mut size = 0;
    for key in &keys {
        let of_key: Vec<&Queued> = lines.iter().filter(|l| parts(l).0 == *key).collect();
        let line_size = merged_line(&of_key).len() + 1;
        if !taken_keys.is_empty() && size + line_size > MESSAGE_BYTES {
            break;
        }
        size += line_size;
        taken_keys.push(key.clone());
    }
    lines.into_iter().partition(|l| taken_keys.contains(&parts(l).0))
}

/// The lines of one kind as one: "👋 Ann, Bob and Cat joined Run."
fn merged_line(lines: &[&Queued]) -> String {
    let (_, prefix, _, predicate) = parts(lines[0]);
    let mut subjects: Vec<String> = Vec::new();
    for line in lines {
        let subject = parts(line).2;
        if !subjects.contains(&subject) {
            subjects.push(subject);
        }
    }
    format!("{prefix}{}{predicate}", names(&subjects))
}

/// "Ann", "Ann and Bob", "Ann, Bob and Cat", "Ann, …, Jo and 5 others".
fn names(subjects: &[String]) -> String {
    match subjects {
        [] => String::new(),
        [one] => one.clone(),
        _ if subjects.len() > NAMES_PER_LINE => {
            format!(
                "{} and {} others",
                subjects[..NAMES_PER_LINE].join(", "),
                subjects.len() - NAMES_PER_LINE
            )
        }
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A batch of a group's lines as one message.
fn merged(chat: i64, batch: &[Queued]) -> Action {
    let mut keys: Vec<String> = Vec::new();
    for line in batch {
        let key = parts(line).0;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let html = keys
        .iter()
        .map(|key| {
            let of_key: Vec<&Queued> = batch.iter().filter(|l| parts(l).0 == *key).collect();
            merged_line(&of_key)
        })
        .collect::<Vec<_>>()
        .join("\n");
    Action::Send { chat_id: chat, html, buttons: Vec::new(), class: Class::Notice }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: i64, key: &str, subject: &str, predicate: &str) -> Queued {
        Queued {
            id,
            action: Action::Send {
                chat_id: -5,
                html: format!("{subject}{predicate}"),
                buttons: Vec::new(),
                class: Class::Announcement {
                    key: key.into(),
                    prefix: "👋 ".into(),
                    subject: format!("<b>{subject}</b>"),
                    predicate: predicate.into(),
                },
            },
        }
    }

    fn html(action: &Action) -> &str {
        match action {
            Action::Send { html, .. } => html,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lines_of_a_kind_merge_into_one() {
        let batch = vec![
            line(1, "join:1", "Ann", " joined Run."),
            line(2, "goal:1", "Cat", " reached their goal in Run!"),
            line(3, "join:1", "Bob", " joined Run."),
            line(4, "join:1", "Dan", " joined Run."),
            line(5, "join:2", "Ann", " joined Swim."),
        ];
        assert_eq!(
            html(&merged(-5, &batch)),
            "👋 <b>Ann</b>, <b>Bob</b> and <b>Dan</b> joined Run.\n👋 <b>Cat</b> reached their goal in Run!\n👋 <b>Ann</b> joined Swim."
        );
    }

    #[test]
    fn many_names_are_counted_and_nothing_is_dropped() {
        let batch: Vec<Queued> =
            (0..25).map(|i| line(i, "join:1", &format!("P{i}"), " joined Run.")).collect();
        let text = html(&merged(-5, &batch)).to_owned();
        assert!(text.ends_with("<b>P9</b> and 15 others joined Run."), "{text}");
        // Many kinds: what does not fit one message waits for the next, whole.
        let long = "x".repeat(500);
        let lines: Vec<Queued> =
            (0..20).map(|i| line(i, &format!("goal:{i}"), "Ann", &format!(" {long}"))).collect();
        let (batch, rest) = fitting(lines);
        assert!(!batch.is_empty() && !rest.is_empty());
        assert_eq!(batch.len() + rest.len(), 20);
        assert!(html(&merged(-5, &batch)).len() <= MESSAGE_BYTES);
    }
}
