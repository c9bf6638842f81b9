//! Reading Okta-shaped JSON with field paths. Owns the small cursor (`Obj`, `Item`) every
//! policy parser uses so that each error names the exact field (CONTRACT §2 "a cause naming the
//! field"), the tolerant list reading of reference §2.5 (a single object where an array is
//! expected), and the `wire_enum!` macro: closed enums whose input is case-insensitive
//! (`"password"` is `PASSWORD`) and whose output is Okta's canonical spelling.

use crate::error::{PolicyError, Result, clip};
use serde_json::{Map, Value};

/// Most items accepted in any one list of a policy document (ids, patterns, methods...).
pub const MAX_LIST_ITEMS: usize = 100;

/// `path.key`, or `key` at the root.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// `path[i]`.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A closed, string-valued enum of the policy wire format.
pub trait WireEnum: Sized + Copy + PartialEq + 'static {
    /// Canonical spellings, in declaration order.
    const WIRE: &'static [&'static str];
    /// The value spelled `s`, ignoring ASCII case.
    fn from_wire(s: &str) -> Option<Self>;
    /// The canonical spelling.
    fn as_str(self) -> &'static str;
}

/// Declares a [`WireEnum`] with `Serialize`, `Deserialize` (case-insensitive) and `Display`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $( $(#[$vmeta])* $variant, )+ }

        impl $crate::wire::WireEnum for $name {
            const WIRE: &'static [&'static str] = &[ $( $wire, )+ ];
            fn from_wire(s: &str) -> Option<Self> {
                $( if s.eq_ignore_ascii_case($wire) { return Some($name::$variant); } )+
                None
            }
            fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $wire, )+ }
            }
        }

        impl $name {
            /// The canonical wire spelling.
            pub fn as_str(self) -> &'static str {
                <Self as $crate::wire::WireEnum>::as_str(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                <Self as $crate::wire::WireEnum>::from_wire(&s).ok_or_else(|| {
                    serde::de::Error::custom($crate::wire::unknown_value_message::<Self>(&s))
                })
            }
        }
    };
}
pub(crate) use wire_enum;

/// "unknown value 'x'; expected one of A, B".
pub fn unknown_value_message<E: WireEnum>(s: &str) -> String {
    format!(
        "unknown value '{}'; expected one of {}",
        clip(s),
        E::WIRE.join(", ")
    )
}

/// Whether `v` says nothing: null, an empty array, or an object whose members all say nothing
/// (SDKs send `"platform": null` or `"userType": {"include": [], "exclude": []}`).
pub(crate) fn is_trivial(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.values().all(is_trivial),
        _ => false,
    }
}

/// A JSON value with its field path (list items).
pub(crate) struct Item<'a> {
    pub v: &'a Value,
    pub path: String,
}

impl<'a> Item<'a> {
    pub fn obj(&self) -> Result<Obj<'a>> {
        Obj::new(self.v, &self.path)
    }

    pub fn str(&self) -> Result<&'a str> {
        self.v.as_str().ok_or_else(|| {
            PolicyError::invalid(
                &self.path,
                format!("must be a string, not {}", kind_of(self.v)),
            )
        })
    }

    pub fn enumv<E: WireEnum>(&self) -> Result<E> {
        let s = self.str()?;
        E::from_wire(s)
            .ok_or_else(|| PolicyError::invalid(&self.path, unknown_value_message::<E>(s)))
    }
}

/// A JSON object with its field path.
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    /// `v` must be an object.
    pub fn new(v: &'a Value, path: &str) -> Result<Self> {
        match v {
            Value::Object(map) => Ok(Obj {
                map,
                path: path.to_owned(),
            }),
            other => Err(PolicyError::invalid(
                if path.is_empty() { "(document)" } else { path },
                format!("must be an object, not {}", kind_of(other)),
            )),
        }
    }

    /// This object's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of `key` inside this object.
    pub fn at(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The value at `key`, `None` when absent or null.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Whether `key` is present with a non-null value.
    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    /// Rejects any non-null member whose key is not in `known`: a field Federa does not
    /// understand must not be silently dropped where it could change a decision.
    pub fn deny_unknown(&self, known: &[&str]) -> Result<()> {
        for (k, v) in self.map {
            if !is_trivial(v) && !known.contains(&k.as_str()) {
                return Err(PolicyError::invalid(
                    self.at(&clip(k)),
                    format!(
                        "unknown or unsupported field; expected one of {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The object at `key`.
    pub fn obj(&self, key: &str) -> Result<Option<Obj<'a>>> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => Obj::new(v, &self.at(key)).map(Some),
        }
    }

    /// The object at `key`; absent or null is a "required" error naming the field.
    pub fn req_obj(&self, key: &str) -> Result<Obj<'a>> {
        self.obj(key)?.ok_or_else(|| self.missing(key))
    }

    /// The string at `key`; absent or null is a "required" error naming the field.
    pub fn req_string(&self, key: &str) -> Result<&'a str> {
        self.string(key)?.ok_or_else(|| self.missing(key))
    }

    /// The enum value at `key`; absent or null is a "required" error naming the field.
    pub fn req_enumv<E: WireEnum>(&self, key: &str) -> Result<E> {
        self.enumv::<E>(key)?.ok_or_else(|| self.missing(key))
    }

    fn missing(&self, key: &str) -> PolicyError {
        PolicyError::invalid(self.at(key), "is required")
    }

    /// The string at `key`.
    pub fn string(&self, key: &str) -> Result<Option<&'a str>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(PolicyError::invalid(
                self.at(key),
                format!("must be a string, not {}", kind_of(other)),
            )),
        }
    }

    /// The boolean at `key`.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(PolicyError::invalid(
                self.at(key),
                format!("must be a boolean, not {}", kind_of(other)),
            )),
        }
    }

    /// The integer at `key`, which must lie in `min..=max`.
    pub fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) if (min..=max).contains(&i) => Ok(Some(i)),
                _ => Err(PolicyError::invalid(
                    self.at(key),
                    format!("must be an integer between {min} and {max}, not {n}"),
                )),
            },
            Some(other) => Err(PolicyError::invalid(
                self.at(key),
                format!("must be an integer, not {}", kind_of(other)),
            )),
        }
    }

    /// The enum value at `key`.
    pub fn enumv<E: WireEnum>(&self, key: &str) -> Result<Option<E>> {
        match self.string(key)? {
            None => Ok(None),
            Some(s) => E::from_wire(s)
                .map(Some)
                .ok_or_else(|| PolicyError::invalid(self.at(key), unknown_value_message::<E>(s))),
        }
    }

    /// The array at `key` (absent or null: empty).
    pub fn array(&self, key: &str) -> Result<Vec<Item<'a>>> {
        self.list(key, false)
    }

    /// Like [`Obj::array`], but a single object is read as a one-element array (reference §2.5
    /// tolerance: `constraints` and `excludedAuthenticationMethods` sent as objects).
    pub fn array_or_one(&self, key: &str) -> Result<Vec<Item<'a>>> {
        self.list(key, true)
    }

    fn list(&self, key: &str, tolerate_one: bool) -> Result<Vec<Item<'a>>> {
        let path = self.at(key);
        match self.raw(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                if items.len() > MAX_LIST_ITEMS {
                    return Err(PolicyError::invalid(
                        path,
                        format!(
                            "has {} items, more than the limit of {MAX_LIST_ITEMS}",
                            items.len()
                        ),
                    ));
                }
                Ok(items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Item {
                        v,
                        path: index(&path, i),
                    })
                    .collect())
            }
            Some(v @ Value::Object(_)) if tolerate_one => Ok(vec![Item {
                v,
                path: index(&path, 0),
            }]),
            Some(other) => Err(PolicyError::invalid(
                path,
                format!("must be an array, not {}", kind_of(other)),
            )),
        }
    }

    /// A list of enum values at `key`.
    pub fn enum_list<E: WireEnum>(&self, key: &str) -> Result<Vec<E>> {
        let mut out = Vec::new();
        for item in self.array(key)? {
            let e = item.enumv::<E>()?;
            if !out.contains(&e) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// A list of strings at `key`, each parsed with `parse`.
    pub fn parsed_list<T: PartialEq>(
        &self,
        key: &str,
        parse: impl Fn(&str, &str) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for item in self.array(key)? {
            let t = parse(item.str()?, &item.path)?;
            if !out.contains(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }
}

/// Parses a JSON document from bytes, mapping syntax errors to `E0000001` at the root.
pub fn parse_json(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| PolicyError::invalid("(document)", format!("malformed JSON: {e}")))
}
