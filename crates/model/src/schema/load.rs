//! Reading the schema source tree and resolving classes and objects as the OCSF server does.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{Attribute, AttributeSet, Class, Kind, Schema, SchemaError};

/// A dictionary entry: an attribute's type and, for some, its enum and sibling.
struct DictionaryEntry {
    type_name: String,
    is_array: bool,
    enumeration: Option<BTreeMap<String, String>>,
    sibling: Option<String>,
}

/// A class, object or profile file as written, before its parents are merged in.
struct Definition {
    extends: Option<String>,
    uid: Option<u32>,
    category: Option<String>,
    caption: String,
    attributes: Map<String, Value>,
    constraints: Option<Map<String, Value>>,
    /// The observable type id the definition declares, if any.
    observable: Option<u64>,
}

/// What resolving needs: the dictionary, the base types and the raw definitions.
struct Loader {
    root: PathBuf,
    dictionary: HashMap<String, DictionaryEntry>,
    /// Each named type's base type and range (`port_t` → `integer_t`, 0..=65535).
    types: HashMap<String, (String, Option<(i64, i64)>)>,
    objects: HashMap<String, Definition>,
    events: HashMap<String, Definition>,
    resolved_objects: BTreeMap<String, AttributeSet>,
    /// Observable type ids the types, attributes and objects declare (`observable.type_id`'s
    /// enum, which the OCSF server generates from them).
    observable_ids: BTreeMap<String, String>,
}

impl Schema {
    /// Load the schema source tree at `root` (the folder holding `dictionary.json`).
    pub fn load(root: &Path) -> Result<Schema, SchemaError> {
        let version = read_json(&root.join("version.json"))?
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string();
        let categories = load_categories(root)?;
        let mut loader = Loader::new(root)?;
        let names: Vec<String> = loader.objects.keys().cloned().collect();
        for name in names {
            loader.object(&name)?;
        }
        loader.add_observable_ids();
        let mut classes = BTreeMap::new();
        let names: Vec<String> = loader.events.keys().cloned().collect();
        for name in names {
            let (category, uid) = loader.class_ids(&name)?;
            // The base event has no uid in its file: it is class 0.
            let uid = match uid {
                Some(uid) => uid,
                None if name == "base_event" => 0,
                None => continue,
            };
            let category_uid = match category {
                // The base event's category, "other", is category 0 (Uncategorized).
                Some(c) if c == "other" => 0,
                Some(c) => {
                    *categories
                        .iter()
                        .find(|(_, n)| **n == c)
                        .ok_or_else(|| format_error(root, format!("class {name}: category {c}")))?
                        .0
                }
                None => 0,
            };
            let attributes = loader.class_attributes(&name)?;
            let caption = loader.events[&name].caption.clone();
            let class_uid = category_uid * 1000 + uid;
            classes.insert(
                class_uid,
                Class {
                    name,
                    caption,
                    category_uid,
                    attributes,
                },
            );
        }
        Ok(Schema {
            version,
            classes,
            objects: loader.resolved_objects,
            categories,
        })
    }

    pub(super) fn class(&self, uid: u32) -> Option<&Class> {
        self.classes.get(&uid)
    }

    pub(super) fn object(&self, name: &str) -> Option<&AttributeSet> {
        self.objects.get(name)
    }
}

impl Loader {
    fn new(root: &Path) -> Result<Loader, SchemaError> {
        let dictionary_json = read_json(&root.join("dictionary.json"))?;
        let mut types = HashMap::new();
        if let Some(Value::Object(t)) = dictionary_json.pointer("/types/attributes") {
            for (name, def) in t {
                let base = def
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or(name)
                    .to_string();
                let range = def
                    .get("range")
                    .and_then(|r| Some((r.get(0)?.as_i64()?, r.get(1)?.as_i64()?)));
                types.insert(name.clone(), (base, range));
            }
        }
        let mut dictionary = HashMap::new();
        if let Some(Value::Object(a)) = dictionary_json.get("attributes") {
            for (name, def) in a {
                dictionary.insert(
                    name.clone(),
                    DictionaryEntry {
                        type_name: def
                            .get("type")
                            .and_then(Value::as_str)
                            .unwrap_or("json_t")
                            .to_string(),
                        is_array: def.get("is_array").and_then(Value::as_bool) == Some(true),
                        enumeration: def.get("enum").and_then(enum_captions),
                        sibling: def.get("sibling").and_then(Value::as_str).map(String::from),
                    },
                );
            }
        }
        let objects = read_definitions(&root.join("objects"))?;
        let events = read_definitions(&root.join("events"))?;
        let mut observable_ids = BTreeMap::new();
        for section in ["/types/attributes", "/attributes"] {
            if let Some(Value::Object(defs)) = dictionary_json.pointer(section) {
                for (name, def) in defs {
                    if let Some(id) = def.get("observable").and_then(Value::as_u64) {
                        let caption = def.get("caption").and_then(Value::as_str).unwrap_or(name);
                        observable_ids.insert(id.to_string(), caption.to_string());
                    }
                }
            }
        }
        for def in objects.values() {
            if let Some(id) = def.observable {
                observable_ids.insert(id.to_string(), def.caption.clone());
            }
        }
        Ok(Loader {
            root: root.to_path_buf(),
            dictionary,
            types,
            objects,
            events,
            resolved_objects: BTreeMap::new(),
            observable_ids,
        })
    }

    /// An object's attributes with its parents' merged in (memoized).
    fn object(&mut self, name: &str) -> Result<AttributeSet, SchemaError> {
        if let Some(done) = self.resolved_objects.get(name) {
            return Ok(done.clone());
        }
        let def = self
            .objects
            .get(name)
            .ok_or_else(|| format_error(&self.root, format!("unknown object {name}")))?;
        let (extends, attributes, constraints) = (
            def.extends.clone(),
            def.attributes.clone(),
            def.constraints.clone(),
        );
        let mut set = match extends {
            Some(parent) if parent != name => self.object(&parent)?,
            _ => AttributeSet::default(),
        };
        self.overlay(&mut set, &attributes, constraints.as_ref(), None)?;
        self.resolved_objects.insert(name.to_string(), set.clone());
        Ok(set)
    }

    /// Widen `observable.type_id`'s enum with the ids the schema declares elsewhere.
    fn add_observable_ids(&mut self) {
        let ids = std::mem::take(&mut self.observable_ids);
        let type_id = self
            .resolved_objects
            .get_mut("observable")
            .and_then(|o| o.attributes.get_mut("type_id"));
        if let Some(enumeration) = type_id.and_then(|t| t.enumeration.as_mut()) {
            enumeration.extend(ids);
        }
    }

    /// A class's category name and uid within it, inherited from the classes it extends.
    fn class_ids(&self, name: &str) -> Result<(Option<String>, Option<u32>), SchemaError> {
        let def = self
            .events
            .get(name)
            .ok_or_else(|| format_error(&self.root, format!("unknown class {name}")))?;
        let mut category = def.category.clone();
        let mut parent = def.extends.clone();
        let mut depth = 0;
        while category.is_none() {
            let Some(p) = parent.take() else { break };
            let pdef = self
                .events
                .get(&p)
                .ok_or_else(|| format_error(&self.root, format!("class {name} extends {p}")))?;
            category = pdef.category.clone();
            parent = pdef.extends.clone();
            depth += 1;
            if depth > 16 {
                return Err(format_error(
                    &self.root,
                    format!("class {name}: extends loop"),
                ));
            }
        }
        // The base event (uid 0, no category) is the only class without a category.
        Ok((category, def.uid))
    }

    /// A class's attributes: its ancestors' first, its own over them.
    fn class_attributes(&self, name: &str) -> Result<AttributeSet, SchemaError> {
        let mut chain = vec![name.to_string()];
        while let Some(parent) = chain
            .last()
            .and_then(|n| self.events.get(n))
            .and_then(|d| d.extends.clone())
        {
            if chain.len() > 16 || chain.contains(&parent) {
                return Err(format_error(
                    &self.root,
                    format!("class {name}: extends loop"),
                ));
            }
            chain.push(parent);
        }
        let mut set = AttributeSet::default();
        for class in chain.iter().rev() {
            let def = self
                .events
                .get(class)
                .ok_or_else(|| format_error(&self.root, format!("unknown class {class}")))?;
            self.overlay(&mut set, &def.attributes, def.constraints.as_ref(), None)?;
        }
        Ok(set)
    }

    /// Add (or refine) the attributes a definition lists, and the profiles it includes.
    fn overlay(
        &self,
        set: &mut AttributeSet,
        attributes: &Map<String, Value>,
        constraints: Option<&Map<String, Value>>,
        profile: Option<&str>,
    ) -> Result<(), SchemaError> {
        for (name, def) in attributes {
            if name == "$include" {
                for file in def
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    let included = read_json(&self.root.join(file))?;
                    let profile_name = included.get("name").and_then(Value::as_str);
                    let attrs = included
                        .get("attributes")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    let is_profile =
                        included.get("meta").and_then(Value::as_str) == Some("profile");
                    self.overlay(
                        set,
                        &attrs,
                        None,
                        if is_profile { profile_name } else { profile },
                    )?;
                }
                continue;
            }
            let existing = set.attributes.get(name).cloned();
            let attribute = self.attribute(name, def, existing.as_ref(), profile)?;
            set.attributes.insert(name.clone(), attribute);
        }
        if let Some(c) = constraints {
            for (key, slot) in [
                ("at_least_one", &mut set.at_least_one),
                ("just_one", &mut set.just_one),
            ] {
                if let Some(group) = c.get(key).and_then(Value::as_array) {
                    *slot = Some(
                        group
                            .iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect(),
                    );
                }
            }
        }
        Ok(())
    }

    /// One attribute: the dictionary's definition refined by the class or object's.
    fn attribute(
        &self,
        name: &str,
        def: &Value,
        existing: Option<&Attribute>,
        profile: Option<&str>,
    ) -> Result<Attribute, SchemaError> {
        let dict = self.dictionary.get(name);
        let type_name = def
            .get("type")
            .and_then(Value::as_str)
            .or(dict.map(|d| d.type_name.as_str()))
            .unwrap_or("json_t");
        let mut enumeration = existing.and_then(|e| e.enumeration.clone());
        for extra in [
            dict.and_then(|d| d.enumeration.clone()),
            def.get("enum").and_then(enum_captions),
        ]
        .into_iter()
        .flatten()
        {
            enumeration.get_or_insert_with(BTreeMap::new).extend(extra);
        }
        let required = match def.get("requirement").and_then(Value::as_str) {
            Some(r) => r == "required",
            None => existing.is_some_and(|e| e.required),
        };
        Ok(Attribute {
            kind: self.kind(type_name),
            is_array: def
                .get("is_array")
                .and_then(Value::as_bool)
                .or(dict.map(|d| d.is_array))
                .unwrap_or(false),
            required,
            enumeration,
            sibling: dict.and_then(|d| d.sibling.clone()),
            // An attribute the class defines itself is not a profile's, whatever includes it too.
            profile: match existing {
                Some(e) if e.profile.is_none() => None,
                _ => profile.map(String::from),
            },
        })
    }

    /// The JSON a type name stands for.
    fn kind(&self, type_name: &str) -> Kind {
        let mut name = type_name;
        let mut range = None;
        for _ in 0..4 {
            match self.types.get(name) {
                Some((base, r)) if base != name => {
                    range = range.or(*r);
                    if name == "ip_t" {
                        return Kind::Ip;
                    }
                    name = base;
                }
                _ => break,
            }
        }
        match name {
            "string_t" => Kind::String,
            "integer_t" | "long_t" => Kind::Integer { range },
            "float_t" => Kind::Float,
            "boolean_t" => Kind::Boolean,
            "json_t" | "object" => Kind::Any,
            object if !object.ends_with("_t") => Kind::Object(object.to_string()),
            _ => Kind::Any,
        }
    }
}

/// Category names by uid (`categories.json`).
fn load_categories(root: &Path) -> Result<BTreeMap<u32, String>, SchemaError> {
    let json = read_json(&root.join("categories.json"))?;
    let mut out = BTreeMap::new();
    out.insert(0, "Uncategorized".to_string());
    if let Some(Value::Object(c)) = json.get("attributes") {
        for (name, def) in c {
            if let Some(uid) = def.get("uid").and_then(Value::as_u64) {
                let uid = u32::try_from(uid)
                    .map_err(|_| format_error(root, format!("category {name}: uid {uid}")))?;
                out.insert(uid, name.clone());
            }
        }
    }
    Ok(out)
}

/// An enum's captions by id.
fn enum_captions(value: &Value) -> Option<BTreeMap<String, String>> {
    let map = value.as_object()?;
    Some(
        map.iter()
            .map(|(id, def)| {
                let caption = def.get("caption").and_then(Value::as_str).unwrap_or("");
                (id.clone(), caption.to_string())
            })
            .collect(),
    )
}

/// Every definition file under `dir` (recursively), by its `name`.
fn read_definitions(dir: &Path) -> Result<HashMap<String, Definition>, SchemaError> {
    let mut out = HashMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| SchemaError::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| SchemaError::Io {
                    path: dir.clone(),
                    source,
                })?
                .path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let json = read_json(&path)?;
            let Some(name) = json.get("name").and_then(Value::as_str) else {
                continue;
            };
            let uid = match json.get("uid").and_then(Value::as_u64) {
                Some(u) => {
                    Some(u32::try_from(u).map_err(|_| format_error(&path, format!("uid {u}")))?)
                }
                None => None,
            };
            out.insert(
                name.to_string(),
                Definition {
                    extends: json
                        .get("extends")
                        .and_then(Value::as_str)
                        .map(String::from),
                    uid,
                    category: json
                        .get("category")
                        .and_then(Value::as_str)
                        .map(String::from),
                    caption: json
                        .get("caption")
                        .and_then(Value::as_str)
                        .unwrap_or(name)
                        .to_string(),
                    attributes: json
                        .get("attributes")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                    constraints: json.get("constraints").and_then(Value::as_object).cloned(),
                    observable: json.get("observable").and_then(Value::as_u64),
                },
            );
        }
    }
    Ok(out)
}

fn read_json(path: &Path) -> Result<Value, SchemaError> {
    let bytes = std::fs::read(path).map_err(|source| SchemaError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| SchemaError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn format_error(path: &Path, message: String) -> SchemaError {
    SchemaError::Format {
        path: path.to_path_buf(),
        message,
    }
}
