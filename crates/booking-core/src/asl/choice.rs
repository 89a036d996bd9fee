//! Choice rules: what a rule may say (checked when the definition is parsed) and whether it
//! holds for a state's input.

use serde::Deserialize;
use serde_json::Value;

use super::{AslError, paths::Path, runtime};
use crate::booking::TaskFailure;

/// A top-level Choice rule: a condition and the state it leads to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawRule")]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: String,
}

/// What a Choice rule tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Test { variable: Path, test: Test },
}

/// The comparison of a Choice rule with its `Variable`.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    IsPresent(bool),
    IsNull(bool),
    IsString(bool),
    IsNumeric(bool),
    IsBoolean(bool),
    StringEquals(String),
    BooleanEquals(bool),
    NumericEquals(f64),
    NumericLessThan(f64),
    NumericLessThanEquals(f64),
    NumericGreaterThan(f64),
    NumericGreaterThanEquals(f64),
}

/// A Choice rule as written; [`ChoiceRule`] and [`Condition`] are what it must mean.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct RawRule {
    #[serde(rename = "Comment")]
    _comment: Option<String>,
    next: Option<String>,
    variable: Option<Path>,
    and: Option<Vec<RawRule>>,
    or: Option<Vec<RawRule>>,
    not: Option<Box<RawRule>>,
    is_present: Option<bool>,
    is_null: Option<bool>,
    is_string: Option<bool>,
    is_numeric: Option<bool>,
    is_boolean: Option<bool>,
    string_equals: Option<String>,
    boolean_equals: Option<bool>,
    numeric_equals: Option<f64>,
    numeric_less_than: Option<f64>,
    numeric_less_than_equals: Option<f64>,
    numeric_greater_than: Option<f64>,
    numeric_greater_than_equals: Option<f64>,
}

impl TryFrom<RawRule> for ChoiceRule {
    type Error = AslError;

    fn try_from(mut raw: RawRule) -> Result<Self, AslError> {
        let next = raw
            .next
            .take()
            .ok_or_else(|| AslError("a Choice rule needs a Next".into()))?;
        Ok(ChoiceRule {
            condition: Condition::try_from(raw)?,
            next,
        })
    }
}

impl TryFrom<RawRule> for Condition {
    type Error = AslError;

    fn try_from(raw: RawRule) -> Result<Self, AslError> {
        if raw.next.is_some() {
            return Err(AslError("only a top-level Choice rule has a Next".into()));
        }
        let all = |rules: Vec<RawRule>| -> Result<Vec<Condition>, AslError> {
            rules.into_iter().map(Condition::try_from).collect()
        };
        let mut found = Vec::new();
        if let Some(rules) = raw.and {
            found.push(Condition::And(all(rules)?));
        }
        if let Some(rules) = raw.or {
            found.push(Condition::Or(all(rules)?));
        }
        if let Some(rule) = raw.not {
            found.push(Condition::Not(Box::new(Condition::try_from(*rule)?)));
        }
        let tests = [
            raw.is_present.map(Test::IsPresent),
            raw.is_null.map(Test::IsNull),
            raw.is_string.map(Test::IsString),
            raw.is_numeric.map(Test::IsNumeric),
            raw.is_boolean.map(Test::IsBoolean),
            raw.string_equals.map(Test::StringEquals),
            raw.boolean_equals.map(Test::BooleanEquals),
            raw.numeric_equals.map(Test::NumericEquals),
            raw.numeric_less_than.map(Test::NumericLessThan),
            raw.numeric_less_than_equals
                .map(Test::NumericLessThanEquals),
            raw.numeric_greater_than.map(Test::NumericGreaterThan),
            raw.numeric_greater_than_equals
                .map(Test::NumericGreaterThanEquals),
        ];
        let mut tests = tests.into_iter().flatten();
        match (raw.variable, tests.next()) {
            (Some(variable), Some(test)) => found.push(Condition::Test { variable, test }),
            (None, None) => {}
            _ => {
                return Err(AslError(
                    "a comparison needs a Variable and a Variable a comparison".into(),
                ));
            }
        }
        if tests.next().is_some() || found.len() != 1 {
            return Err(AslError(
                "a Choice rule is one of And, Or, Not or a single comparison".into(),
            ));
        }
        Ok(found.remove(0))
    }
}

impl Condition {
    /// Whether the condition holds for `data`; a comparison on a Variable that is not in
    /// `data` is a runtime error ([`IsPresent`](Test::IsPresent) is how to test for one).
    pub(super) fn holds(&self, data: &Value) -> Result<bool, TaskFailure> {
        Ok(match self {
            Condition::And(all) => {
                for c in all {
                    if !c.holds(data)? {
                        return Ok(false);
                    }
                }
                true
            }
            Condition::Or(any) => {
                for c in any {
                    if c.holds(data)? {
                        return Ok(true);
                    }
                }
                false
            }
            Condition::Not(c) => !c.holds(data)?,
            Condition::Test { variable, test } => {
                let value = variable.get(data);
                if let Test::IsPresent(flag) = test {
                    return Ok(value.is_some() == *flag);
                }
                let v = value.ok_or_else(|| {
                    runtime(format!(
                        "the Choice Variable {variable} is not in the input"
                    ))
                })?;
                let number =
                    |op: fn(f64, f64) -> bool, n: f64| v.as_f64().is_some_and(|x| op(x, n));
                match test {
                    Test::IsPresent(_) => true,
                    Test::IsNull(flag) => v.is_null() == *flag,
                    Test::IsString(flag) => v.is_string() == *flag,
                    Test::IsNumeric(flag) => v.is_number() == *flag,
                    Test::IsBoolean(flag) => v.is_boolean() == *flag,
                    Test::StringEquals(s) => v.as_str() == Some(s.as_str()),
                    Test::BooleanEquals(b) => v.as_bool() == Some(*b),
                    Test::NumericEquals(n) => number(|x, n| x == n, *n),
                    Test::NumericLessThan(n) => number(|x, n| x < n, *n),
                    Test::NumericLessThanEquals(n) => number(|x, n| x <= n, *n),
                    Test::NumericGreaterThan(n) => number(|x, n| x > n, *n),
                    Test::NumericGreaterThanEquals(n) => number(|x, n| x >= n, *n),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::asl::{
        NO_CHOICE_MATCHED, RUNTIME,
        testing::{Script, error, parse, run},
    };

    #[tokio::test]
    async fn a_choice_goes_to_the_first_rule_that_holds_or_its_default() {
        // Given a Choice over every kind of rule, each to its own Pass state
        let rules = [
            json!({"And": [
                {"Variable": "$.n", "IsPresent": true},
                {"Not": {"Variable": "$.n", "IsNull": true}},
                {"Variable": "$.n", "NumericGreaterThan": 10},
                {"Variable": "$.n", "NumericLessThanEquals": 20}
            ]}),
            json!({"Or": [
                {"Variable": "$.s", "StringEquals": "x"},
                {"Variable": "$.b", "BooleanEquals": true}
            ]}),
            json!({"Variable": "$.n", "NumericEquals": 1}),
            json!({"Variable": "$.n", "NumericLessThan": 0}),
            json!({"Variable": "$.n", "NumericGreaterThanEquals": 100}),
            json!({"Variable": "$.n", "IsString": true}),
            json!({"Variable": "$.n", "IsBoolean": true}),
            json!({"Variable": "$.n", "IsNumeric": false}),
        ];
        let mut states = json!({"Other": {"Type": "Succeed"}});
        let mut choices = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let mut rule = rule.clone();
            rule["Next"] = json!(format!("R{i}"));
            choices.push(rule);
            states[format!("R{i}")] = json!({"Type": "Succeed"});
        }
        states["C"] = json!({"Type": "Choice", "Choices": choices, "Default": "Other"});
        let machine = parse(json!({"StartAt": "C", "States": states}));
        // When it runs on inputs made for each rule, Then each ends where its rule leads
        let cases = [
            (json!({"n": 15}), "R0"),
            (json!({"n": 25, "s": "x"}), "R1"),
            (json!({"n": 25, "b": true}), "R1"),
            (json!({"n": 1}), "R2"),
            (json!({"n": -1}), "R3"),
            (json!({"n": 100}), "R4"),
            (json!({"n": "text"}), "R5"),
            (json!({"n": true}), "R6"),
            (json!({"n": null}), "R7"),
            (json!({"n": 50}), "Other"),
        ];
        for (fields, end) in cases {
            let mut input = json!({"s": "y", "b": false});
            input
                .as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            let execution = run(&machine, input.clone(), &Script::default()).await;
            assert_eq!(execution.trace, [end], "{input}: a Choice is not traced");
            assert_eq!(execution.output, Ok(input));
        }
        // A comparison on a missing Variable is a runtime error
        let execution = run(&machine, json!({}), &Script::default()).await;
        assert_eq!(error(&execution), RUNTIME);
    }

    #[tokio::test]
    async fn a_choice_without_a_matching_rule_or_default_fails() {
        let machine = parse(json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"Variable": "$.s", "StringEquals": "x", "Next": "S"}
            ]},
            "S": {"Type": "Succeed"}
        }}));
        let execution = run(&machine, json!({"s": "y"}), &Script::default()).await;
        assert_eq!(error(&execution), NO_CHOICE_MATCHED);
    }
}
