//! Reference paths (`$`, `$.a.b`) and what the path fields do with them: InputPath and
//! OutputPath select, ResultPath places, and Parameters fills a template.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{AslError, runtime};
use crate::booking::TaskFailure;

/// A reference path: `$` or `$.key.key...`, nothing else of JSONPath.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Path {
    text: String,
    keys: Vec<String>,
}

impl TryFrom<String> for Path {
    type Error = AslError;

    fn try_from(text: String) -> Result<Self, AslError> {
        let keys: Option<Vec<String>> = match text.strip_prefix('$') {
            Some("") => Some(Vec::new()),
            Some(rest) => rest.strip_prefix('.').and_then(|rest| {
                rest.split('.')
                    .map(|key| {
                        let plain = !key.is_empty()
                            && key
                                .chars()
                                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
                        plain.then(|| key.to_owned())
                    })
                    .collect()
            }),
            None => None,
        };
        match keys {
            Some(keys) => Ok(Path { text, keys }),
            None => Err(AslError(format!(
                "{text:?} is not a reference path ($ or $.a.b; no context object, filters, \
                 indexes or intrinsic functions)"
            ))),
        }
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Path {
    pub(super) fn root() -> Path {
        Path {
            text: "$".into(),
            keys: Vec::new(),
        }
    }

    /// The value at this path, if there is one.
    pub fn get<'a>(&self, data: &'a Value) -> Option<&'a Value> {
        self.keys.iter().try_fold(data, |v, key| v.get(key))
    }

    pub(super) fn resolve(&self, data: &Value) -> Result<Value, TaskFailure> {
        self.get(data)
            .cloned()
            .ok_or_else(|| runtime(format!("the path {self} is not in the input")))
    }

    /// `data` with `value` at this path, creating the objects on the way (ResultPath).
    fn set(&self, mut data: Value, value: Value) -> Result<Value, TaskFailure> {
        let Some((last, parents)) = self.keys.split_last() else {
            return Ok(value);
        };
        let not_object = || runtime(format!("cannot set {self}: not inside an object"));
        let mut node = &mut data;
        for key in parents {
            node = node
                .as_object_mut()
                .ok_or_else(not_object)?
                .entry(key.as_str())
                .or_insert_with(|| json!({}));
        }
        node.as_object_mut()
            .ok_or_else(not_object)?
            .insert(last.clone(), value);
        Ok(data)
    }
}

/// A payload template (`Parameters`): a key ending in `.$` takes the value at its path,
/// in nested objects too; everything else is literal.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct Template(Value);

impl TryFrom<Value> for Template {
    type Error = AslError;

    fn try_from(value: Value) -> Result<Self, AslError> {
        fn check(v: &Value) -> Result<(), AslError> {
            for (key, v) in v.as_object().into_iter().flatten() {
                if key.ends_with(".$") {
                    let path = v
                        .as_str()
                        .ok_or_else(|| AslError(format!("{key}: not a path")))?;
                    Path::try_from(path.to_owned())
                        .map_err(|AslError(e)| AslError(format!("{key}: {e}")))?;
                } else {
                    check(v)?;
                }
            }
            Ok(())
        }
        check(&value)?;
        Ok(Template(value))
    }
}

impl Template {
    /// The template filled in from `data`.
    pub fn apply(&self, data: &Value) -> Result<Value, TaskFailure> {
        fn fill(template: &Value, data: &Value) -> Result<Value, TaskFailure> {
            let Some(fields) = template.as_object() else {
                return Ok(template.clone());
            };
            let mut out = Map::new();
            for (key, v) in fields {
                match (key.strip_suffix(".$"), v.as_str()) {
                    (Some(name), Some(path)) => {
                        let path = Path::try_from(path.to_owned())
                            .map_err(|AslError(e)| runtime(format!("{key}: {e}")))?;
                        out.insert(name.to_owned(), path.resolve(data)?);
                    }
                    _ => {
                        out.insert(key.clone(), fill(v, data)?);
                    }
                }
            }
            Ok(Value::Object(out))
        }
        fill(&self.0, data)
    }
}

/// `InputPath` / `OutputPath`: null gives `{}`.
pub(super) fn select(path: Option<&Path>, data: Value) -> Result<Value, TaskFailure> {
    match path {
        None => Ok(json!({})),
        Some(p) if p.keys.is_empty() => Ok(data),
        Some(p) => p.resolve(&data),
    }
}

/// `ResultPath`: null keeps the input as it was.
pub(super) fn place(
    path: Option<&Path>,
    input: Value,
    result: Value,
) -> Result<Value, TaskFailure> {
    match path {
        None => Ok(input),
        Some(p) => p.set(input, result),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Path;
    use crate::asl::{
        RUNTIME,
        testing::{Script, error, one_task, run},
    };

    #[test]
    fn reference_paths_are_the_root_or_dotted_keys_and_nothing_else() {
        for ok in ["$", "$.a", "$.a.b_c.d-1"] {
            assert!(Path::try_from(ok.to_owned()).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a.b",
            "$.",
            "$..a",
            "$.a[0]",
            "$$.Execution.Id",
            "$.a.*",
        ] {
            assert!(Path::try_from(bad.to_owned()).is_err(), "{bad}");
        }
        let data = json!({"a": {"b": 1}});
        let path = Path::try_from("$.a.b".to_owned()).unwrap();
        assert_eq!(path.get(&data), Some(&json!(1)));
        assert_eq!(Path::root().get(&data), Some(&data));
    }

    #[tokio::test]
    async fn parameters_take_the_values_at_their_paths_and_keep_the_rest_literal() {
        // Given a Task whose Parameters mix paths, literals and a nested object
        let machine = one_task(json!({"Parameters": {
            "action": "charge", "id.$": "$.reservationId", "whole.$": "$",
            "nested": {"ref.$": "$.charge.reference", "n": 1}
        }}));
        let input = json!({"reservationId": "r1", "charge": {"reference": "ch_1"}});
        // When it runs
        let script = Script::default();
        run(&machine, input.clone(), &script).await;
        // Then the resource gets the template filled in
        assert_eq!(
            script.inputs(),
            [json!({
                "action": "charge", "id": "r1", "whole": input,
                "nested": {"ref": "ch_1", "n": 1}
            })]
        );
    }

    #[tokio::test]
    async fn a_path_that_does_not_resolve_fails_the_execution_past_every_retry_and_catch() {
        let machine = one_task(json!({
            "Parameters": {"id.$": "$.missing"},
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
        }));
        let script = Script::default();
        let execution = run(&machine, json!({}), &script).await;
        assert_eq!(error(&execution), RUNTIME);
        assert_eq!(execution.trace, ["T"]);
        assert!(script.inputs().is_empty(), "the resource is never called");
    }

    #[tokio::test]
    async fn input_path_and_output_path_select_and_null_gives_an_empty_object() {
        let input = json!({"a": {"b": 1}, "c": 2});
        let script = Script::new([Ok(json!({"x": {"y": 3}}))]);
        let machine =
            one_task(json!({"InputPath": "$.a", "ResultPath": "$.r", "OutputPath": "$.r.x"}));
        let execution = run(&machine, input.clone(), &script).await;
        assert_eq!(script.inputs(), [json!({"b": 1})]);
        assert_eq!(execution.output, Ok(json!({"y": 3})));

        let script = Script::default();
        let machine = one_task(json!({"InputPath": null, "OutputPath": null}));
        let execution = run(&machine, input, &script).await;
        assert_eq!(script.inputs(), [json!({})]);
        assert_eq!(execution.output, Ok(json!({})));
    }

    #[tokio::test]
    async fn result_path_replaces_the_input_sets_a_field_or_discards_the_result() {
        let input = json!({"a": 1});
        let cases = [
            (json!({}), json!({"done": "T"})),
            (json!({"ResultPath": "$"}), json!({"done": "T"})),
            (
                json!({"ResultPath": "$.x.y"}),
                json!({"a": 1, "x": {"y": {"done": "T"}}}),
            ),
            (json!({"ResultPath": null}), json!({"a": 1})),
        ];
        for (fields, output) in cases {
            let execution = run(&one_task(fields.clone()), input.clone(), &Script::default()).await;
            assert_eq!(execution.output, Ok(output), "{fields}");
        }
        // A field inside something that is not an object cannot be set
        let execution = run(
            &one_task(json!({"ResultPath": "$.a.b"})),
            input,
            &Script::default(),
        )
        .await;
        assert_eq!(error(&execution), RUNTIME);
    }
}
