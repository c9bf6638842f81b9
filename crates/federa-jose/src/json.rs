//! Strict JSON parsing for JOSE headers and JWKs.
//!
//! Owns the rule that a JOSE JSON object must not repeat a member name. RFC 7515 §5.2 step 4
//! and RFC 7516 §5.2 step 4 let a recipient either reject duplicates or take the last one;
//! taking one silently is a parser-differential hazard (RFC 8725 §3), so duplicates are
//! rejected here at every nesting depth. `serde_json` alone keeps the last duplicate, hence
//! this small tree type that keeps them all until they are checked.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::{JoseError, excerpt};

/// Why a strict parse failed.
#[derive(Debug)]
pub(crate) enum StrictJsonError {
    /// Not JSON, trailing garbage, nesting too deep, invalid UTF-8 ...
    Syntax(String),
    /// Valid JSON whose top level is not an object.
    NotAnObject,
    /// A member name appears twice in one object (carries the name).
    Duplicate(String),
}

impl StrictJsonError {
    /// Maps to the crate error for a given document kind.
    pub(crate) fn into_jose(self, context: &'static str) -> JoseError {
        match self {
            StrictJsonError::Duplicate(name) => JoseError::DuplicateMember {
                context,
                name: excerpt(&name),
            },
            StrictJsonError::Syntax(reason) if context == HEADER => {
                JoseError::HeaderNotJson { reason }
            }
            StrictJsonError::NotAnObject if context == HEADER => JoseError::HeaderNotJson {
                reason: "the top level is not an object".to_owned(),
            },
            StrictJsonError::Syntax(reason) if context == JWKS => JoseError::InvalidJwks(reason),
            StrictJsonError::NotAnObject if context == JWKS => {
                JoseError::InvalidJwks("the top level is not an object".to_owned())
            }
            StrictJsonError::Syntax(reason) => JoseError::InvalidJwk(reason),
            StrictJsonError::NotAnObject => {
                JoseError::InvalidJwk("the top level is not an object".to_owned())
            }
        }
    }
}

/// Context name for JWE protected headers.
pub(crate) const HEADER: &str = "JWE protected header";
/// Context name for a single JWK.
pub(crate) const JWK: &str = "JWK";
/// Context name for a JWK Set.
pub(crate) const JWKS: &str = "JWK Set";

/// Parses `bytes` as one JSON object, rejecting duplicate member names at any depth.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, StrictJsonError> {
    let tree: Tree =
        serde_json::from_slice(bytes).map_err(|e| StrictJsonError::Syntax(e.to_string()))?;
    match tree.into_value()? {
        Value::Object(map) => Ok(map),
        _ => Err(StrictJsonError::NotAnObject),
    }
}

/// A JSON value that keeps repeated member names until [`Tree::into_value`] checks them.
enum Tree {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Tree>),
    Object(Vec<(String, Tree)>),
}

impl Tree {
    fn into_value(self) -> Result<Value, StrictJsonError> {
        Ok(match self {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(b),
            Tree::Number(n) => Value::Number(n),
            Tree::String(s) => Value::String(s),
            Tree::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(Tree::into_value)
                    .collect::<Result<_, _>>()?,
            ),
            Tree::Object(members) => {
                let mut map = Map::new();
                for (name, member) in members {
                    if map.contains_key(&name) {
                        return Err(StrictJsonError::Duplicate(name));
                    }
                    let value = member.into_value()?;
                    map.insert(name, value);
                }
                Value::Object(map)
            }
        })
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tree, E> {
        Number::from_f64(v)
            .map(Tree::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Tree>()? {
            items.push(item);
        }
        Ok(Tree::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut members = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, Tree>()? {
            members.push((name, value));
        }
        Ok(Tree::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_objects() {
        let map = parse_object(br#"{"alg":"RSA-OAEP-256","n":[1,2.5,null,true,{"a":{}}]}"#);
        assert!(map.is_ok(), "{map:?}");
    }

    #[test]
    fn rejects_duplicates_at_any_depth() {
        for doc in [
            r#"{"alg":"A","alg":"B"}"#,
            r#"{"alg":"A","x":{"k":1,"k":1}}"#,
            r#"{"x":[{"k":1,"k":2}]}"#,
        ] {
            assert!(
                matches!(
                    parse_object(doc.as_bytes()),
                    Err(StrictJsonError::Duplicate(_))
                ),
                "{doc}"
            );
        }
        // An escaped spelling of the same name is the same name.
        assert!(matches!(
            parse_object(br#"{"alg":"A","\u0061lg":"B"}"#),
            Err(StrictJsonError::Duplicate(n)) if n == "alg"
        ));
    }

    #[test]
    fn rejects_non_objects_and_garbage() {
        assert!(matches!(
            parse_object(b"[]"),
            Err(StrictJsonError::NotAnObject)
        ));
        assert!(matches!(
            parse_object(b"\"s\""),
            Err(StrictJsonError::NotAnObject)
        ));
        assert!(matches!(
            parse_object(b"{} x"),
            Err(StrictJsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(b"\xEF\xBB\xBF{}"),
            Err(StrictJsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\":\"\xff\"}"),
            Err(StrictJsonError::Syntax(_))
        ));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            parse_object(deep.as_bytes()),
            Err(StrictJsonError::Syntax(_))
        ));
    }
}
