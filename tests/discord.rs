//! End-to-end tests of the Discord layer: the real serve code (`factdesk::discord::run`)
//! against a fake Discord on 127.0.0.1, asserting on the JSON the bot sends.

mod fake_discord;

use std::time::{Duration, Instant};

use factdesk::curation::Views as _;
use factdesk::desk::Desk;
use factdesk::discord::render;
use factdesk::knowledge::KnowledgeBase;
use factdesk::store::Reader;
use fake_discord::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn registers_commands_with_options_and_autocomplete() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        let put = bot
            .fake
            .wait_call(|c| c.method == "PUT" && c.path.ends_with("/commands"))
            .await;
        assert_eq!(
            put.path,
            format!("/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
        );
        let commands = put.body.as_array().unwrap();
        let names: Vec<&str> = commands
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ask", "topics", "source", "faq-admin"]);
        // Hidden from non-moderators by default: Manage Server (1 << 5).
        assert_eq!(commands[3]["default_member_permissions"], "32");
        let subs: Vec<&str> = commands[3]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(subs, ["stats", "unanswered", "coverage", "reload"]);
        let ask = &commands[0];
        let options: Vec<&str> = ask["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            options,
            ["question", "private"],
            "one report: no report option"
        );
        assert_eq!(ask["options"][0]["autocomplete"], true);
        assert_eq!(ask["options"][0]["required"], true);
        assert_eq!(ask["options"][1]["type"], 5);
        let source = &commands[2];
        assert_eq!(source["options"][0]["name"], "paragraph");
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn registers_globally_without_a_guild() {
    within(async {
        let bot = Bot::start(|s| s.guild_id = None).await;
        let put = bot
            .fake
            .wait_call(|c| c.method == "PUT" && c.path.ends_with("/commands"))
            .await;
        assert_eq!(put.path, format!("/api/v10/applications/{APP_ID}/commands"));
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_reports_offer_a_report_option() {
    within(async {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
            dir.path(),
        );
        copy_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/second-report/city-bikes"),
            &dir.path().join("city-bikes"),
        );
        let Ok(kb) = KnowledgeBase::load_dir(dir.path()) else {
            eprintln!("skipped: the knowledge folder does not load as two reports right now");
            return;
        };
        let bot = Bot::start_with(kb, |_| {}).await;
        let put = bot
            .fake
            .wait_call(|c| c.method == "PUT" && c.path.ends_with("/commands"))
            .await;
        let ask_options = put.body[0]["options"].to_string();
        assert!(ask_options.contains("\"report\""), "{ask_options}");
        let choices = bot.complete("ask", "report", "").await;
        assert_eq!(choices.len(), 2, "{choices:?}");
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ask_answered_with_source_quote_and_related_buttons() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        let body = bot.ask(GOAL_Q).await;
        assert_eq!(body["type"], 4);
        no_pings(&body);
        let embeds = embed_text(&body);
        assert!(embeds.contains("at least one million migrants"), "{embeds}");
        assert!(embeds.contains("Paragraph 1"), "{embeds}");
        assert!(
            embeds.contains("aims to deport at least one million migrants"),
            "quote: {embeds}"
        );
        assert!(embeds.contains("Confidence 100%"), "{embeds}");
        assert!(embeds.contains("According to"), "{embeds}");
        let all = buttons(&body["data"]);
        let votes: Vec<&String> = all.iter().filter(|id| id.starts_with("fd:vote:")).collect();
        assert_eq!(
            votes,
            [
                "fd:vote:up:goal-one-million",
                "fd:vote:down:goal-one-million"
            ],
            "👍/👎 under every answer"
        );
        let ids: Vec<String> = all
            .iter()
            .filter(|id| !id.starts_with("fd:vote:"))
            .cloned()
            .collect();
        assert!(!ids.is_empty() && ids.len() <= 3, "{ids:?}");
        assert!(ids.iter().all(|id| id.starts_with("fd:entry:")), "{ids:?}");
        assert_eq!(
            body["data"]["flags"].as_u64().unwrap_or(0) & 64,
            0,
            "public by default"
        );

        // A related question's button answers it, privately for the person who clicked.
        let clicked = bot.click(&ids[0], None).await;
        assert_eq!(clicked["type"], 4);
        no_pings(&clicked);
        assert_eq!(clicked["data"]["flags"], 64);
        assert!(embed_text(&clicked).contains("Paragraph"), "{clicked}");

        // private:true is ephemeral.
        let private = bot
            .ask_with(
                "4242",
                &[
                    ("question", json!("who are the sources")),
                    ("private", json!(true)),
                ],
            )
            .await;
        assert_eq!(private["data"]["flags"], 64);
        bot.stop().await;
    })
    .await;
}

/// A question log in a temporary folder, with short writer delays.
#[tokio::test(flavor = "multi_thread")]
async fn questions_and_clicks_are_logged_with_where_and_who() {
    within(async {
        let (_dir, store) = temp_store();
        let bot = Bot::start_logged(knowledge(), Some(store.clone()), |_| {}).await;
        let body = bot.ask(GOAL_Q).await;
        let ids = buttons(&body["data"]);
        assert!(!ids.is_empty(), "{body}");
        bot.click(&ids[0], None).await;
        // A mention is logged too.
        let mention = channel_message(
            &bot.fake.next_id(),
            CHANNEL_ID,
            reader("4343"),
            &format!("<@{BOT_ID}> who are the sources"),
            true,
            vec![bot_user()],
        );
        assert!(bot
            .message(mention, Duration::from_secs(10))
            .await
            .is_some());
        // The /ask, the click and the mention.
        settle(&store, 3).await;

        let path = store.file().expect("a file").to_path_buf();
        let stats = Reader::open(&path)
            .unwrap()
            .stats(Desk::new(knowledge()).matcher(), 7)
            .unwrap();
        assert_eq!(stats.questions, 2, "{stats:?}");
        assert_eq!(stats.answered, 2, "{stats:?}");
        assert_eq!(stats.clicks, 1, "{stats:?}");

        let db = rusqlite::Connection::open(&path).unwrap();
        // The /ask and the mention are logged from separate tasks, so either may come first.
        let (guild, channel, user): (i64, i64, String) = db
            .query_row(
                "SELECT guild, channel, user FROM questions WHERE question = ?1",
                [GOAL_Q],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(guild.to_string(), GUILD_ID);
        assert_eq!(channel.to_string(), CHANNEL_ID);
        assert_eq!(user, store.user_hash(bot.user.parse().unwrap()));
        assert_ne!(user, bot.user, "user ids are never stored in clear");
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn votes_are_acknowledged_privately_kept_once_and_downvotes_reach_moderators() {
    within(async {
        let (_dir, store) = temp_store();
        let mod_channel = "710000000000000009";
        let bot = Bot::start_logged(knowledge(), Some(store.clone()), |s| {
            s.mod_channel = Some(mod_channel.parse().unwrap());
        })
        .await;
        let body = bot.ask(GOAL_Q).await;
        let ids = buttons(&body["data"]);
        let up = ids
            .iter()
            .find(|id| id.starts_with("fd:vote:up:"))
            .expect("a 👍 button");
        let down = ids
            .iter()
            .find(|id| id.starts_with("fd:vote:down:"))
            .expect("a 👎 button");

        let ack = bot.click(up, None).await;
        assert_eq!(ack["type"], 4);
        assert_eq!(ack["data"]["flags"], 64, "acknowledged privately: {ack}");
        no_pings(&ack);
        // Changing one's mind replaces the vote.
        let ack = bot.click(down, None).await;
        assert_eq!(ack["data"]["flags"], 64, "{ack}");
        assert!(
            ack["data"]["content"].as_str().unwrap().contains("👎"),
            "{ack}"
        );

        let path = format!("/api/v10/channels/{mod_channel}/messages");
        let posted = bot
            .fake
            .wait_call(|c| c.method == "POST" && c.path == path)
            .await;
        let text = posted.body.to_string();
        assert!(text.contains(GOAL_Q), "the question: {text}");
        assert!(
            text.contains("at least one million migrants"),
            "the answer: {text}"
        );
        assert_no_pings(&posted.body["allowed_mentions"], &posted.body);

        // The question and two votes.
        settle(&store, 3).await;
        // The vote is tied to the question it answered.
        let tied: i64 = rusqlite::Connection::open(store.file().expect("a file"))
            .unwrap()
            .query_row(
                "SELECT count(*) FROM votes v JOIN questions q ON q.qid = v.qid WHERE q.question = ?1",
                [GOAL_Q],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tied, 1);
        let stats = Reader::open(store.file().expect("a file"))
            .unwrap()
            .stats(Desk::new(knowledge()).matcher(), 7)
            .unwrap();
        let votes: Vec<(u64, u64)> = stats.votes.iter().map(|v| (v.up, v.down)).collect();
        assert_eq!(votes, [(0, 1)], "one vote per person per answer: {stats:?}");
        // A 👍 is not posted to the moderators.
        let posts = bot
            .fake
            .calls()
            .iter()
            .filter(|c| c.method == "POST" && c.path == path)
            .count();
        assert_eq!(posts, 1);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_with_a_broken_file_keeps_the_old_knowledge_serving() {
    within(async {
        let dir = knowledge_copy();
        let kb = KnowledgeBase::load_dir(dir.path()).expect("the copy loads");
        let mod_channel = "710000000000000011";
        let folder = dir.path().to_path_buf();
        let bot = Bot::start_logged(kb, None, |s| {
            s.knowledge_dir = Some(folder);
            s.reload_poll = Duration::from_millis(100);
            s.repeat_window = Duration::ZERO;
            s.mod_channel = Some(mod_channel.parse().unwrap());
        })
        .await;
        let admin = |sub: &'static str| {
            let user = bot.user.clone();
            move |id: &str, tok: &str| admin_command(id, tok, &user, sub, &[], None)
        };
        // An unchanged folder reloads fine.
        let ok = bot.interact(admin("reload")).await;
        assert_eq!(ok["data"]["flags"], 64, "{ok}");
        assert!(
            ok["data"]["content"]
                .as_str()
                .unwrap()
                .starts_with("Reloaded"),
            "{ok}"
        );

        // Break one file: the moderator is told, the old knowledge base keeps answering.
        let entries = dir.path().join("deport-one-million").join("entries.toml");
        let text = std::fs::read_to_string(&entries).unwrap();
        std::fs::write(&entries, format!("{text}\n[[entry]]\nid = \"broken\"\n")).unwrap();
        let refused = bot.interact(admin("reload")).await;
        let content = refused["data"]["content"].as_str().unwrap();
        assert!(content.starts_with("Not reloaded"), "{content}");
        assert!(content.contains("problem"), "{content}");
        let body = bot.ask(GOAL_Q).await;
        assert!(
            embed_text(&body).contains("at least one million migrants"),
            "{body}"
        );

        // The automatic reload saw the change too, and told the moderator channel.
        let path = format!("/api/v10/channels/{mod_channel}/messages");
        let posted = bot
            .fake
            .wait_call(|c| c.method == "POST" && c.path == path)
            .await;
        assert!(
            posted.body["content"]
                .as_str()
                .unwrap()
                .contains("problems"),
            "{}",
            posted.body
        );
        let body = bot.ask(GOAL_Q).await;
        assert!(
            embed_text(&body).contains("at least one million migrants"),
            "{body}"
        );
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_knowledge_folder_goes_live_by_itself() {
    within(async {
        let dir = knowledge_copy();
        let kb = KnowledgeBase::load_dir(dir.path()).expect("the copy loads");
        let folder = dir.path().to_path_buf();
        let bot = Bot::start_logged(kb, None, |s| {
            s.knowledge_dir = Some(folder);
            s.reload_poll = Duration::from_millis(100);
            s.repeat_window = Duration::ZERO;
        })
        .await;
        let entries = dir.path().join("deport-one-million").join("entries.toml");
        let text = std::fs::read_to_string(&entries).unwrap();
        let changed = text.replacen(
            "answer = \"The goal is for",
            "answer = \"Reloaded: the goal is for",
            1,
        );
        assert_ne!(text, changed);
        std::fs::write(&entries, changed).unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let body = bot.ask(GOAL_Q).await;
            if embed_text(&body).contains("Reloaded: the goal is for") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the change never went live: {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_moderator_role_is_enough() {
    within(async {
        let (_dir, store) = temp_store();
        let bot = Bot::start_logged(knowledge(), Some(store), |s| {
            s.mod_role = Some(333);
        })
        .await;
        let body = bot
            .interact(|id, tok| {
                let mut v = admin_command(id, tok, "6161", "stats", &[], Some("0"));
                v["member"]["roles"] = json!(["333"]);
                v
            })
            .await;
        let text = body["data"]["content"].as_str().unwrap();
        assert!(text.contains("question(s)"), "{text}");
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn moderators_see_stats_and_unanswered_others_are_refused() {
    within(async {
        let (_dir, store) = temp_store();
        let bot = Bot::start_logged(knowledge(), Some(store.clone()), |_| {}).await;
        bot.ask(GOAL_Q).await;
        bot.ask("what is the weather on mars tomorrow").await;
        settle(&store, 2).await;
        let user = bot.user.clone();

        let stats = bot
            .interact(|id, tok| admin_command(id, tok, &user, "stats", &[("days", json!(7))], None))
            .await;
        assert_eq!(stats["data"]["flags"], 64, "{stats}");
        no_pings(&stats);
        let text = stats["data"]["content"].as_str().unwrap();
        assert!(text.contains("2 question(s)"), "{text}");
        assert!(text.contains("goal-one-million"), "{text}");

        let unanswered = bot
            .interact(|id, tok| admin_command(id, tok, &user, "unanswered", &[], None))
            .await;
        let text = unanswered["data"]["content"].as_str().unwrap();
        assert!(text.contains("weather on mars"), "{text}");

        // Without Manage Server (and no moderator role), a private refusal.
        for sub in ["stats", "unanswered", "reload"] {
            let refused = bot
                .interact(|id, tok| admin_command(id, tok, "5151", sub, &[], Some("0")))
                .await;
            assert_eq!(refused["data"]["flags"], 64, "{refused}");
            let text = refused["data"]["content"].as_str().unwrap();
            assert!(text.starts_with("Only moderators"), "{sub}: {text}");
        }
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ask_suggested_offers_did_you_mean_buttons_that_answer() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        let body = bot.ask("numbers").await;
        no_pings(&body);
        let content = body["data"]["content"].as_str().unwrap();
        assert!(content.starts_with("Not sure — did you mean"), "{content}");
        let ids = buttons(&body["data"]);
        assert!((1..=3).contains(&ids.len()), "{ids:?}");
        let answer = bot.click(&ids[0], None).await;
        assert!(embed_text(&answer).contains("Paragraph"), "{answer}");
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ask_declined_says_so_with_topics_gap_note_and_help() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        let body = bot.ask("what is the weather in paris").await;
        no_pings(&body);
        let content = body["data"]["content"].as_str().unwrap();
        assert!(content.starts_with("The report doesn't say."), "{content}");
        assert!(content.contains("It covers: "), "{content}");
        assert!(content.contains("/topics"), "{content}");

        let gap = bot.ask("how much will it cost?").await;
        let content = gap["data"]["content"].as_str().unwrap();
        assert!(content.starts_with("The report doesn't say: "), "{content}");
        assert!(
            !content.to_lowercase().contains("say. the report does")
                && !content.to_lowercase().contains("say: the report does"),
            "said twice: {content}"
        );
        assert!(
            content.len() > "The report doesn't say: ".len() + 10,
            "gap note: {content}"
        );

        let hello = bot.ask("hello").await;
        assert!(
            hello["data"]["content"]
                .as_str()
                .unwrap()
                .starts_with(factdesk::reply::HELP_TEXT),
            "{hello}"
        );
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn autocomplete_is_ranked_bounded_and_typo_tolerant() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        let empty = bot.complete("ask", "question", "").await;
        assert!(!empty.is_empty() && empty.len() <= 25, "{empty:?}");

        let typo = bot.complete("ask", "question", "deprtation goal").await;
        assert!(!typo.is_empty() && typo.len() <= 25);
        assert_eq!(typo[0]["name"], GOAL_Q, "best first: {typo:?}");

        // The last word is still being typed: a prefix, with or without a slip.
        let orders = bot.complete("ask", "question", "deprtation ord").await;
        let first = orders[0]["value"].as_str().unwrap_or_default();
        assert!(
            first.contains("final deportation orders"),
            "final orders first: {orders:?}"
        );
        for partial in ["guant", "gaunt"] {
            let guantanamo = bot.complete("ask", "question", partial).await;
            assert_eq!(
                guantanamo[0]["value"], "Where has the administration already sent migrants?",
                "{partial}: {guantanamo:?}"
            );
        }

        for partial in [
            "how",
            "d",
            "x".repeat(7000).as_str(),
            "🦀🦀 ✨",
            "<@1> @everyone",
        ] {
            let choices = bot.complete("ask", "question", partial).await;
            assert!(choices.len() <= 25);
            for c in &choices {
                assert!(c["name"].as_str().unwrap().chars().count() <= 100, "{c}");
                assert!(c["value"].as_str().unwrap().chars().count() <= 100, "{c}");
            }
        }
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mentions_and_dms_are_answered_as_replies() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        let text = format!("<@{BOT_ID}> {GOAL_Q}");
        let msg = channel_message(
            &bot.fake.next_id(),
            CHANNEL_ID,
            reader("31"),
            &text,
            true,
            vec![bot_user()],
        );
        let reply = bot
            .message(msg, Duration::from_secs(10))
            .await
            .expect("a reply to the mention");
        assert_no_pings(&reply["allowed_mentions"], &reply);
        assert!(
            reply["embeds"]
                .to_string()
                .contains("at least one million migrants"),
            "{reply}"
        );
        assert_eq!(reply["message_reference"]["channel_id"], CHANNEL_ID);

        let dm = channel_message(
            &bot.fake.next_id(),
            DM_CHANNEL_ID,
            reader("32"),
            "who are the sources",
            false,
            vec![],
        );
        let reply = bot
            .message(dm, Duration::from_secs(10))
            .await
            .expect("a reply to the DM");
        assert_no_pings(&reply["allowed_mentions"], &reply);
        assert!(reply["embeds"].to_string().contains("Paragraph"), "{reply}");

        // A bare mention gets the help text.
        let bare = channel_message(
            &bot.fake.next_id(),
            CHANNEL_ID,
            reader("33"),
            &format!("<@{BOT_ID}>"),
            true,
            vec![bot_user()],
        );
        let reply = bot
            .message(bare, Duration::from_secs(10))
            .await
            .expect("help");
        assert!(reply["content"]
            .as_str()
            .unwrap()
            .starts_with(factdesk::reply::HELP_TEXT));

        // Messages without a mention in ordinary channels, and from bots or webhooks, are ignored.
        let plain = channel_message(
            &bot.fake.next_id(),
            CHANNEL_ID,
            reader("34"),
            GOAL_Q,
            true,
            vec![],
        );
        assert!(bot
            .message(plain, Duration::from_millis(500))
            .await
            .is_none());
        let from_bot = channel_message(
            &bot.fake.next_id(),
            CHANNEL_ID,
            user("35", "otherbot", true),
            &text,
            true,
            vec![bot_user()],
        );
        assert!(bot
            .message(from_bot, Duration::from_millis(500))
            .await
            .is_none());
        let mut hook = channel_message(
            &bot.fake.next_id(),
            CHANNEL_ID,
            reader("36"),
            &text,
            true,
            vec![bot_user()],
        );
        hook["webhook_id"] = json!("123456789012345678");
        assert!(bot
            .message(hook, Duration::from_millis(500))
            .await
            .is_none());
        let own = channel_message(
            &bot.fake.next_id(),
            DM_CHANNEL_ID,
            bot_user(),
            "who are the sources",
            false,
            vec![],
        );
        assert!(bot.message(own, Duration::from_millis(500)).await.is_none());
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn topics_paginate_and_picking_answers() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        let body = bot
            .interact(|id, tok| command(id, tok, "41", "topics", &[]))
            .await;
        no_pings(&body);
        assert_eq!(body["data"]["flags"], 64);
        let title = body["data"]["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(title.starts_with("What I can answer (1/"), "{title}");
        let ids = buttons(&body["data"]);
        assert!(ids.contains(&"fd:pick".to_string()), "{ids:?}");
        let next = ids
            .iter()
            .find(|i| i.ends_with(":next"))
            .expect("a next button")
            .clone();

        let page2 = bot.click(&next, None).await;
        assert_eq!(page2["type"], 7, "updates the message in place");
        no_pings(&page2);
        assert!(page2["data"]["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("What I can answer (2/"));

        let option = body["data"]["components"][0]["components"][0]["options"][0]["value"]
            .as_str()
            .unwrap()
            .to_string();
        let picked = bot.click("fd:pick", Some(&[option.as_str()])).await;
        assert_eq!(picked["type"], 4);
        assert!(embed_text(&picked).contains("Paragraph"), "{picked}");

        // Pages out of range and unknown entries are handled, not crashed on.
        let far = bot.click("fd:topics:9999:next", None).await;
        assert_eq!(far["type"], 7);
        let gone = bot.click("fd:entry:no-such-entry", None).await;
        assert!(gone["data"]["content"]
            .as_str()
            .unwrap()
            .contains("/topics"));
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn source_shows_report_and_paragraph_verbatim() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        let body = bot
            .interact(|id, tok| command(id, tok, "51", "source", &[]))
            .await;
        no_pings(&body);
        let embeds = embed_text(&body);
        assert!(embeds.contains("According to"), "{embeds}");
        assert!(embeds.contains("paragraph"), "{embeds}");

        let para = bot
            .interact(|id, tok| command(id, tok, "51", "source", &[("paragraph", json!(1))]))
            .await;
        assert!(embed_text(&para).contains("Paragraph 1"), "{para}");
        let missing = bot
            .interact(|id, tok| command(id, tok, "51", "source", &[("paragraph", json!(999))]))
            .await;
        assert!(
            missing["data"]["content"]
                .as_str()
                .unwrap()
                .contains("no paragraph 999"),
            "{missing}"
        );
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cooldown_and_repeated_questions() {
    within(async {
        let bot = Bot::start(|s| s.cooldown = Duration::from_secs(30)).await;
        let first = bot.ask_with("61", &[("question", json!(GOAL_Q))]).await;
        assert!(embed_text(&first).contains("Paragraph"));
        let second = bot
            .ask_with("61", &[("question", json!("who are the sources"))])
            .await;
        assert_eq!(second["data"]["flags"], 64, "cooldown note is private");
        assert!(
            second["data"]["content"]
                .as_str()
                .unwrap()
                .contains("ask again in"),
            "{second}"
        );

        // Another person asking the same question in the same channel gets a pointer to the answer.
        bot.fake
            .wait_call(|c| c.method == "GET" && c.path.ends_with("/messages/@original"))
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let repeat = bot
            .ask_with(
                "62",
                &[("question", json!(format!("  {}  ", GOAL_Q.to_uppercase())))],
            )
            .await;
        let content = repeat["data"]["content"].as_str().unwrap_or_default();
        let link = format!("https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/");
        assert!(content.contains(&link), "{repeat}");
        assert_eq!(repeat["data"]["flags"], 64);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn newsroom_answers_only_confident_questions() {
    within(async {
        let bot = Bot::start(|s| {
            s.newsroom_channels
                .insert(CHANNEL_ID.parse().unwrap())
                .then_some(())
                .unwrap()
        })
        .await;
        let sure = channel_message(
            &bot.fake.next_id(),
            CHANNEL_ID,
            reader("71"),
            GOAL_Q,
            true,
            vec![],
        );
        let reply = bot
            .message(sure, Duration::from_secs(10))
            .await
            .expect("a confident answer");
        assert!(reply["embeds"].to_string().contains("at least one million"));
        assert_no_pings(&reply["allowed_mentions"], &reply);

        for text in [
            "orders?",
            "what is the weather in paris?",
            "great article",
            "how much will it cost?",
        ] {
            let msg = channel_message(
                &bot.fake.next_id(),
                CHANNEL_ID,
                reader("72"),
                text,
                true,
                vec![],
            );
            assert!(
                bot.message(msg, Duration::from_millis(700)).await.is_none(),
                "answered {text:?}"
            );
        }
        // Other channels still need a mention.
        let elsewhere = channel_message(
            &bot.fake.next_id(),
            "700000000000000002",
            reader("73"),
            GOAL_Q,
            true,
            vec![],
        );
        assert!(bot
            .message(elsewhere, Duration::from_millis(700))
            .await
            .is_none());
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mass_mentions_and_markdown_are_escaped_and_never_ping() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        let nasty = "@everyone @here <@123> <#456> <@&789> **bold** [x](https://evil.example) what is the weather?";
        let body = bot.ask(nasty).await;
        no_pings(&body);
        let content = body["data"]["content"].as_str().unwrap();
        assert!(content.contains("You asked: "), "{content}");
        for raw in ["@everyone", "@here", "<@123>", "<#456>", "<@&789>", "**bold**", "https://evil"] {
            assert!(!content.contains(raw), "{raw} unescaped in {content}");
        }
        let long = bot.ask(&"why ".repeat(2000)).await;
        assert!(long["data"]["content"].as_str().unwrap().chars().count() <= 2000);

        let msg = channel_message(&bot.fake.next_id(), CHANNEL_ID, reader("81"), &format!("<@{BOT_ID}> {nasty}"), true, vec![bot_user()]);
        let reply = bot.message(msg, Duration::from_secs(10)).await.unwrap();
        assert_no_pings(&reply["allowed_mentions"], &reply);
        assert!(!reply["content"].as_str().unwrap().contains("@everyone"));
        bot.stop().await;
    })
    .await;
}

/// A role ping, `@here`, emoji or the bot's own mention around a question change nothing:
/// the same answer as the clean question, by `/ask` and by mention.
#[tokio::test(flavor = "multi_thread")]
async fn discord_markup_around_a_question_gets_the_clean_answer() {
    within(async {
        // Each is asked again in the same channel: no "answered above" pointer here.
        let bot = Bot::start(|s| s.repeat_window = Duration::ZERO).await;
        let clean = "how many countries are they negotiating with?";
        let expected = embed_text(&bot.ask(clean).await);
        assert!(!expected.is_empty(), "the clean question is answered");
        for wrapped in [
            format!("<@&123> @everyone @here {clean}"),
            format!("<:think:123456> {clean} <a:wave:654321>"),
            format!("<t:1700000000:R> ||{clean}||"),
            format!("{clean} <@{BOT_ID}>"),
        ] {
            let body = bot.ask(&wrapped).await;
            no_pings(&body);
            assert_eq!(embed_text(&body), expected, "{wrapped}");
        }
        let msg = channel_message(
            &bot.fake.next_id(),
            CHANNEL_ID,
            reader("82"),
            &format!("<@&123> @here <@{BOT_ID}> {clean}"),
            true,
            vec![bot_user()],
        );
        let reply = bot.message(msg, Duration::from_secs(10)).await.unwrap();
        assert_no_pings(&reply["allowed_mentions"], &reply);
        let text = reply["embeds"][0]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(!text.is_empty() && expected.contains(text), "{reply}");
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_and_oversized_events_do_not_stop_the_bot() {
    within(async {
        let bot = Bot::start(|_| {}).await;
        bot.fake.send_raw("this is not json {{{".into()).await;
        bot.fake
            .send_raw(
                json!({"op": 0, "s": 900, "t": "INTERACTION_CREATE", "d": {"nonsense": true}})
                    .to_string(),
            )
            .await;
        bot.fake.dispatch("SOMETHING_NEW", json!({"x": 1})).await;
        bot.fake
            .dispatch("INTERACTION_CREATE", json!({"id": "1", "type": 2}))
            .await;
        let huge = "🦀\u{202e}é\u{0}".repeat(50_000);
        let body = bot.ask(&huge).await;
        assert_eq!(body["type"], 4, "an oversized question still gets a reply");
        // Unknown command names and unknown components are not crashes either.
        let (id, tok) = (bot.fake.next_id(), bot.token());
        bot.fake
            .dispatch("INTERACTION_CREATE", command(&id, &tok, "91", "nope", &[]))
            .await;
        let (id, tok) = (bot.fake.next_id(), bot.token());
        bot.fake
            .dispatch(
                "INTERACTION_CREATE",
                click(&id, &tok, "91", "someone-else:button", None),
            )
            .await;

        let normal = bot.ask(GOAL_Q).await;
        assert!(
            embed_text(&normal).contains("at least one million"),
            "{normal}"
        );
        bot.stop().await;
    })
    .await;
}

// ---------------------------------------------------------------- the binary

fn serve_command(dir: &std::path::Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_factdesk"));
    // An empty folder: no .env is picked up, and nothing is inherited by accident.
    cmd.arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.kill_on_drop(true);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_without_a_token_says_what_to_set() {
    within(async {
        let dir = tempfile::tempdir().unwrap();
        let out = serve_command(dir.path()).output().await.unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("DISCORD_TOKEN") && stderr.contains(".env.example"),
            "{stderr}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_with_a_corrupt_question_log_says_what_to_do() {
    within(async {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.db"), vec![0x5a_u8; 8192]).unwrap();
        let out = serve_command(dir.path())
            .env("DISCORD_TOKEN", "fake-token")
            .env("DISCORD_API_BASE", "http://127.0.0.1:9")
            .env("FACTDESK_DB", "bad.db")
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("bad.db") && stderr.contains("not a valid factdesk database"),
            "{stderr}"
        );
        assert!(stderr.contains("Move it aside"), "{stderr}");
    })
    .await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn serve_connects_prints_the_invite_and_stops_on_sigterm() {
    within(async {
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().unwrap();
        let child = serve_command(dir.path())
            .env("DISCORD_TOKEN", "fake-token")
            .env("DISCORD_API_BASE", fake.api_base())
            .env("DISCORD_GUILD_ID", GUILD_ID)
            .stderr(std::process::Stdio::piped())
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        fake.wait_call(|c| c.method == "PUT" && c.path.ends_with("/commands"))
            .await;
        let pid = child.id().unwrap().to_string();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let killed = tokio::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(killed.success());
        let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        assert!(
            out.status.success(),
            "clean exit on SIGTERM: {:?}",
            out.status
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "client_id={APP_ID}&scope=bot+applications.commands&permissions=277025475584"
            )),
            "{stderr}"
        );
    })
    .await;
}

// ---------------------------------------------------------------- snapshots
// Built from hand-made replies and a tiny knowledge base, so they change only when the
// rendering does, not when the curated knowledge or the matcher is tuned.

use factdesk::reply::{Citation, Decline, Reply, Status, Suggestion};

fn suggestion(entry: &str, question: &str) -> Suggestion {
    Suggestion {
        entry: entry.into(),
        question: question.into(),
    }
}

fn base_reply(question: &str, status: Status) -> Reply {
    Reply {
        question: question.into(),
        status,
        entry: None,
        report: None,
        answer: None,
        settles: None,
        confidence: 0.0,
        citation: None,
        related: vec![],
        suggestions: vec![],
        decline: None,
        note: None,
        topics: vec![],
        more_topics: 0,
        also: vec![],
    }
}

fn snap(reply: &Reply) -> String {
    pretty(render::reply(reply).to_json())
}

fn pretty(v: Value) -> String {
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn snapshot_answered() {
    let reply = Reply {
        entry: Some("libraries-count".into()),
        report: Some("town".into()),
        answer: Some("Eastbrook plans to open 3 new libraries next year.".into()),
        confidence: 0.934,
        citation: Some(Citation {
            report: "town".into(),
            title: "Eastbrook *libraries*".into(),
            attribution: "The town council".into(),
            paragraph: 1,
            quote: "will open 3 new libraries next year".into(),
            published: None,
            url: Some("https://example.org/eastbrook".into()),
            detail: None,
        }),
        related: vec![suggestion(
            "libraries-cost",
            "How much do the libraries cost?",
        )],
        ..base_reply("how many libraries <@1>?", Status::Answered)
    };
    insta::assert_snapshot!("answered", snap(&reply));
}

#[test]
fn snapshot_answered_from_the_byline() {
    let reply = Reply {
        report: Some("town".into()),
        answer: Some("“Eastbrook libraries” is by Jo Park.".into()),
        confidence: 1.0,
        citation: Some(Citation {
            report: "town".into(),
            title: "Eastbrook libraries".into(),
            attribution: "The town council".into(),
            paragraph: 0,
            quote: "By Jo Park".into(),
            published: Some("2026-11-20".into()),
            url: None,
            detail: Some(factdesk::metadata::Detail::Byline),
        }),
        ..base_reply("who wrote this?", Status::Answered)
    };
    insta::assert_snapshot!("answered_from_the_byline", snap(&reply));
}

#[test]
fn snapshot_answered_two_questions() {
    let citation = |paragraph, quote: &str| Citation {
        report: "town".into(),
        title: "Eastbrook libraries".into(),
        attribution: "The town council".into(),
        paragraph,
        quote: quote.into(),
        published: None,
        url: None,
        detail: None,
    };
    let second = Reply {
        entry: Some("libraries-cost".into()),
        answer: Some("The libraries will cost $4 million.".into()),
        confidence: 0.9,
        citation: Some(citation(2, "at a cost of $4 million")),
        ..base_reply("how much will they cost @everyone", Status::Answered)
    };
    let reply = Reply {
        entry: Some("libraries-count".into()),
        answer: Some("Eastbrook plans to open 3 new libraries next year.".into()),
        confidence: 0.95,
        citation: Some(citation(1, "will open 3 new libraries next year")),
        also: vec![second],
        ..base_reply(
            "how many libraries, and how much will they cost @everyone",
            Status::Answered,
        )
    };
    insta::assert_snapshot!("answered_two_questions", snap(&reply));
}

#[test]
fn snapshot_suggested() {
    let reply = Reply {
        confidence: 0.61,
        suggestions: vec![
            suggestion("libraries-count", "How many libraries will Eastbrook open?"),
            suggestion("libraries-cost", "How much do the libraries cost?"),
        ],
        ..base_reply("libraries?", Status::Suggested)
    };
    insta::assert_snapshot!("suggested", snap(&reply));
}

#[test]
fn snapshot_declined() {
    let reply = Reply {
        decline: Some(Decline::NotCovered),
        topics: vec!["The plan".into(), "Critics".into()],
        ..base_reply(
            "what is the weather? @everyone **now** https://x.example",
            Status::Declined,
        )
    };
    insta::assert_snapshot!("declined", snap(&reply));
}

#[test]
fn snapshot_known_gap() {
    let reply = Reply {
        entry: Some("gap-opening-date".into()),
        decline: Some(Decline::KnownGap),
        note: Some("The report gives no opening dates.".into()),
        topics: vec!["The plan".into()],
        suggestions: vec![suggestion(
            "libraries-count",
            "How many libraries will Eastbrook open?",
        )],
        confidence: 0.9,
        ..base_reply("when do they open?", Status::Declined)
    };
    insta::assert_snapshot!("known_gap", snap(&reply));
}

#[test]
fn snapshot_small_talk() {
    let reply = Reply {
        decline: Some(Decline::SmallTalk),
        ..base_reply("hi", Status::Declined)
    };
    insta::assert_snapshot!("small_talk", snap(&reply));
}

fn tiny_kb() -> KnowledgeBase {
    let entries = (1..=12)
        .map(|i| {
            let topic = if i <= 7 { "The plan" } else { "Costs" };
            format!(
                "[[entry]]\nid = \"fact-{i}\"\ntopic = \"{topic}\"\nquestion = \"Question number {i} about *libraries*?\"\n\
                 variants = [\"variant a {i}\", \"variant b {i}\", \"variant c {i}\"]\n\
                 answer = \"Answer {i}.\"\nsource = {{ paragraph = 1, quote = \"open 3 new libraries\" }}\n\n"
            )
        })
        .collect::<String>();
    let files = factdesk::knowledge::SourceFiles::from_pairs([
        ("vocabulary.toml".into(), "stop_words = [\"the\"]\nchitchat = [\"hi\"]\n".to_string()),
        (
            "town/report.toml".into(),
            "id = \"town\"\ntitle = \"Eastbrook libraries\"\nattribution = \"The town council\"\nlanguage = \"en\"\n".to_string(),
        ),
        ("town/article.txt".into(), "The town will open 3 new libraries next year.\nThe *mayor* said <@1> @everyone.\n".to_string()),
        ("town/entries.toml".into(), entries),
    ]);
    KnowledgeBase::from_files(&files, "test").expect("the tiny knowledge base is valid")
}

#[test]
fn snapshot_topics_pages() {
    let kb = tiny_kb();
    insta::assert_snapshot!(
        "topics_page_1",
        pretty(render::topics_page(&kb, 0).to_json())
    );
    insta::assert_snapshot!(
        "topics_page_2",
        pretty(render::topics_page(&kb, 1).to_json())
    );
}

#[test]
fn snapshot_source_paragraph() {
    let kb = tiny_kb();
    insta::assert_snapshot!("source", pretty(render::source(&kb, None, None).to_json()));
    insta::assert_snapshot!(
        "source_paragraph_2",
        pretty(render::source(&kb, None, Some(2)).to_json())
    );
}

// ---------------------------------------------------------------- timing

/// Time from the fake pushing an interaction to it receiving the reply, over 1,000 asks and
/// 1,000 autocompletes. Run with:
/// `cargo test --release --test discord -- --ignored --nocapture reply_latency`
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn reply_latency() {
    let bot = Bot::start(|s| s.repeat_window = Duration::ZERO).await;
    let questions = [
        GOAL_Q,
        "who are the sources",
        "courts",
        "what is the weather in paris",
        "deprtation goal",
    ];
    let mut asks = Vec::new();
    let mut completes = Vec::new();
    for i in 0..1000 {
        let q = questions[i % questions.len()];
        asks.push(bot.time_ask(q).await);

        let (id, tok) = (bot.fake.next_id(), bot.token());
        let partial = &q[..q.len().min(1 + i % 20)];
        let sent = Instant::now();
        bot.fake
            .dispatch(
                "INTERACTION_CREATE",
                autocomplete(&id, &tok, "99", "ask", "question", partial),
            )
            .await;
        let call = bot.fake.callback(&tok).await;
        completes.push(call.at.duration_since(sent));
    }
    let report = |name: &str, v: &mut Vec<Duration>| {
        v.sort();
        let p = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
        println!(
            "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
            v.len(),
            p(0.5).as_secs_f64() * 1e3,
            p(0.99).as_secs_f64() * 1e3,
            v.last().unwrap().as_secs_f64() * 1e3
        );
        p(0.99)
    };
    let ask_p99 = report("/ask", &mut asks);
    let complete_p99 = report("autocomplete", &mut completes);
    bot.stop().await;
    assert!(ask_p99 <= Duration::from_millis(20), "/ask p99 {ask_p99:?}");
    assert!(
        complete_p99 <= Duration::from_millis(10),
        "autocomplete p99 {complete_p99:?}"
    );
}

/// `/ask` from interaction to reply, with and without the question log, in alternating
/// blocks so that other load on the machine hits both alike. A measurement, not a check:
/// `cargo test --release --test discord -- --ignored --nocapture logging_on_and_off`
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn logging_on_and_off() {
    let (_dir, store) = temp_store();
    let on = Bot::start_logged(knowledge(), Some(store.clone()), |s| {
        s.repeat_window = Duration::ZERO
    })
    .await;
    let off = Bot::start(|s| s.repeat_window = Duration::ZERO).await;
    let questions = [GOAL_Q, "who are the sources", "courts", "deprtation goal"];
    let (mut with_log, mut without) = (Vec::new(), Vec::new());
    for round in 0..20 {
        for (bot, times) in [(&on, &mut with_log), (&off, &mut without)] {
            for i in 0..50 {
                times.push(bot.time_ask(questions[(round + i) % questions.len()]).await);
            }
        }
    }
    settle(&store, 1000).await;
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    let (a, b) = (median(&mut with_log), median(&mut without));
    println!(
        "/ask median, 1,000 each: logging on {a:.3} ms, off {b:.3} ms ({:+.1} %); store: {}",
        (a / b - 1.0) * 100.0,
        store.health().summary()
    );
    on.stop().await;
    off.stop().await;
}
