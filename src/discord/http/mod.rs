//! The HTTP interactions front end: Discord's Interactions Endpoint URL at
//! `POST /interactions`, plus `GET /healthz` and `GET /metrics`. Stateless: any number of
//! replicas can run behind a load balancer, sharing state through a PostgreSQL store.
//!
//! Every request is verified (Ed25519 over timestamp + body, [`signature`]) before its
//! body is parsed. Commands are found in poise's own command table and run the same
//! routes as over the gateway ([`dispatch`], [`super::commands`]); replies are rendered
//! by the shared code ([`super::render`], [`super::components::respond`]) and go back in
//! the HTTP response; a command not ready within [`REPLY_BUDGET`] is deferred and its
//! reply sent through the interaction webhook.

pub mod dispatch;
pub mod signature;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use poise::serenity_prelude as serenity;
use serenity::{
    CommandInteraction, CreateInteractionResponse, EditInteractionResponse, Interaction,
};

use super::commands::{self, string_option, Call};
use super::flow::{Asker, Outcome, Transport};
use super::render::{self, echo, Rendered};
use super::{admin, components, curation, redact, rest_client, Data, Error, ServeError, Settings};
use crate::desk::Desk;
use crate::knowledge::KnowledgeBase;
use crate::store::Store;

pub use signature::{SignatureError, Verifier};

/// Largest request body read; larger ones get 413.
pub const MAX_BODY: usize = 64 * 1024;
/// A command whose reply is not ready by then is deferred (Discord allows 3 s).
pub const REPLY_BUDGET: Duration = Duration::from_millis(2_000);

/// What the HTTP mode needs besides the bot's settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub addr: SocketAddr,
    /// `DISCORD_PUBLIC_KEY`: hex, from the developer portal.
    pub public_key: String,
    /// `DISCORD_APPLICATION_ID`: for registering commands and webhook follow-ups.
    pub application_id: Option<u64>,
    /// Register the commands at start-up (`FACTDESK_REGISTER`, default on).
    pub register: bool,
}

/// Everything a request handler shares.
pub struct App {
    pub data: Data,
    /// Poise's command table, as the gateway bot builds it: commands are found here.
    pub commands: Vec<poise::Command<Data, Error>>,
    pub verifier: Verifier,
    /// REST client (honours `DISCORD_API_BASE`) for webhook follow-ups and moderator posts.
    pub rest: Arc<serenity::Http>,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl App {
    pub fn new(
        settings: &Settings,
        http: &HttpSettings,
        desk: Arc<ArcSwap<Desk>>,
        store: Option<Store>,
    ) -> Result<App, signature::KeyError> {
        let commands = commands::all(desk.load().knowledge());
        Ok(App {
            commands,
            data: Data::with_store(settings, desk, store),
            verifier: Verifier::new(&http.public_key)?,
            rest: Arc::new(rest_client(settings, http.application_id)),
        })
    }
}

/// The routes: `POST /interactions`, and `GET /healthz`, `GET /metrics` ([`crate::metrics::router`]).
pub fn router(app: Arc<App>) -> axum::Router {
    let ops = app.data.ops();
    axum::Router::new()
        .route("/interactions", post(interactions))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
        .merge(crate::metrics::router(ops))
}

/// Serves on `listener` until `shutdown` completes, then finishes requests in flight.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}

fn json(response: &CreateInteractionResponse) -> Response {
    match serde_json::to_vec(response) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not serialise a response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn refuse(app: &App, status: StatusCode, why: String) -> Response {
    if status == StatusCode::UNAUTHORIZED {
        app.data.metrics.refused_signature();
    } else {
        app.data.metrics.refused_input();
    }
    tracing::debug!(%status, %why, "interaction refused");
    (status, why).into_response()
}

async fn interactions(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(e) = app.verifier.verify(
        header("x-signature-ed25519"),
        header("x-signature-timestamp"),
        &body,
        unix_now(),
    ) {
        return refuse(&app, StatusCode::UNAUTHORIZED, format!("{e}\n"));
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            return refuse(
                &app,
                StatusCode::BAD_REQUEST,
                format!("not an interaction: {e}\n"),
            )
        }
    };
    match interaction {
        Interaction::Ping(_) => json(&CreateInteractionResponse::Pong),
        Interaction::Autocomplete(cmd) => json(&autocomplete(&app, &cmd)),
        Interaction::Command(cmd) => command(app, cmd, started).await,
        Interaction::Component(click) => {
            if let Some((action, cluster)) = curation::parse(&click.data.custom_id) {
                return match curation::click_response(&app.data, &click, action, &cluster).await {
                    Ok(response) => json(&response),
                    Err(e) => {
                        tracing::error!(error = %e, "a curation click failed");
                        json(&CreateInteractionResponse::Message(
                            render::error_note().to_interaction(true),
                        ))
                    }
                };
            }
            component(&app, click)
        }
        Interaction::Modal(modal) => match curation::modal_response(&app.data, &modal).await {
            Ok(Some(response)) => json(&response),
            Ok(None) => refuse(&app, StatusCode::BAD_REQUEST, "unknown form\n".into()),
            Err(e) => {
                tracing::error!(error = %e, "a form failed");
                json(&CreateInteractionResponse::Message(
                    render::error_note().to_interaction(true),
                ))
            }
        },
        _ => refuse(
            &app,
            StatusCode::BAD_REQUEST,
            "unknown interaction type\n".into(),
        ),
    }
}

/// A click on an answer's buttons (related, did-you-mean, votes, pages).
fn component(app: &Arc<App>, click: serenity::ComponentInteraction) -> Response {
    match components::respond(&app.data, &click) {
        Some((action, response)) => {
            if let components::Click::Vote {
                entry,
                question,
                up: false,
            } = action
            {
                let app = Arc::clone(app);
                tokio::spawn(async move {
                    components::report_downvote(&app.rest, &app.data, &click, &entry, question)
                        .await;
                });
            }
            json(&response)
        }
        None => json(&CreateInteractionResponse::Acknowledge),
    }
}

/// Choices for the focused option, when poise's definition of that parameter autocompletes.
fn autocomplete(app: &App, cmd: &CommandInteraction) -> CreateInteractionResponse {
    let desk = app.data.desk.load();
    let all = cmd.data.options();
    let found = dispatch::find(&app.commands, &cmd.data.name, &all);
    let focused = cmd.data.autocomplete().filter(|f| {
        found.is_some_and(|(command, _)| {
            command
                .parameters
                .iter()
                .any(|p| p.name == f.name && p.autocomplete_callback.is_some())
        })
    });
    let options = found.map_or(&[][..], |(_, options)| options);
    let response = match focused {
        Some(f) if f.name == "question" => {
            commands::question_choices(&desk, f.value, string_option(options, "report"))
        }
        Some(f) if f.name == "report" => commands::report_choices(&desk, f.value),
        _ => serenity::CreateAutocompleteResponse::new(),
    };
    CreateInteractionResponse::Autocomplete(response)
}

async fn command(app: Arc<App>, cmd: CommandInteraction, started: Instant) -> Response {
    let token = cmd.token.clone();
    let mut task = {
        let app = Arc::clone(&app);
        tokio::spawn(async move { run_command(&app, &cmd).await })
    };
    match tokio::time::timeout(REPLY_BUDGET, &mut task).await {
        Ok(Ok(outcome)) => {
            let rendered = outcome.rendered.clone().unwrap_or_else(render::error_note);
            let response = rendered.to_interaction(outcome.private);
            // The response is the HTTP body: its message id is not known here.
            outcome.sent(&app.data, None).await;
            tracing::debug!(
                micros = started.elapsed().as_micros() as u64,
                "command answered"
            );
            json(&CreateInteractionResponse::Message(response))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "a command failed");
            json(&CreateInteractionResponse::Message(
                render::error_note().to_interaction(true),
            ))
        }
        Err(_) => {
            // Too slow for the HTTP response: defer, then edit the reply in through the webhook.
            tokio::spawn(async move {
                let outcome = task.await.ok();
                let out = outcome
                    .as_ref()
                    .and_then(|o| o.rendered.clone())
                    .unwrap_or_else(render::error_note);
                let edit = EditInteractionResponse::new()
                    .content(out.content.clone())
                    .embeds(out.embeds.clone())
                    .components(out.components.clone())
                    .allowed_mentions(render::no_pings());
                let edited = app
                    .rest
                    .edit_original_interaction_response(&token, &edit, Vec::new())
                    .await;
                if let Err(e) = &edited {
                    tracing::error!(error = %redact(&e.to_string()), "could not send a deferred reply");
                }
                if let Some(outcome) = outcome {
                    outcome.sent(&app.data, edited.ok().map(|m| m.id)).await;
                }
            });
            json(&CreateInteractionResponse::Defer(
                serenity::CreateInteractionResponseMessage::new(),
            ))
        }
    }
}

/// Runs the command the interaction names: found in poise's table, its options checked
/// against poise's definitions, then the same route as over the gateway.
async fn run_command(app: &App, cmd: &CommandInteraction) -> Outcome {
    let options = cmd.data.options();
    let private = |text: String| Outcome::reply(Rendered::text(text), true);
    let Some((command, options)) = dispatch::find(&app.commands, &cmd.data.name, &options) else {
        return private(format!(
            "`/{}` is not one of my commands.",
            echo(&cmd.data.name)
        ));
    };
    let Some(route) = commands::route(command) else {
        return private(format!("Pick a `/{}` subcommand.", command.qualified_name));
    };
    if let Err(why) = dispatch::check(command, options) {
        return private(why);
    }
    let call = Call {
        data: &app.data,
        asker: Asker {
            user: cmd.user.id,
            guild: cmd.guild_id,
            channel: cmd.channel_id,
        },
        member: cmd.member.as_deref(),
        options,
        transport: Transport::Http,
    };
    (route.0)(call).await
}

/// Registers the slash commands over REST (guild or global, as the gateway bot does).
pub async fn register(
    rest: &serenity::Http,
    kb: &KnowledgeBase,
    guild: Option<u64>,
) -> Result<usize, serenity::Error> {
    let commands = commands::all(kb);
    let create = poise::builtins::create_application_commands(&commands);
    let count = create.len();
    match guild {
        Some(g) => {
            serenity::GuildId::new(g).set_commands(rest, create).await?;
        }
        None => {
            serenity::Command::set_global_commands(rest, create).await?;
        }
    }
    Ok(count)
}

/// Settings for the HTTP mode from the environment, `addr` from `--http`.
pub fn http_settings(addr: SocketAddr) -> Result<HttpSettings, ServeError> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let public_key = var("DISCORD_PUBLIC_KEY").ok_or_else(|| {
        ServeError::Other(anyhow::anyhow!(
            "DISCORD_PUBLIC_KEY is not set: copy the public key from the developer portal"
        ))
    })?;
    let application_id = match var("DISCORD_APPLICATION_ID") {
        Some(v) => Some(v.trim().parse().map_err(|_| {
            ServeError::Other(anyhow::anyhow!(
                "DISCORD_APPLICATION_ID must be the application's numeric id, not `{v}`"
            ))
        })?),
        None => None,
    };
    let register = !matches!(
        var("FACTDESK_REGISTER").as_deref(),
        Some("0" | "false" | "no")
    );
    Ok(HttpSettings {
        addr,
        public_key,
        application_id,
        register,
    })
}

/// `factdesk serve --http ADDR`: serves interactions until SIGTERM or Ctrl-C, then
/// finishes requests in flight and flushes the question log.
pub fn serve(
    kb: KnowledgeBase,
    knowledge_dir: Option<std::path::PathBuf>,
    addr: SocketAddr,
) -> Result<(), ServeError> {
    let mut settings = Settings::from_env()?;
    settings.knowledge_dir = knowledge_dir;
    let http = http_settings(addr)?;
    let store = super::open_store()?;
    let grace = crate::shutdown::Grace::from_env().map_err(ServeError::Store)?;
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(http.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", http.addr))?;
        let desk = Arc::new(ArcSwap::from_pointee(Desk::new(kb)));
        let app = App::new(&settings, &http, Arc::clone(&desk), store.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let app = Arc::new(app);
        // Replicas follow the knowledge folder too, as the gateway bot does.
        let watcher = admin::follow_folder(&settings, &desk, &app.rest, &app.data.metrics);
        if http.register {
            if http.application_id.is_none() {
                tracing::warn!("DISCORD_APPLICATION_ID is not set: commands are not registered (run `factdesk register`)");
            } else {
                match register(&app.rest, desk.load().knowledge(), settings.guild_id).await {
                    Ok(n) => tracing::info!(commands = n, "commands registered"),
                    Err(e) => tracing::error!(error = %redact(&e.to_string()), "could not register the commands; serving anyway"),
                }
            }
        }
        eprintln!(
            "factdesk serves Discord interactions at http://{}/interactions",
            listener.local_addr()?
        );
        // In-flight requests and the log's flush share one grace from the signal.
        grace
            .bounded(run(listener, app, grace.signal()))
            .await
            .transpose()?;
        if let Some(w) = watcher {
            w.abort();
        }
        tracing::info!("stopped taking requests; flushing the question log");
        Ok::<(), anyhow::Error>(())
    });
    crate::shutdown::drop_runtime(runtime);
    if let Some(store) = store {
        grace.close(&store);
    }
    Ok(result?)
}

/// `factdesk register`: registers the commands once, for deployments that do not at start-up.
pub fn register_once(kb: KnowledgeBase) -> Result<(), ServeError> {
    let settings = Settings::from_env()?;
    let app_id = std::env::var("DISCORD_APPLICATION_ID")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ServeError::Other(anyhow::anyhow!(
                "DISCORD_APPLICATION_ID must be set to register commands"
            ))
        })?;
    let rest = rest_client(&settings, Some(app_id));
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let n = runtime
        .block_on(register(&rest, &kb, settings.guild_id))
        .map_err(|e| anyhow::anyhow!("{}", redact(&e.to_string())))?;
    eprintln!(
        "registered {n} commands ({})",
        settings
            .guild_id
            .map_or("globally".to_string(), |g| format!("in guild {g}"))
    );
    Ok(())
}
