//! Moderators in chat, end to end against the fake Discord: unanswered clusters reach the
//! moderator channel, and one click adds a phrasing, drafts an entry or dismisses them;
//! accepted changes land in the knowledge folder and answer the next question at once.
//! A question log that can't be written is reported there too, while answering goes on.

mod fake_discord;

use std::path::Path;
use std::time::Duration;

use factdesk::knowledge::KnowledgeBase;
use fake_discord::*;
use serde_json::{json, Value};

const MOD_CHANNEL: &str = "710000000000000021";
/// Not answered by the shipped knowledge base (each test checks).
const WORDING: &str = "so what's the magic number";
const DESAI: &str = "what channel did desai use to reach the paper";

fn content(body: &Value) -> String {
    body["data"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn field(form: &Value, name: &str) -> String {
    form["data"]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find(|c| c["custom_id"] == name)
        .and_then(|c| c["value"].as_str().map(str::to_string))
        .unwrap_or_default()
}

async fn start(folder: Option<&Path>, store: &factdesk::store::Store) -> Bot {
    let folder = folder.map(Path::to_path_buf);
    let kb = match &folder {
        Some(f) => KnowledgeBase::load_dir(f).unwrap(),
        None => knowledge(),
    };
    Bot::start_logged(kb, Some(store.clone()), |s| {
        s.knowledge_dir = folder;
        s.mod_channel = Some(MOD_CHANNEL.parse().unwrap());
        s.alert_poll = Duration::from_millis(100);
        s.alert_asks = 3;
        s.repeat_window = Duration::ZERO;
    })
    .await
}

async fn unanswered(bot: &Bot) -> Value {
    let user = bot.user.clone();
    bot.interact(|id, tok| admin_command(id, tok, &user, "unanswered", &[], None))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_reaching_three_asks_is_posted_and_one_pick_makes_it_answered() {
    within(async {
        let dir = knowledge_copy();
        let (_db, store) = temp_store();
        let bot = start(Some(dir.path()), &store).await;
        for user in ["5001", "5002", "5003"] {
            let body = bot.ask_with(user, &[("question", json!(WORDING))]).await;
            assert!(
                body["data"]["embeds"][0].is_null(),
                "not answered yet: {body}"
            );
        }
        let path = format!("/api/v10/channels/{MOD_CHANNEL}/messages");
        let post = bot
            .fake
            .wait_call(|c| {
                c.method == "POST" && c.path == path && c.body.to_string().contains(WORDING)
            })
            .await;
        assert_no_pings(&post.body["allowed_mentions"], &post.body);
        let text = post.body["content"].as_str().unwrap();
        assert!(text.contains("asked 3 times"), "{text}");
        let ids = buttons(&post.body);
        assert_eq!(ids.len(), 3, "add, draft, dismiss: {ids:?}");
        assert!(ids[0].starts_with("fd:cl:add:"), "{ids:?}");

        // Not for everyone.
        let refused = bot.click_as("5151", Some("0"), &ids[0], None).await;
        assert!(
            content(&refused).starts_with("Only moderators"),
            "{refused}"
        );

        // The menu offers the entry people most likely meant, among others.
        let menu = bot.click(&ids[0], None).await;
        assert_eq!(menu["data"]["flags"], 64, "{menu}");
        let select = &menu["data"]["components"][0]["components"][0];
        let pick = select["custom_id"].as_str().unwrap().to_string();
        assert!(pick.starts_with("fd:cl:pick:"), "{menu}");
        let options = select["options"].as_array().unwrap();
        assert!((2..=25).contains(&options.len()), "{}", options.len());
        assert!(options.iter().any(|o| o["value"] == "goal-one-million"));

        let done = bot.click(&pick, Some(&["goal-one-million"])).await;
        assert_eq!(done["type"], 7, "the menu message is updated: {done}");
        assert!(content(&done).contains("It is live now"), "{done}");

        // The next identical question is answered, from the folder's new additions file.
        let body = bot.ask_with("5004", &[("question", json!(WORDING))]).await;
        assert!(
            embed_text(&body).contains("at least one million"),
            "answered now: {body}"
        );
        let additions =
            std::fs::read_to_string(dir.path().join("deport-one-million").join("additions.toml"))
                .unwrap();
        assert!(additions.contains(WORDING), "{additions}");
        KnowledgeBase::load_dir(dir.path()).expect("the folder still validates");

        // Fixed clusters leave the list and are not posted again.
        settle(&store, 5).await;
        let list = unanswered(&bot).await;
        assert!(!content(&list).contains(WORDING), "{list}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let posts = bot
            .fake
            .calls()
            .iter()
            .filter(|c| c.path == path && c.body.to_string().contains(WORDING))
            .count();
        assert_eq!(posts, 1);
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_draft_is_refused_with_the_reason_kept_and_fixed() {
    within(async {
        let dir = knowledge_copy();
        let (_db, store) = temp_store();
        let bot = start(Some(dir.path()), &store).await;
        for user in ["6001", "6002"] {
            let body = bot.ask_with(user, &[("question", json!(DESAI))]).await;
            assert!(body["data"]["embeds"][0].is_null(), "not answered yet: {body}");
        }
        settle(&store, 2).await;
        let list = unanswered(&bot).await;
        assert!(content(&list).contains(DESAI), "{list}");
        let draft = buttons(&list["data"])
            .into_iter()
            .find(|b| b.starts_with("fd:cl:draft:"))
            .expect("a new-entry button");

        let form = bot.click(&draft, None).await;
        assert_eq!(form["type"], 9, "a form opens: {form}");
        let submit = form["data"]["custom_id"].as_str().unwrap().to_string();
        assert!(submit.starts_with("fd:cl:submit:"), "{form}");
        assert_eq!(field(&form, "question"), DESAI, "prefilled with the asked question");

        let answer = "The spokesman, Kush Desai, replied to the newspaper by email instead of answering its questions.";
        let mut fields = vec![
            ("question", "How did the White House spokesman respond to the newspaper?"),
            (
                "variants",
                "what channel did desai use to reach the paper\ndid the spokesman call the post\nhow did the spokesman answer the paper",
            ),
            ("answer", answer),
            ("paragraph", "8"),
            ("quote", "Desai phoned the newspaper"),
        ];
        // Not a moderator: refused, whatever the form says.
        let refused = bot
            .interact(|id, tok| {
                let mut v = modal_submit(id, tok, "5151", &submit, &fields);
                v["member"]["permissions"] = json!("0");
                v
            })
            .await;
        assert!(content(&refused).starts_with("Only moderators"), "{refused}");

        let bad = bot.submit(&submit, &fields).await;
        assert_eq!(bad["data"]["flags"], 64, "{bad}");
        let why = content(&bad);
        assert!(why.starts_with("The entry was not added"), "{why}");
        assert!(why.contains("not found verbatim in paragraph 8"), "{why}");
        assert!(!dir.path().join("deport-one-million/additions.toml").exists());
        let fix = buttons(&bad["data"]);
        assert_eq!(fix, vec![draft.clone()], "a way back to the draft");

        // The draft is kept in the store: after a restart the form reopens with what was typed.
        bot.stop().await;
        let bot = start(Some(dir.path()), &store).await;
        let again = bot.click(&fix[0], None).await;
        assert_eq!(field(&again, "answer"), answer, "{again}");
        assert_eq!(field(&again, "quote"), "Desai phoned the newspaper");

        fields[4] = ("quote", "wrote in an email to the newspaper");
        let good = bot.submit(&submit, &fields).await;
        let done = content(&good);
        assert!(done.contains("Added the entry `added-how-did-the-white-house-spokesman"), "{done}");
        let cluster = draft.trim_start_matches("fd:cl:draft:");
        let moderator: u64 = bot.user.parse().unwrap();
        assert_eq!(store.kept_draft(moderator, cluster).unwrap(), None, "added: forgotten");

        let body = bot.ask_with("6003", &[("question", json!(DESAI))]).await;
        assert!(embed_text(&body).contains("replied to the newspaper by email"), "{body}");
        assert!(embed_text(&body).contains("Paragraph 8"), "{body}");
        KnowledgeBase::load_dir(dir.path()).expect("the folder still validates");
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dismissed_clusters_go_and_the_built_in_knowledge_cannot_be_curated() {
    within(async {
        let (_db, store) = temp_store();
        let bot = start(None, &store).await;
        bot.ask("what is the weather on mars tomorrow").await;
        bot.ask(WORDING).await;
        settle(&store, 2).await;
        let list = unanswered(&bot).await;
        let ids = buttons(&list["data"]);
        assert_eq!(ids.len(), 6, "two clusters, three buttons each: {ids:?}");

        // With the built-in knowledge base there is no folder to write to: said, not hidden.
        let add = ids.iter().find(|b| b.starts_with("fd:cl:add:")).unwrap();
        let menu = bot.click(add, None).await;
        let pick = menu["data"]["components"][0]["components"][0]["custom_id"]
            .as_str()
            .unwrap()
            .to_string();
        let refused = bot.click(&pick, Some(&["goal-one-million"])).await;
        assert!(
            content(&refused).contains("built-in knowledge base"),
            "{refused}"
        );

        let text = content(&list);
        let mars_first = text.find("mars").unwrap() < text.find("magic number").unwrap();
        let dismiss = ids
            .iter()
            .filter(|b| b.starts_with("fd:cl:dismiss:"))
            .nth(if mars_first { 0 } else { 1 })
            .unwrap();
        let done = bot.click(dismiss, None).await;
        assert!(content(&done).starts_with("Dismissed"), "{done}");
        settle(&store, 3).await;
        let after = content(&unanswered(&bot).await);
        assert!(!after.contains("mars"), "{after}");
        assert!(after.contains("magic number"), "{after}");

        // Stale or forged buttons are harmless.
        let stale = bot.click("fd:cl:add:000000000000", None).await;
        assert!(content(&stale).contains("no longer listed"), "{stale}");
        bot.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_question_log_is_reported_to_moderators_and_answering_goes_on() {
    within(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("factdesk.db");
        let mut config = factdesk::store::StoreConfig::new(&path);
        config.hash_key = Some("test".into());
        config.busy_timeout = Duration::from_millis(50);
        config.retry = Duration::from_millis(50);
        config.max_retry = Duration::from_millis(200);
        let store = factdesk::store::Store::open(config).unwrap();
        let bot = start(None, &store).await;

        let mut other = rusqlite::Connection::open(&path).unwrap();
        let lock = other
            .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
            .unwrap();
        let body = bot.ask(GOAL_Q).await;
        assert!(
            embed_text(&body).contains("at least one million"),
            "answered while the log is locked: {body}"
        );
        let channel = format!("/api/v10/channels/{MOD_CHANNEL}/messages");
        let warned = bot
            .fake
            .wait_call(|c| c.path == channel && c.body.to_string().contains("can't be written"))
            .await;
        let text = warned.body["content"].as_str().unwrap();
        assert!(text.contains("locked"), "says why: {text}");
        assert_no_pings(&warned.body["allowed_mentions"], &warned.body);

        drop(lock);
        bot.fake
            .wait_call(|c| c.path == channel && c.body.to_string().contains("written again"))
            .await;
        settle(&store, 1).await;
        let logged: i64 = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM questions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(logged, 1, "the question waited, then was written");
        bot.stop().await;
    })
    .await;
}
