//! Finding a command over HTTP as poise finds it over the gateway: by name in poise's
//! command table, descending into subcommands, with its options checked against the
//! parameters as poise defines them for Discord.

use poise::serenity_prelude as serenity;
use serde_json::Value;
use serenity::{ResolvedOption, ResolvedValue};

use crate::discord::render::echo;
use crate::discord::{Data, Error};

type Command = poise::Command<Data, Error>;

/// The command (or subcommand) an interaction runs, and the options that belong to it.
pub fn find<'c, 'o>(
    commands: &'c [Command],
    name: &str,
    options: &'o [ResolvedOption<'o>],
) -> Option<(&'c Command, &'o [ResolvedOption<'o>])> {
    let command = commands.iter().find(|c| c.name == name)?;
    let sub = options.iter().find_map(|o| match &o.value {
        ResolvedValue::SubCommand(inner) | ResolvedValue::SubCommandGroup(inner) => {
            Some((o.name, inner.as_slice()))
        }
        _ => None,
    });
    match sub {
        Some((sub, inner)) => find(&command.subcommands, sub, inner),
        None => Some((command, options)),
    }
}

/// Checks `options` against the command's parameters as poise registers them (required,
/// length and value limits, choices). Discord enforces these before signing a request;
/// this is what a request that skipped Discord's client could still get wrong.
pub fn check(command: &Command, options: &[ResolvedOption<'_>]) -> Result<(), String> {
    for parameter in &command.parameters {
        let Some(given) = options.iter().find(|o| o.name == parameter.name) else {
            if parameter.required {
                return Err(format!("`{}` is required.", parameter.name));
            }
            continue;
        };
        let Some(definition) = parameter.create_as_slash_command_option() else {
            continue;
        };
        let definition = serde_json::to_value(&definition).unwrap_or_default();
        within(&parameter.name, &definition, &given.value)?;
    }
    Ok(())
}

/// Whether one value keeps to its registered definition.
fn within(name: &str, definition: &Value, value: &ResolvedValue<'_>) -> Result<(), String> {
    let limit = |key: &str| definition.get(key).and_then(Value::as_f64);
    let (size, unit, low, high) = match value {
        ResolvedValue::String(s) => {
            let choices = definition.get("choices").and_then(Value::as_array);
            if let Some(choices) = choices.filter(|c| !c.is_empty()) {
                if !choices.iter().any(|c| c["value"].as_str() == Some(s)) {
                    return Err(format!("`{}` is not one of `{name}`'s choices.", echo(s)));
                }
            }
            let size = s.chars().count() as f64;
            (size, " characters", "min_length", "max_length")
        }
        ResolvedValue::Integer(n) => (*n as f64, "", "min_value", "max_value"),
        ResolvedValue::Number(x) => (*x, "", "min_value", "max_value"),
        _ => return Ok(()),
    };
    if let Some(low) = limit(low).filter(|&low| size < low) {
        return Err(format!("`{name}` must be at least {low}{unit}."));
    }
    if let Some(high) = limit(high).filter(|&high| size > high) {
        return Err(format!("`{name}` must be at most {high}{unit}."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::KnowledgeBase;

    fn table() -> Vec<Command> {
        crate::discord::commands::all(&KnowledgeBase::bundled().expect("bundled knowledge"))
    }

    /// An interaction's data as Discord sends it (options are built only by serenity).
    fn sent(name: &str, options: Value) -> serenity::CommandData {
        let data = serde_json::json!({"id": "1", "name": name, "type": 1, "options": options});
        serde_json::from_value(data).expect("command data")
    }

    fn string(name: &str, value: &str) -> Value {
        serde_json::json!({"name": name, "type": 3, "value": value})
    }

    fn integer(name: &str, value: i64) -> Value {
        serde_json::json!({"name": name, "type": 4, "value": value})
    }

    /// Whether `options` given to the command (or subcommand) `name` pass.
    fn checked(table: &[Command], name: &str, options: Value) -> Result<(), String> {
        let data = sent(name, options);
        let options = data.options();
        let (command, options) = find(table, name, &options).expect("a command");
        check(command, options)
    }

    #[test]
    fn commands_and_subcommands_are_found_in_the_table() {
        let table = table();
        let ask = sent("ask", Value::Array(vec![string("question", "who?")]));
        let ask = ask.options();
        let (found, options) = find(&table, "ask", &ask).expect("ask");
        assert_eq!((&*found.name, options.len()), ("ask", 1));
        let stats =
            serde_json::json!([{"name": "stats", "type": 1, "options": [integer("days", 3)]}]);
        let stats = sent("faq-admin", stats);
        let stats = stats.options();
        let (found, options) = find(&table, "faq-admin", &stats).expect("stats");
        assert_eq!(&*found.name, "stats");
        assert!(crate::discord::commands::route(found).is_some());
        assert!(matches!(options[0].value, ResolvedValue::Integer(3)));
        assert!(find(&table, "weather", &[]).is_none());
        let group = find(&table, "faq-admin", &[]).expect("the group").0;
        assert!(crate::discord::commands::route(group).is_none());
    }

    #[test]
    fn options_keep_to_poise_s_limits() {
        let table = table();
        let one = |v: Value| Value::Array(vec![v]);
        assert_eq!(
            checked(&table, "ask", one(string("question", "who?"))),
            Ok(())
        );
        assert_eq!(
            checked(&table, "ask", Value::Array(vec![])),
            Err("`question` is required.".into())
        );
        let long = "é".repeat(1001);
        assert_eq!(
            checked(&table, "ask", one(string("question", &long))),
            Err("`question` must be at most 1000 characters.".into())
        );
        let most = "é".repeat(1000);
        assert_eq!(
            checked(&table, "ask", one(string("question", &most))),
            Ok(())
        );
        assert_eq!(
            checked(&table, "source", one(integer("paragraph", 10_000))),
            Ok(())
        );
        assert_eq!(
            checked(&table, "source", one(integer("paragraph", 0))),
            Err("`paragraph` must be at least 1.".into())
        );
        let days =
            |n| serde_json::json!([{"name": "stats", "type": 1, "options": [integer("days", n)]}]);
        assert_eq!(checked(&table, "faq-admin", days(3650)), Ok(()));
        assert_eq!(
            checked(&table, "faq-admin", days(3651)),
            Err("`days` must be at most 3650.".into())
        );
    }
}
