//! The OpenAPI document (`crates/service/openapi.json`, served at `/openapi.json`) is true to
//! the server: every route of the router and every operation of `Endpoint` is in it, each
//! documented path routes to the operation it names, and every JSON example of the
//! documentation's pages validates against it.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use groove_service::openapi::DOCUMENT;
use groove_wire::endpoint::{Endpoint, Method};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
}

fn source(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every operation of the document: (path, method, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            all.push((path.clone(), method.clone(), op.clone()));
        }
    }
    all
}

/// The string literals that follow `marker` in `text`.
fn literals_after(text: &str, marker: &str) -> Vec<String> {
    text.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &text[i + marker.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

/// The body of the method `signature` in `text`, up to the line that closes it.
fn function_body<'a>(text: &'a str, signature: &str) -> &'a str {
    let start = text.find(signature).unwrap_or_else(|| panic!("no {signature}"));
    let end = text[start..].find("\n    }\n").unwrap();
    &text[start..start + end]
}

/// Every route the router declares (`.route("PATH", ...)` in app.rs) is a path of the
/// document: a route added without its description fails here.
#[test]
fn every_route_of_the_router_is_documented() {
    let doc = document();
    let routes = literals_after(&source("src/app.rs"), ".route(\"");
    assert!(routes.len() >= 6, "the router's routes were not found: {routes:?}");
    for route in routes {
        assert!(doc["paths"].get(&route).is_some(), "{route} is served but not in openapi.json");
    }
}

/// Every operation `Endpoint` names is an operation of the document, and each documented
/// Groove path, built from its parameters' examples, routes to the operation it names.
#[test]
fn every_groove_operation_is_documented_and_routes_as_documented() {
    let doc = document();
    let names: BTreeSet<String> =
        literals_after(function_body(&source("../wire/src/endpoint.rs"), "pub fn name(&self)"), "=> \"")
            .into_iter()
            .collect();
    assert!(names.len() >= 20, "the endpoint names were not found: {names:?}");
    let mut documented = BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        if op.get("x-groove-doc").is_none() {
            continue;
        }
        let name = op.get("x-endpoint").unwrap_or(&op["operationId"]).as_str().unwrap().to_owned();
        let mut concrete = path.clone();
        for p in op["parameters"].as_array().unwrap() {
            if p["in"] == "path" {
                let example = p["schema"]["example"].as_str().unwrap_or_else(|| panic!("{path}: no example"));
                concrete = concrete.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), example);
            }
        }
        let m = if method == "post" { Method::Post } else { Method::Get };
        let endpoint = Endpoint::parse(m, &concrete).unwrap_or_else(|e| panic!("{concrete}: {e:?}"));
        assert_eq!(endpoint.name(), name, "{method} {path} routes to another operation");
        documented.insert(name);
    }
    let missing: Vec<_> = names.difference(&documented).collect();
    assert!(missing.is_empty(), "operations missing from openapi.json: {missing:?}");
}

/// Where the documentation's pages are, if they are on this machine: `GROOVE_DOCS`, or the
/// reference folder beside the project.
fn docs_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("GROOVE_DOCS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/groove-docs/rest-reference"),
        PathBuf::from,
    );
    dir.is_dir().then_some(dir)
}

/// The documentation's JSON examples, by page, as kept in `tests/fixtures/doc-examples.json`
/// (so that a clone without the pages checks them too). Where the pages are on this machine,
/// the kept examples must be those the pages hold; `GROOVE_WRITE_EXAMPLES=1` writes them anew.
fn doc_examples() -> BTreeMap<String, Vec<Value>> {
    let kept_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/doc-examples.json");
    let Some(dir) = docs_dir() else {
        let text = std::fs::read_to_string(&kept_path).unwrap();
        return serde_json::from_str(&text).unwrap();
    };
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    pages.sort();
    let mut found = BTreeMap::new();
    for path in pages {
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        let values = examples(&std::fs::read_to_string(&path).unwrap());
        if !values.is_empty() {
            found.insert(file, values);
        }
    }
    if std::env::var_os("GROOVE_WRITE_EXAMPLES").is_some() {
        std::fs::write(&kept_path, serde_json::to_string_pretty(&found).unwrap() + "\n").unwrap();
    }
    let kept: BTreeMap<String, Vec<Value>> =
        serde_json::from_str(&std::fs::read_to_string(&kept_path).unwrap_or_default()).unwrap_or_default();
    assert!(
        kept == found,
        "tests/fixtures/doc-examples.json is not what the pages hold; run with GROOVE_WRITE_EXAMPLES=1"
    );
    found
}

/// Removes raw line breaks inside JSON strings (a long URL broken over two lines).
fn join_broken_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped, mut skipping) = (false, false, false);
    for c in text.chars() {
        if skipping {
            if c.is_whitespace() {
                continue;
            }
            skipping = false;
        }
        if in_string && c == '\n' {
            skipping = true;
            continue;
        }
        if c == '"' && !escaped {
            in_string = !in_string;
        }
        escaped = in_string && !escaped && c == '\\';
        out.push(c);
    }
    out
}

/// A comma followed by white space and `close`.
fn find_dangling_comma(text: &str, close: char) -> Option<usize> {
    text.char_indices()
        .find_map(|(i, c)| (c == ',' && text[i + 1..].trim_start().starts_with(close)).then_some(i))
}

/// The JSON values of a page's ```json blocks. The pages elide with `[...]` and `...` lines
/// and put status lines (`400 BadRequest`) or a request before an answer: those are taken
/// out, and the commas they leave dangling.
fn examples(page: &str) -> Vec<Value> {
    let mut values = Vec::new();
    for block in page.split("```json").skip(1) {
        let block = block.split("```").next().unwrap();
        let kept: Vec<&str> = block
            .lines()
            .filter(|l| {
                let t = l.trim();
                t != "[...]" && t != "..."
            })
            .collect();
        let mut text = join_broken_strings(&kept.join("\n"));
        for close in ['}', ']'] {
            while let Some(i) = find_dangling_comma(&text, close) {
                text.remove(i);
            }
        }
        // Each answer starts at a line that starts with "{".
        let mut rest = text.as_str();
        while let Some(start) = if rest.starts_with('{') { Some(0) } else { rest.find("\n{").map(|i| i + 1) }
        {
            let mut stream = serde_json::Deserializer::from_str(&rest[start..]).into_iter::<Value>();
            match stream.next() {
                Some(Ok(v)) => {
                    values.push(v);
                    rest = &rest[start + stream.byte_offset()..];
                }
                other => panic!("an example does not parse: {other:?}\n{}", &rest[start..]),
            }
        }
    }
    values
}

/// Validates `instance` against `schema`, a schema of the document (its `$ref`s resolved in
/// the document).
fn validate(doc: &Value, schema: &Value, instance: &Value) -> Result<(), String> {
    let mut root = doc.clone();
    let root_map = root.as_object_mut().unwrap();
    root_map.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    for (k, v) in schema.as_object().unwrap() {
        root_map.insert(k.clone(), v.clone());
    }
    let validator = jsonschema::validator_for(&root).map_err(|e| e.to_string())?;
    validator.validate(instance).map_err(|e| format!("{e} at {}", e.instance_path()))
}

/// The JSON schemas of an operation's answers.
fn answer_schemas(doc: &Value, op: &Value) -> Vec<Value> {
    op["responses"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| match r.get("$ref").and_then(Value::as_str) {
            Some(reference) => doc.pointer(&reference[1..]).unwrap().clone(),
            None => r.clone(),
        })
        .filter_map(|r| r.pointer("/content/application~1json/schema").cloned())
        .collect()
}

fn names_page(value: &Value, page: &str) -> bool {
    match value.get("x-groove-doc") {
        Some(Value::String(s)) => s == page,
        Some(Value::Array(a)) => a.iter().any(|s| s == page),
        _ => false,
    }
}

/// Every JSON example of the documentation validates against the document: an object
/// page's (`json-….md`) against the schema that names the page, an operation page's
/// (`uri-….md`) against one of the answers of the operation that names it.
#[test]
fn every_example_of_the_documentation_validates() {
    let doc = document();
    let (mut checked, mut failures) = (0, Vec::new());
    for (file, found) in doc_examples() {
        let schemas: Vec<Value> = if file.starts_with("json-") {
            doc["components"]["schemas"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, s)| names_page(s, &file))
                .map(|(name, _)| json!({"$ref": format!("#/components/schemas/{name}")}))
                .collect()
        } else {
            operations(&doc)
                .into_iter()
                .filter(|(_, _, op)| names_page(op, &file))
                .flat_map(|(_, _, op)| answer_schemas(&doc, &op))
                .collect()
        };
        assert!(!schemas.is_empty(), "{file} has examples but nothing in openapi.json names it");
        for (i, example) in found.iter().enumerate() {
            let outcomes: Vec<Result<(), String>> =
                schemas.iter().map(|s| validate(&doc, s, example)).collect();
            if !outcomes.iter().any(Result::is_ok) {
                let why: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
                failures.push(format!("{file}, example {}: {why:?}", i + 1));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} examples do not validate:\n{}", failures.len(), failures.join("\n"));
    assert!(checked >= 80, "only {checked} examples were found");
}

/// The schemas can fail: an answer of the wrong shape does not validate.
#[test]
fn a_wrong_answer_does_not_validate() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let schema = json!({"$ref": "#/components/schemas/TrackActionResponse"});
    assert!(validate(&doc, &schema, &json!({"TrackActionResults": [{"InputId": 3}]})).is_err());
    assert!(validate(&doc, &schema, &json!({"TrackActionResults": []})).is_ok());
}
