//! The answer flow, written once for `/ask` (over the gateway and over HTTP), mentions,
//! DMs and newsroom channels: a question, where it was asked and who asked go in; what
//! to send comes out. Front ends only adapt their input and send the result.
//!
//! The order, for every place:
//! 1. Discord markup is removed ([`super::markup::question_text`]).
//! 2. An empty question gets the help text (no cooldown starts).
//! 3. `/ask` with an unknown report gets a private note (no cooldown starts: a typo
//!    should not cost a wait).
//! 4. A newsroom channel asks strictly *first*, because it must learn whether it answers
//!    at all: a message it stays silent on never starts a cooldown.
//! 5. The cooldown: a person asking again too soon gets a note (private for `/ask`,
//!    public once per cooldown for mentions, nothing in newsroom channels).
//! 6. "Answered above": a public question answered in the same channel within the
//!    window gets a pointer instead of a copy.
//! 7. The desk is asked (everywhere but newsroom channels, which asked at step 4).
//! 8. A question-log id is reserved, a public answer is remembered (at the channel until
//!    the message is known), and the reply is rendered with its votes tied to the id.
//! 9. Once sent, [`Outcome::sent`] counts it, queues it in the question log and
//!    remembers the answer's message link when the transport knows it.

use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serenity::{ChannelId, GuildId, MessageId, UserId};

use super::cooldown::{question_key, Verdict};
use super::render::{self, echo, Rendered};
use super::Data;
use crate::reply::{Reply, Status};
use crate::store::QuestionId;

/// Where a question was asked: the intended differences between front ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// `/ask`: notes are private, and a `private` answer is neither pointed to nor remembered.
    Command {
        private: bool,
        report: Option<&'a str>,
    },
    /// A mention or a DM: always answered, in public.
    Mention,
    /// A newsroom channel: answered only when the desk is sure, otherwise silence.
    Newsroom,
}

/// The transport that carried the question, counted apart in the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Gateway,
    Http,
}

impl Transport {
    fn metric(self) -> usize {
        match self {
            Transport::Gateway => crate::metrics::GATEWAY,
            Transport::Http => crate::metrics::HTTP,
        }
    }
}

/// Who asked, and in which channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asker {
    pub user: UserId,
    pub guild: Option<GuildId>,
    pub channel: ChannelId,
}

/// The step that decided what is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing is sent.
    Silent,
    Help,
    UnknownReport,
    Cooldown,
    /// A pointer to the same answer given above.
    AnsweredAbove,
    /// The desk's reply, with its status.
    Asked(Status),
    /// Not a question: another command's reply.
    Other,
}

/// What to send, and what to do once it is sent.
#[derive(Debug)]
pub struct Outcome {
    pub step: Step,
    /// `None` when the bot stays silent.
    pub rendered: Option<Rendered>,
    /// Whether only the asker sees it.
    pub private: bool,
    answer: Option<Answer>,
}

/// An answer to count, log and remember once it is sent.
#[derive(Debug)]
struct Answer {
    reply: Reply,
    logged: Option<QuestionId>,
    matching: Duration,
    /// The memory key, when the answer is remembered for "answered above".
    remember: Option<String>,
    asker: Asker,
    transport: Transport,
    started: Instant,
}

impl Outcome {
    fn note(step: Step, rendered: Rendered, private: bool) -> Outcome {
        Outcome {
            step,
            rendered: Some(rendered),
            private,
            answer: None,
        }
    }

    /// Another command's reply: nothing to count, log or remember.
    pub fn reply(rendered: Rendered, private: bool) -> Outcome {
        Outcome::note(Step::Other, rendered, private)
    }

    /// Whether the answer is remembered for "answered above": then [`Outcome::sent`]
    /// wants the message id, when the transport can learn it.
    pub fn remembers(&self) -> bool {
        self.answer.as_ref().is_some_and(|a| a.remember.is_some())
    }

    fn silent() -> Outcome {
        Outcome {
            step: Step::Silent,
            rendered: None,
            private: false,
            answer: None,
        }
    }

    /// Step 9: call once the reply is sent (or failed to be), with its message id when the
    /// transport knows it (an interaction's HTTP response has none: the link then stays
    /// the channel's). Logging stays off the answering path: it is only queued.
    pub async fn sent(self, data: &Data, message: Option<MessageId>) {
        let Some(a) = self.answer else {
            return;
        };
        data.metrics
            .question(a.transport.metric(), a.reply.status, a.started.elapsed());
        data.log_question(
            a.logged,
            &a.reply,
            a.matching,
            a.asker.guild,
            a.asker.channel,
            a.asker.user,
        );
        tracing::debug!(
            micros = a.started.elapsed().as_micros() as u64,
            status = a.reply.status.as_str(),
            entry = a.reply.entry.as_deref().unwrap_or("-"),
            "question answered"
        );
        if let (Some(key), Some(message)) = (a.remember, message) {
            let link = message_link(a.asker.guild, a.asker.channel, message);
            data.remember_answer(a.asker.channel.get(), key, link, Instant::now())
                .await;
        }
    }
}

/// A link to a channel; DMs have no guild.
pub fn channel_link(guild: Option<GuildId>, channel: ChannelId) -> String {
    match guild {
        Some(g) => format!("https://discord.com/channels/{g}/{channel}"),
        None => format!("https://discord.com/channels/@me/{channel}"),
    }
}

/// A link to a message; DMs have no guild.
pub fn message_link(guild: Option<GuildId>, channel: ChannelId, message: MessageId) -> String {
    format!("{}/{message}", channel_link(guild, channel))
}

/// What `/ask` and `/source` say to a report that does not exist.
pub fn unknown_report(id: &str) -> Rendered {
    Rendered::text(format!(
        "I don't know a report called “{}”. Pick one from the list.",
        echo(id)
    ))
}

/// The help text, for an empty question.
fn help() -> Rendered {
    Rendered::text(format!(
        "{}\nUse `/topics` to see every question I can answer.",
        crate::reply::HELP_TEXT
    ))
}

/// Runs the flow (steps 1 to 8, see the module docs) for `raw`, asked at `place` by `asker`.
pub async fn answer(
    data: &Data,
    raw: &str,
    place: Place<'_>,
    asker: Asker,
    transport: Transport,
) -> Outcome {
    let started = Instant::now();
    let question = super::markup::question_text(raw);
    let (private, report) = match place {
        Place::Command { private, report } => (private, report),
        Place::Mention | Place::Newsroom => (false, None),
    };
    // Notes to a command are private; to a message they are a public reply.
    let notes_private = matches!(place, Place::Command { .. });
    if question.is_empty() {
        return match place {
            Place::Newsroom => Outcome::silent(),
            _ => Outcome::note(Step::Help, help(), notes_private),
        };
    }
    let desk = data.desk.load_full();
    let report = report.map(str::trim).filter(|r| !r.is_empty());
    let report_id = match report {
        None => None,
        Some(id) => match desk.knowledge().report_index(id) {
            Some(i) => Some(desk.knowledge().reports[i].id.as_str()),
            None => return Outcome::note(Step::UnknownReport, unknown_report(id), true),
        },
    };
    let asked_first = match place {
        Place::Newsroom => {
            let strict = crate::matcher::Config::newsroom();
            match desk.ask_timed(&question, None, &strict) {
                Ok(a) if a.reply.status == Status::Answered => Some(a),
                _ => return Outcome::silent(),
            }
        }
        _ => None,
    };
    if let Verdict::Wait {
        remaining,
        first_warning,
    } = data.check_cooldown(asker.user.get(), started).await
    {
        let note = render::cooldown_note(remaining);
        return match place {
            Place::Command { .. } => Outcome::note(Step::Cooldown, note, true),
            // One public note per cooldown, so a channel is not spammed.
            Place::Mention if first_warning => Outcome::note(Step::Cooldown, note, false),
            Place::Mention | Place::Newsroom => Outcome {
                step: Step::Cooldown,
                ..Outcome::silent()
            },
        };
    }
    let channel = asker.channel.get();
    let key = question_key(&question, report_id);
    if !private {
        if let Some(earlier) = data.earlier_answer(channel, &key, started).await {
            let pointer = render::repeat_pointer(&earlier.link);
            return Outcome::note(Step::AnsweredAbove, pointer, notes_private);
        }
    }
    let answered = match asked_first {
        Some(a) => a,
        None => match desk.ask_timed(&question, report_id, &desk.matcher().config()) {
            Ok(a) => a,
            // Unreachable with a checked report; said plainly rather than failing.
            Err(e) => {
                return Outcome::note(Step::UnknownReport, Rendered::text(e.to_string()), true)
            }
        },
    };
    let reply = answered.reply;
    let logged = data.reserve_question();
    let remember = (!private && reply.status == Status::Answered).then_some(key);
    if let Some(key) = &remember {
        // Until the message is known, a repeat points at the channel.
        let link = channel_link(asker.guild, asker.channel);
        data.remember_answer(channel, key.clone(), link, started)
            .await;
    }
    Outcome {
        step: Step::Asked(reply.status),
        rendered: Some(render::reply_logged(&reply, logged)),
        private,
        answer: Some(Answer {
            reply,
            logged,
            matching: answered.elapsed,
            remember,
            asker,
            transport,
            started,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arc_swap::ArcSwap;

    use super::*;
    use crate::desk::Desk;
    use crate::discord::Settings;
    use crate::knowledge::KnowledgeBase;

    const CLEAN: &str = "how many countries are they negotiating with?";
    const UNSURE: &str = "what is the weather in paris?";

    fn data(cooldown: Duration) -> Data {
        let mut settings = Settings::new("t");
        settings.cooldown = cooldown;
        settings.repeat_window = Duration::from_secs(60);
        let desk = Desk::new(KnowledgeBase::bundled().expect("bundled knowledge"));
        Data::new(&settings, Arc::new(ArcSwap::from_pointee(desk)))
    }

    fn asker(user: u64) -> Asker {
        Asker {
            user: UserId::new(user),
            guild: Some(GuildId::new(5)),
            channel: ChannelId::new(7),
        }
    }

    const ASK: Place<'static> = Place::Command {
        private: false,
        report: None,
    };

    async fn run(data: &Data, text: &str, place: Place<'_>, user: u64) -> Outcome {
        answer(data, text, place, asker(user), Transport::Gateway).await
    }

    fn text(o: &Outcome) -> String {
        o.rendered
            .as_ref()
            .map(|r| r.content.clone())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_silent_newsroom_message_never_starts_a_cooldown() {
        let data = data(Duration::from_secs(30));
        let unsure = run(&data, UNSURE, Place::Newsroom, 1).await;
        assert_eq!(unsure.step, Step::Silent);
        assert!(unsure.rendered.is_none());
        // Had the unsure message started a cooldown, this would be refused.
        let sure = run(&data, CLEAN, Place::Newsroom, 1).await;
        assert_eq!(sure.step, Step::Asked(Status::Answered));
        assert!(!sure.private);
        // The answered one did start it: silence, not a note, in a newsroom channel.
        let again = run(&data, "who are the sources?", Place::Newsroom, 1).await;
        assert_eq!(again.step, Step::Cooldown);
        assert!(again.rendered.is_none());
    }

    #[tokio::test]
    async fn elsewhere_the_cooldown_comes_before_asking() {
        let data = data(Duration::from_secs(30));
        let first = run(&data, UNSURE, ASK, 1).await;
        assert!(matches!(first.step, Step::Asked(s) if s != Status::Answered));
        // An unanswered question still counts: the cooldown was checked before asking.
        let second = run(&data, CLEAN, ASK, 1).await;
        assert_eq!(second.step, Step::Cooldown);
        assert!(second.private, "a command's cooldown note is private");
        assert!(text(&second).contains("ask again in"), "{}", text(&second));
        // Mentions: one public note per cooldown, then silence.
        let data = self::data(Duration::from_secs(30));
        assert_eq!(
            run(&data, UNSURE, Place::Mention, 2).await.step,
            Step::Asked(Status::Declined)
        );
        let noted = run(&data, CLEAN, Place::Mention, 2).await;
        assert_eq!((noted.step, noted.private), (Step::Cooldown, false));
        assert!(text(&noted).contains("ask again in"));
        let quiet = run(&data, CLEAN, Place::Mention, 2).await;
        assert_eq!(quiet.step, Step::Cooldown);
        assert!(quiet.rendered.is_none(), "only the first warning is sent");
        // Another person is not held back.
        assert_eq!(
            run(&data, UNSURE, Place::Mention, 3).await.step,
            Step::Asked(Status::Declined)
        );
    }

    #[tokio::test]
    async fn a_repeat_in_the_channel_gets_a_pointer_to_the_sent_answer() {
        let data = data(Duration::ZERO);
        let first = run(&data, CLEAN, Place::Mention, 1).await;
        assert_eq!(first.step, Step::Asked(Status::Answered));
        // Before the message is known the pointer leads to the channel.
        let early = run(&data, CLEAN, ASK, 2).await;
        assert_eq!((early.step, early.private), (Step::AnsweredAbove, true));
        assert!(
            text(&early).ends_with("https://discord.com/channels/5/7"),
            "{}",
            text(&early)
        );
        first.sent(&data, Some(MessageId::new(99))).await;
        // Markup, case and closing punctuation do not make it another question.
        let repeat = run(
            &data,
            "<@&1> @here HOW MANY COUNTRIES ARE THEY NEGOTIATING WITH",
            Place::Mention,
            3,
        )
        .await;
        assert_eq!((repeat.step, repeat.private), (Step::AnsweredAbove, false));
        assert!(
            text(&repeat).ends_with("https://discord.com/channels/5/7/99"),
            "{}",
            text(&repeat)
        );
        // A private answer is neither pointed to nor remembered.
        let private = Place::Command {
            private: true,
            report: None,
        };
        let mine = run(&data, CLEAN, private, 4).await;
        assert_eq!(
            (mine.step, mine.private),
            (Step::Asked(Status::Answered), true)
        );
        // Another channel is another conversation.
        let there = Asker {
            channel: ChannelId::new(8),
            ..asker(5)
        };
        let other = answer(&data, CLEAN, Place::Mention, there, Transport::Http).await;
        assert_eq!(other.step, Step::Asked(Status::Answered));
    }

    #[tokio::test]
    async fn empty_questions_and_unknown_reports_start_no_cooldown() {
        let data = data(Duration::from_secs(30));
        let help = run(&data, "<@&1> @here", Place::Mention, 1).await;
        assert_eq!((help.step, help.private), (Step::Help, false));
        assert!(text(&help).contains("/topics"));
        assert_eq!(run(&data, "  ", ASK, 1).await.step, Step::Help);
        assert_eq!(
            run(&data, "<@&1>?", Place::Newsroom, 1).await.step,
            Step::Silent
        );
        let typo = Place::Command {
            private: false,
            report: Some("unheard"),
        };
        let unknown = run(&data, CLEAN, typo, 1).await;
        assert_eq!((unknown.step, unknown.private), (Step::UnknownReport, true));
        assert!(text(&unknown).contains("“unheard”"), "{}", text(&unknown));
        assert_eq!(
            run(&data, CLEAN, ASK, 1).await.step,
            Step::Asked(Status::Answered)
        );
    }

    #[tokio::test]
    async fn answers_are_counted_by_transport_once_sent() {
        let data = data(Duration::ZERO);
        let http = answer(&data, CLEAN, ASK, asker(1), Transport::Http).await;
        let before = data.metrics.render(None, 0);
        http.sent(&data, None).await;
        let after = data.metrics.render(None, 0);
        assert_ne!(before, after, "counted once sent");
        let counted = "factdesk_questions_total{front_end=\"http\",outcome=\"answered\"} 1";
        assert!(after.contains(counted), "{after}");
        let pointer = answer(&data, CLEAN, ASK, asker(2), Transport::Gateway).await;
        assert_eq!(pointer.step, Step::AnsweredAbove);
        pointer.sent(&data, None).await;
        assert_eq!(
            data.metrics.render(None, 0),
            after,
            "a pointer is not a question answered"
        );
    }
}
