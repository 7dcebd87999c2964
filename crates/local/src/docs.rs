//! The API reference page the local gateway serves at `/docs`, rendered from openapi.yaml (which
//! is compiled in, so the page always matches the running code). Plain HTML, no scripts: it works
//! offline.

use serde_json::Value;
use std::fmt::Write;

/// The contract, as shipped with this build.
pub const OPENAPI_YAML: &str = include_str!("../../../openapi.yaml");

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn schema_summary(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    let mut parts = Vec::new();
    if let Some(t) = schema.get("type") {
        parts.push(t.as_str().map_or_else(|| t.to_string(), str::to_owned));
    }
    for key in [
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "enum",
        "default",
    ] {
        if let Some(v) = schema.get(key) {
            parts.push(format!("{key} {v}"));
        }
    }
    parts.join(", ")
}

/// The `/docs` page.
///
/// # Errors
/// When openapi.yaml does not parse (a build with a broken spec fails its tests first).
pub fn render() -> Result<String, serde_norway::Error> {
    let spec: Value = serde_norway::from_str(OPENAPI_YAML)?;
    let title = spec["info"]["title"].as_str().unwrap_or("API");
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         h2{{border-top:1px solid #ddd;padding-top:1rem}} code,pre{{background:#f5f5f5;padding:.1rem .3rem}}\
         pre{{padding:.6rem;overflow:auto}} table{{border-collapse:collapse}} td,th{{border:1px solid #ddd;padding:.3rem .5rem;text-align:left}}\
         .m{{font-weight:bold;padding:.1rem .4rem;border-radius:3px;background:#e0ecff}} .lock{{color:#a40}}</style></head><body>\
         <h1>{t}</h1><p>{d}</p><p>The contract: <a href=\"/openapi.yaml\">openapi.yaml</a>.</p>",
        t = esc(title),
        d = esc(spec["info"]["description"].as_str().unwrap_or_default()),
    );
    let public_by_default = spec
        .get("security")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in ["get", "put", "post", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let public = op
                .get("security")
                .and_then(Value::as_array)
                .map_or(public_by_default, Vec::is_empty);
            let _ = write!(
                html,
                "<h2 id=\"{id}\"><span class=\"m\">{m}</span> <code>{p}</code> {lock}</h2><p><b>{s}</b></p><p>{d}</p>",
                id = esc(op["operationId"].as_str().unwrap_or_default()),
                m = method.to_uppercase(),
                p = esc(path),
                lock = if public { "" } else { "<span class=\"lock\">(bearer token)</span>" },
                s = esc(op["summary"].as_str().unwrap_or_default()),
                d = esc(op["description"].as_str().unwrap_or_default()),
            );
            let params: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(
                    op.get("parameters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .collect();
            if !params.is_empty() {
                html.push_str("<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr>");
                for p in params {
                    let p = resolve(&spec, p);
                    let _ = write!(
                        html,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(p["name"].as_str().unwrap_or_default()),
                        esc(p["in"].as_str().unwrap_or_default()),
                        p["required"].as_bool().unwrap_or(false),
                        esc(&schema_summary(&p["schema"])),
                        esc(p["description"].as_str().unwrap_or_default()),
                    );
                }
                html.push_str("</table>");
            }
            if let Some(body) = op.get("requestBody") {
                let media = &resolve(&spec, body)["content"]["application/json"];
                let _ = write!(
                    html,
                    "<p>Request body: <code>{}</code></p>",
                    esc(&schema_summary(&media["schema"]))
                );
                if let Some(example) = first_example(media) {
                    let _ = write!(
                        html,
                        "<pre>{}</pre>",
                        esc(&serde_json::to_string_pretty(&example).unwrap_or_default())
                    );
                }
            }
            html.push_str("<table><tr><th>status</th><th>meaning</th></tr>");
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let response = resolve(&spec, response);
                let _ = write!(
                    html,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    esc(status),
                    esc(response["description"].as_str().unwrap_or_default())
                );
            }
            html.push_str("</table>");
        }
    }
    html.push_str("</body></html>");
    Ok(html)
}

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => spec.pointer(r.trim_start_matches('#')).unwrap_or(value),
        None => value,
    }
}

fn first_example(media: &Value) -> Option<Value> {
    media.get("example").cloned().or_else(|| {
        media
            .get("examples")?
            .as_object()?
            .values()
            .next()
            .and_then(|e| e.get("value").cloned())
    })
}
