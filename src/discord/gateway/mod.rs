//! The gateway transport: a websocket connection per shard through serenity and poise.
//! Slash commands run their shared routes ([`super::commands::respond`]); messages go
//! through [`mentions`]; clicks and forms through the shared component handlers.

pub mod mentions;

use std::future::Future;
use std::sync::Arc;

use arc_swap::ArcSwap;
use poise::serenity_prelude as serenity;
use serenity::{FullEvent, GatewayIntents};

use super::{admin, commands, components, curation, open_store, redact, render};
use super::{invite_url, Data, Error, ServeError, Settings};
use crate::desk::Desk;
use crate::knowledge::KnowledgeBase;
use crate::store::Store;

/// Mentions and DMs need no privileged intent (Discord sends the content of messages that
/// mention the bot); plain questions in newsroom channels need MESSAGE_CONTENT.
pub fn intents(settings: &Settings) -> GatewayIntents {
    let mut intents = GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    if !settings.newsroom_channels.is_empty() {
        intents |= GatewayIntents::MESSAGE_CONTENT;
    }
    intents
}

fn framework(settings: &Settings, data: Data, kb: &KnowledgeBase) -> poise::Framework<Data, Error> {
    let guild = settings.guild_id;
    let options = poise::FrameworkOptions {
        commands: commands::all(kb),
        on_error: |error| Box::pin(on_error(error)),
        event_handler: |fw, event| Box::pin(event_handler(fw, event)),
        allowed_mentions: Some(render::no_pings()),
        prefix_options: poise::PrefixFrameworkOptions {
            prefix: None,
            mention_as_prefix: false,
            ..Default::default()
        },
        ..Default::default()
    };
    poise::Framework::builder()
        .options(options)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                let commands = &framework.options().commands;
                let registered = match guild {
                    Some(g) => poise::builtins::register_in_guild(ctx, commands, serenity::GuildId::new(g)).await,
                    None => poise::builtins::register_globally(ctx, commands).await,
                };
                // Keep serving: commands registered by an earlier run still work.
                if let Err(e) = registered {
                    tracing::error!(error = %redact(&e.to_string()), "could not register the slash commands");
                }
                let url = invite_url(ready.application.id.get());
                tracing::info!(user = %ready.user.name, guild = ?guild, "connected; commands registered");
                // stderr: main holds the stdout lock for the whole run.
                eprintln!("factdesk is online as {}. Invite it with:\n{url}", ready.user.name);
                Ok(data)
            })
        })
        .build()
}

/// Runs the bot until `shutdown` completes (then closes every shard cleanly).
pub async fn run(
    settings: Settings,
    desk: Arc<ArcSwap<Desk>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_with_store(settings, desk, None, shutdown).await
}

/// [`run`] with a question log: questions, clicks and votes are recorded in `store`.
pub async fn run_with_store(
    settings: Settings,
    desk: Arc<ArcSwap<Desk>>,
    store: Option<Store>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let kb = desk.load_full();
    let data = Data::with_store(&settings, Arc::clone(&desk), store.clone());
    let ops = data.ops();
    let metrics = Arc::clone(&data.metrics);
    let framework = framework(&settings, data, kb.knowledge());
    let http = super::rest_client(&settings, None);
    let mut client = serenity::ClientBuilder::new_with_http(http, intents(&settings))
        .framework(framework)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot build the Discord client: {}",
                redact(&e.to_string())
            )
        })?;
    let watcher = admin::follow_folder(&settings, &desk, &client.http, &metrics);
    let (ops_stop, ops_stopped) = tokio::sync::oneshot::channel::<()>();
    let ops_server = match settings.metrics_addr {
        None => None,
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                anyhow::anyhow!("cannot listen on {addr} (FACTDESK_METRICS_ADDR): {e}")
            })?;
            // stderr: main holds the stdout lock for the whole run.
            eprintln!(
                "factdesk serves /healthz and /metrics at http://{}",
                listener.local_addr()?
            );
            Some(tokio::spawn(crate::metrics::serve(listener, ops, async {
                let _ = ops_stopped.await;
            })))
        }
    };
    let (poster, health) = match (&store, settings.mod_channel) {
        (Some(store), Some(channel)) => {
            let channel = serenity::ChannelId::new(channel);
            let poster = tokio::spawn(curation::post_clusters(
                Arc::clone(&desk),
                store.clone(),
                Arc::clone(&client.http),
                channel,
                settings.alert_asks,
                settings.alert_poll,
            ));
            let health = tokio::spawn(admin::watch_store(
                store.clone(),
                Arc::clone(&client.http),
                channel,
                settings.alert_poll,
            ));
            (Some(poster), Some(health))
        }
        _ => (None, None),
    };
    let manager = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        manager.shutdown_all().await;
    });
    let started = match settings.shards {
        None => client.start_autosharded().await,
        // serenity's range end is inclusive.
        Some(r) => client.start_shard_range(r.first..r.last, r.total).await,
    };
    for task in [watcher, poster, health].into_iter().flatten() {
        task.abort();
    }
    let _ = ops_stop.send(());
    if let Some(server) = ops_server {
        match server.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "the metrics server failed"),
            Err(e) => tracing::warn!(error = %e, "the metrics server panicked"),
            Ok(Ok(())) => {}
        }
    }
    started.map_err(|e| anyhow::anyhow!("Discord connection failed: {}", redact(&e.to_string())))
}

/// `factdesk serve`: settings from the environment, then [`run`] until Ctrl-C or SIGTERM.
pub fn serve(
    kb: KnowledgeBase,
    knowledge_dir: Option<std::path::PathBuf>,
) -> Result<(), ServeError> {
    let mut settings = Settings::from_env()?;
    settings.knowledge_dir = knowledge_dir;
    tracing::info!(
        ?settings,
        reports = kb.reports.len(),
        entries = kb.entries.len(),
        "starting"
    );
    let store = open_store()?;
    let grace = crate::shutdown::Grace::from_env().map_err(ServeError::Store)?;
    let desk = Arc::new(ArcSwap::from_pointee(Desk::new(kb)));
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let result = runtime.block_on(grace.bounded(run_with_store(
        settings,
        desk,
        store.clone(),
        grace.signal(),
    )));
    crate::shutdown::drop_runtime(runtime);
    if let Some(store) = store {
        grace.close(&store);
    }
    result.transpose()?;
    Ok(())
}

async fn event_handler(
    fw: poise::FrameworkContext<'_, Data, Error>,
    event: &FullEvent,
) -> Result<(), Error> {
    let ctx = fw.serenity_context;
    match event {
        FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(click),
        } => match curation::parse(&click.data.custom_id) {
            Some((action, cluster)) => {
                curation::handle_click(ctx, fw.user_data, click, action, &cluster).await
            }
            None => components::handle(ctx, fw.user_data, click).await,
        },
        FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Modal(modal),
        } => curation::handle_modal(ctx, fw.user_data, modal).await,
        FullEvent::Message { new_message } => {
            mentions::handle(ctx, fw.user_data, fw.bot_id(), new_message).await
        }
        _ => Ok(()),
    }
}

/// One place for failures: a short private note to the person, the detail in the log.
async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match &error {
        poise::FrameworkError::Setup { error, .. } => {
            tracing::error!(error = %redact(&format!("{error:#}")), "setup failed (command registration)");
        }
        poise::FrameworkError::EventHandler { error, event, .. } => {
            tracing::error!(event = event.snake_case_name(), error = %redact(&format!("{error:#}")), "event handler failed");
        }
        other => {
            let command = other
                .ctx()
                .map(|c| c.command().name.to_string())
                .unwrap_or_default();
            tracing::error!(%command, error = %redact(&other.to_string()), "command failed");
            if let Some(ctx) = other.ctx() {
                if let Err(e) = ctx.send(render::error_note().to_poise(true)).await {
                    tracing::warn!(error = %redact(&e.to_string()), "could not send the error note");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_content_only_for_newsroom() {
        let mut s = Settings::new("t");
        assert!(!intents(&s).contains(GatewayIntents::MESSAGE_CONTENT));
        s.newsroom_channels.insert(1);
        assert!(intents(&s).contains(GatewayIntents::MESSAGE_CONTENT));
    }
}
