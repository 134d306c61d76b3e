//! The subset of JSON Schema the tool registry uses (object inputs whose fields
//! are strings, integers, numbers, booleans or arrays of strings, with `required`,
//! `enum`, lengths and bounds, and no unknown fields), the validator that names
//! the field at fault, and canonical JSON (sorted keys) for idempotency keys.

use crate::types::ToolField;
use serde_json::{json, Map, Value};

/// One field of a tool's input.
#[derive(Clone, Debug)]
pub struct Field {
    /// Name.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Must be given.
    pub required: bool,
    /// What it means.
    pub description: &'static str,
}

/// A field's type and limits.
#[derive(Clone, Debug)]
pub enum Kind {
    /// Text of `min..=max` characters.
    Text {
        /// Fewest characters.
        min: usize,
        /// Most characters.
        max: usize,
    },
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A whole number in `min..=max`.
    Integer {
        /// Smallest.
        min: i64,
        /// Largest.
        max: i64,
    },
    /// A number in `min..=max`.
    Number {
        /// Smallest.
        min: f64,
        /// Largest.
        max: f64,
    },
    /// True or false.
    Boolean,
    /// A list of `1..=max` short strings.
    Strings {
        /// Most items.
        max: usize,
    },
    /// Any JSON object (passed through, e.g. a webhook payload).
    Object,
}

impl Field {
    /// A required field.
    pub const fn req(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Self {
            name,
            kind,
            required: true,
            description,
        }
    }
    /// An optional field.
    pub const fn opt(name: &'static str, kind: Kind, description: &'static str) -> Self {
        Self {
            name,
            kind,
            required: false,
            description,
        }
    }
}

/// The JSON Schema of an object with `fields`.
pub fn to_json_schema(fields: &[Field]) -> Value {
    let mut props = Map::new();
    for f in fields {
        let mut p = match &f.kind {
            Kind::Text { min, max } => {
                json!({"type": "string", "minLength": min, "maxLength": max})
            }
            Kind::OneOf(v) => json!({"type": "string", "enum": v}),
            Kind::Integer { min, max } => {
                json!({"type": "integer", "minimum": min, "maximum": max})
            }
            Kind::Number { min, max } => json!({"type": "number", "minimum": min, "maximum": max}),
            Kind::Boolean => json!({"type": "boolean"}),
            Kind::Strings { max } => {
                json!({"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100}, "minItems": 1, "maxItems": max})
            }
            Kind::Object => json!({"type": "object"}),
        };
        if let Some(o) = p.as_object_mut() {
            o.insert("description".into(), Value::String(f.description.into()));
        }
        props.insert(f.name.to_owned(), p);
    }
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// The fields as shown in forms.
pub fn to_view(fields: &[Field]) -> Vec<ToolField> {
    fields
        .iter()
        .map(|f| ToolField {
            name: f.name.to_owned(),
            kind: match f.kind {
                Kind::Text { .. } | Kind::OneOf(_) => "string",
                Kind::Integer { .. } => "integer",
                Kind::Number { .. } => "number",
                Kind::Boolean => "boolean",
                Kind::Strings { .. } => "array",
                Kind::Object => "object",
            }
            .to_owned(),
            required: f.required,
            description: f.description.to_owned(),
            choices: match f.kind {
                Kind::OneOf(v) => v.iter().map(|s| (*s).to_owned()).collect(),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// Checks `input` against `fields`; the error names the field and says what to
/// send instead.
///
/// # Errors
/// A message for a person, starting with the field's name.
pub fn validate(fields: &[Field], input: &Value) -> Result<(), String> {
    let Some(obj) = input.as_object() else {
        return Err(
            "The input must be a JSON object, for example {\"status\": \"solved\"}.".into(),
        );
    };
    for k in obj.keys() {
        if !fields.iter().any(|f| f.name == k) {
            let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
            return Err(if known.is_empty() {
                format!("`{k}`: this tool takes no input.")
            } else {
                format!(
                    "`{k}`: not a field of this tool (fields: {}).",
                    known.join(", ")
                )
            });
        }
    }
    for f in fields {
        let v = match obj.get(f.name) {
            None | Some(Value::Null) => {
                if f.required {
                    return Err(format!("`{}`: required ({}).", f.name, f.description));
                }
                continue;
            }
            Some(v) => v,
        };
        check(f, v).map_err(|m| format!("`{}`: {m}", f.name))?;
    }
    Ok(())
}

fn check(f: &Field, v: &Value) -> Result<(), String> {
    match &f.kind {
        Kind::Text { min, max } => {
            let s = v.as_str().ok_or("must be text.")?;
            let n = s.trim().chars().count();
            if n < *min {
                return Err(if *min <= 1 {
                    "must not be empty.".into()
                } else {
                    format!("must be at least {min} characters.")
                });
            }
            if n > *max {
                return Err(format!("must be at most {max} characters (it has {n})."));
            }
        }
        Kind::OneOf(choices) => {
            let s = v.as_str().ok_or("must be text.")?;
            if !choices.contains(&s) {
                return Err(format!("must be one of: {}.", choices.join(", ")));
            }
        }
        Kind::Integer { min, max } => {
            let n = v.as_i64().ok_or("must be a whole number.")?;
            if n < *min || n > *max {
                return Err(format!("must be between {min} and {max}."));
            }
        }
        Kind::Number { min, max } => {
            let n = v.as_f64().ok_or("must be a number.")?;
            if !n.is_finite() || n < *min || n > *max {
                return Err(format!("must be between {min} and {max}."));
            }
        }
        Kind::Boolean => {
            v.as_bool().ok_or("must be true or false.")?;
        }
        Kind::Strings { max } => {
            let a = v.as_array().ok_or("must be a list of text.")?;
            if a.is_empty() || a.len() > *max {
                return Err(format!("must list between 1 and {max} items."));
            }
            for (i, x) in a.iter().enumerate() {
                let s = x
                    .as_str()
                    .ok_or_else(|| format!("item {} must be text.", i + 1))?;
                if s.trim().is_empty() || s.chars().count() > 100 {
                    return Err(format!("item {} must be 1 to 100 characters.", i + 1));
                }
            }
        }
        Kind::Object => {
            v.as_object().ok_or("must be a JSON object.")?;
        }
    }
    Ok(())
}

/// `v` with object keys sorted at every level and strings trimmed, so equal
/// proposals serialize identically.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(x) = m.get(k) {
                    if !x.is_null() {
                        out.insert(k.clone(), canonical(x));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        Value::String(s) => Value::String(s.trim().to_owned()),
        other => other.clone(),
    }
}

/// Canonical JSON text (keys sorted even where the map keeps insertion order).
pub fn canonical_string(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String((*k).clone()).to_string());
                    out.push(':');
                    if let Some(x) = m.get(*k) {
                        write(x, out);
                    }
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    write(&canonical(v), &mut s);
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[
        Field::req("status", Kind::OneOf(&["open", "solved"]), "new status"),
        Field::opt("note", Kind::Text { min: 1, max: 5 }, "a note"),
        Field::opt(
            "amount",
            Kind::Number {
                min: 0.01,
                max: 100.0,
            },
            "money",
        ),
        Field::opt("tags", Kind::Strings { max: 2 }, "tags"),
    ];

    #[test]
    fn errors_name_the_field() {
        let e = |v: Value| validate(FIELDS, &v).unwrap_err();
        assert!(e(json!({})).starts_with("`status`: required"));
        assert!(e(json!({"status": "gone"})).contains("one of: open, solved"));
        assert!(e(json!({"status": "open", "note": "toolong"}))
            .starts_with("`note`: must be at most 5"));
        assert!(
            e(json!({"status": "open", "amount": "5"})).starts_with("`amount`: must be a number")
        );
        assert!(e(json!({"status": "open", "amount": 0})).starts_with("`amount`: must be between"));
        assert!(e(json!({"status": "open", "tags": ["a", "b", "c"]})).starts_with("`tags`"));
        assert!(e(json!({"status": "open", "colour": 1})).starts_with("`colour`: not a field"));
        assert!(e(json!([1])).contains("JSON object"));
        assert!(validate(
            FIELDS,
            &json!({"status": "open", "note": " hi ", "amount": 5})
        )
        .is_ok());
    }

    #[test]
    fn canonical_sorts_and_trims() {
        let a = canonical_string(&json!({"b": " x ", "a": {"d": 1, "c": [2, 1]}, "z": null}));
        assert_eq!(a, r#"{"a":{"c":[2,1],"d":1},"b":"x"}"#);
    }

    #[test]
    fn schema_is_json_schema() {
        let s = to_json_schema(FIELDS);
        assert_eq!(s["required"], json!(["status"]));
        assert_eq!(s["properties"]["status"]["enum"], json!(["open", "solved"]));
        assert_eq!(s["additionalProperties"], json!(false));
    }
}
